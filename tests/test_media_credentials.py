"""Camera credentials: kept out of the configured URL (username + password_env), joined in only where a
camera is opened, and redacted from every text that leaves the media layer."""

from __future__ import annotations

import pytest
import yaml

from backend.config import DEFAULT_CONFIG, ConfigError, SourceConfig, parse_config
from layouts import Layout, Rect, ScreenSpec, WallSpec, Window, build_wall
from media.credentials import redact, with_credentials
from media.engine import MediaEngine
from media.sources import SourceConfigLite, open_source
from tests.conftest import free_port, wait_for
from tests.rtsp_camera import RtspCamera, gst_rtsp_available


def test_redact_masks_the_password_of_every_url_in_a_text():
    ffmpeg = "[Errno 111] Connection refused: 'rtsp://admin:Hik12345@10.0.0.7:554/Streaming/Channels/101'"
    assert redact(ffmpeg) == "[Errno 111] Connection refused: 'rtsp://admin:***@10.0.0.7:554/Streaming/Channels/101'"
    # An '@' in the password (unencoded, as FFmpeg still reads it: up to the host's last '@').
    assert redact("rtsp://admin:p@ss@cam.local/main rtsps://u:x%40y@h/") == "rtsp://admin:***@cam.local/main rtsps://u:***@h/"
    assert redact("whip://feed?token=abc123&x=1 see http://h/p?a=1&password=hunter2") == \
        "whip://feed?token=***&x=1 see http://h/p?a=1&password=***"
    # Nothing to hide: left as it is (a user name alone is no secret; token_env names a variable).
    for text in ("rtsp://viewer@cam/main", "whip://feed?token_env=FEED_TOKEN", "end of stream", "file:///a:b/c.mp4"):
        assert redact(text) == text


def test_redact_removes_a_known_password_in_any_form():
    text = "401 for user viewer with s3cr:t and s3cr%3At"
    assert redact(text, ["s3cr:t"]) == "401 for user viewer with *** and ***"
    assert redact("a b", ["a"]) == "a b"  # too short to be told from ordinary text


def test_credentials_are_joined_percent_encoded_and_replace_any_in_the_url():
    assert with_credentials("rtsp://cam:554/main", "admin", "p@ss:w/rd") == "rtsp://admin:p%40ss%3Aw%2Frd@cam:554/main"
    assert with_credentials("rtsp://old:x@cam/main", "admin", None) == "rtsp://admin@cam/main"
    assert with_credentials("rtsp://cam/main", None, "ignored") == "rtsp://cam/main"


def test_a_source_redacts_its_own_passwords_from_its_errors(monkeypatch):
    monkeypatch.setenv("CAM_PASSWORD", "from-the-env")
    src = open_source(SourceConfigLite("cam", "rtsp://cam/main", username="viewer", password_env="CAM_PASSWORD"))
    assert src.url == "rtsp://cam/main"  # the configured URL never holds it
    assert src.open_url(src.url) == "rtsp://viewer:from-the-env@cam/main"
    src._mark_failed("Server returned 401 for 'rtsp://viewer:from-the-env@cam/main' (from-the-env)")
    assert src.health().error == "Server returned 401 for 'rtsp://viewer:***@cam/main' (***)"


# -- configuration ---------------------------------------------------------------------------------
def _problems(**source: object) -> list[tuple[str, str]]:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["sources"].append({"id": "cam-x", "name": "X", **source})
    try:
        parse_config(data, str(DEFAULT_CONFIG))
    except ConfigError as exc:
        return [p for p in exc.problems if p[0].startswith(f"sources[{len(data['sources']) - 1}]")]
    return []


def test_a_camera_names_its_user_and_the_variable_holding_its_password():
    cfg = SourceConfig(id="c", name="C", url="rtsp://cam/main", sub_url="rtsp://cam/sub", username="viewer",
                       password_env="CAM_PASSWORD")
    assert cfg.passwords_in_urls() == []
    assert SourceConfig(id="c", name="C", url="rtsp://u:p@cam/main").passwords_in_urls() == ["url"]
    assert _problems(url="rtsp://cam/main", username="viewer", password_env="CAM_PASSWORD") == []
    n = len(yaml.safe_load(DEFAULT_CONFIG.read_text())["sources"])
    assert _problems(url="pattern://x", username="viewer") == [
        (f"sources[{n}].username", "only rtsp:// and rtsps:// cameras take a user and password")]
    assert _problems(url="rtsp://cam/main", password_env="CAM_PASSWORD") == [
        (f"sources[{n}].username", "give the camera's user name too (password_env holds only the password)")]
    assert _problems(url="rtsp://a:b@cam/main", sub_url="rtsp://a@cam/sub", username="viewer") == [
        (f"sources[{n}].url", "the user is given by username, so leave it out of the URL"),
        (f"sources[{n}].sub_url", "the user is given by username, so leave it out of the URL")]
    [(path, _)] = _problems(url="rtsp://cam/main", username="viewer", password_env="not a name")
    assert path == f"sources[{n}].password_env"


# -- a real camera that asks for a password (GStreamer's RTSP server) --------------------------------
needs_gst = pytest.mark.skipif(not gst_rtsp_available(), reason="GStreamer RTSP server (python3-gi, "
                               "gir1.2-gst-rtsp-server-1.0) is not installed (scripts/setup.sh test sets it up)")


@pytest.mark.slow
@needs_gst
def test_a_camera_asking_for_a_password_plays_with_the_one_in_the_environment(monkeypatch):
    camera = RtspCamera(free_port(), ["/cam=640x360"], auth="viewer:pa:ss@word")
    camera.start()
    monkeypatch.setenv("HALL_TEST_CAMERA_PASSWORD", "pa:ss@word")
    wall = build_wall(WallSpec(px_per_mm=1, screens=[
        ScreenSpec(id="s", kind="lcd", resolution=(640, 360), size_mm=(640, 360), position_mm=(0, 0))]))
    sources = [SourceConfigLite("good", camera.url("/cam"), username="viewer",
                                password_env="HALL_TEST_CAMERA_PASSWORD"),
               SourceConfigLite("wrong", camera.url("/cam").replace("rtsp://", "rtsp://viewer:wrong-pass@"))]
    e = MediaEngine(wall, sources, fps=25, labels=False)
    e.start()
    try:
        e.set_layout(Layout(windows=[Window(id="w", kind="video", rect=Rect(0, 0, 640, 360), source="good")]))
        e.acquire_screen("s")
        good, wrong = e.source("good"), e.source("wrong")
        assert wait_for(lambda: good.health().state == "live" and good.latest.get() is not None, 15)
        assert wait_for(lambda: wrong.health().error, 15)
        error = wrong.health().error
        assert wrong.health().state == "lost" and "401 Unauthorized" in error and "viewer:***@" in error
        assert "wrong-pass" not in error
    finally:
        e.stop()
        camera.stop()
