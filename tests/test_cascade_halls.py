"""Two `hall` processes on one machine cascade both ways: the street centre publishes a screen up to the district
over WHIP (our client, a configured target), the street pulls the district's screen down over WHEP (a whep://
source); each shows on the other's wall, pixels checked (each pattern camera's own colour bars and its timecode)."""

from __future__ import annotations

import secrets
import signal
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from media.sources.base import SourceConfigLite
from media.sources.pattern import PatternSource, decode_timecode
from tests.conftest import HallProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

USERS = {"admin": "admin-cascade-halls", "operator1": "operator1-cascade-halls",
         "integration": "integration-cascade-halls"}
ROLES = {"admin": "admin", "operator1": "operator", "integration": "integration"}
SIZE = (640, 360)


def hall_yaml(path: Path, cam: str, screens: tuple[str, str], sources: list[dict], cascade: dict | None = None) -> Path:
    w, h = SIZE
    cfg = {"district": path.stem, "display": {"labels": False, "fps": 25},
           "wall": {"screens": [{"id": sid, "name": sid, "kind": "lcd", "resolution": [w, h], "size_mm": [w, h],
                                 "position_mm": [i * (w + 20), 0]} for i, sid in enumerate(screens)]},
           "sources": [{"id": cam, "name": cam, "url": f"pattern://{cam}?size={w}x{h}"}, *sources],
           "users": [{"name": n, "role": ROLES[n], "password": p} for n, p in USERS.items()]}
    if cascade:
        cfg["cascade"] = cascade
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def show(hall: HallProcess, windows: dict[str, str]) -> None:
    """Each screen (key) shows one source (value) full-screen."""
    token = hall.token("admin")
    version = hall.wall()["layout"]["version"]
    body = {"version": version, "windows": [
        {"id": f"w-{sid}", "kind": "video", "source": src, "rect": rect, "label": False}
        for sid, src in windows.items()
        for rect in [next(s["canvas"] for s in hall.wall()["wall"]["screens"] if s["id"] == sid)]]}
    status, out = hall.request("PUT", "/api/wall/layout", body, token=token)
    assert status == 200, out


def screen_yuv(hall: HallProcess, screen: str, token: str) -> np.ndarray | None:
    req = urllib.request.Request(f"{hall.url}/api/screens/{screen}/snapshot.jpg?width={SIZE[0]}",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=15) as resp:
        bgr = cv2.imdecode(np.frombuffer(resp.read(), np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420) if bgr is not None else None


def bars(i420: np.ndarray) -> np.ndarray:
    """Mean U and V of each of the pattern's eight colour bars, over the top half (no box, no text in chroma)."""
    w, h = SIZE
    flat = i420.reshape(-1)
    u = flat[w * h:w * h * 5 // 4].reshape(h // 2, w // 2)
    v = flat[w * h * 5 // 4:].reshape(h // 2, w // 2)
    cw = w // 2
    return np.array([[p[4:h // 4 - 4, i * cw // 8 + 3:(i + 1) * cw // 8 - 3].mean() for p in (u, v)]
                     for i in range(8)])


def pattern_bars(name: str) -> np.ndarray:
    frame = PatternSource(SourceConfigLite(name, f"pattern://{name}?size={SIZE[0]}x{SIZE[1]}")).make_frame(0, 0)
    assert frame.i420 is not None
    return bars(frame.i420)


def wait_for_pattern(hall: HallProcess, screen: str, cam: str, other: str, timeout: float = 60) -> float:
    """Until the screen shows the pattern camera `cam` (its bars, not `other`'s, and a readable timecode)."""
    token = hall.token("operator1")
    want, not_want = pattern_bars(cam), pattern_bars(other)
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        i420 = screen_yuv(hall, screen, token)
        if i420 is not None:
            got = bars(i420)
            last = (float(np.abs(got - want).mean()), float(np.abs(got - not_want).mean()),
                    decode_timecode(i420.reshape(-1)[:SIZE[0] * SIZE[1]].reshape(SIZE[1], SIZE[0])))
            if last[0] < 8 and last[1] > 15 and last[2] is not None:
                return time.monotonic() - t0
        time.sleep(0.5)
    _, health = hall.request("GET", "/api/media/health", token=token)
    _, targets = hall.request("GET", "/api/cascade/targets", token=token)
    hall.log.flush()
    hall.log.seek(0)
    raise AssertionError(f"{screen} of {hall.url} never showed {cam} (bar error, error against {other}, "
                         f"timecode): {last}\nsources: {health.get('sources')}\noutputs: {health.get('screens')}\n"
                         f"targets: {targets}\nlog: {hall.log.read()[-4000:]}")


@pytest.fixture
def halls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STREET_FEED_TOKEN", secrets.token_urlsafe(16))  # the district gave the street this token
    district_port = free_port()
    district_cfg = hall_yaml(tmp_path / "district.yaml", "district-cam", ("d-out", "d-in"),
                             [{"id": "feed-street", "name": "Street centre", "group": "Command centres",
                               "url": "whip://feed-street?token_env=STREET_FEED_TOKEN"}])
    started: list[HallProcess] = []
    try:
        (tmp_path / "d").mkdir()
        district = HallProcess(None, tmp_path / "d", config=district_cfg, port=district_port)
        started.append(district)
        district.users = USERS
        # the street pulls the district's screen with a token of the district's integration user
        monkeypatch.setenv("DISTRICT_TOKEN", district.token("integration"))
        street_cfg = hall_yaml(
            tmp_path / "street.yaml", "street-cam", ("s-out", "s-in"),
            [{"id": "from-district", "name": "District centre", "group": "Command centres",
              "url": f"whep://127.0.0.1:{district_port}/whep/screens/d-out?token_env=DISTRICT_TOKEN"}],
            {"targets": [{"name": "district", "url": f"http://127.0.0.1:{district_port}/whip/feed-street",
                          "publish": "s-out", "token_env": "STREET_FEED_TOKEN"}]})
        (tmp_path / "s").mkdir()
        t0 = time.monotonic()
        street = HallProcess(None, tmp_path / "s", config=street_cfg)
        street.started_at = t0  # type: ignore[attr-defined]
        started.append(street)
        street.users = USERS
        yield district, street
    finally:
        for h in reversed(started):
            h.stop()


def test_a_street_and_a_district_hall_cascade_both_ways(halls):
    district, street = halls
    show(district, {"d-out": "district-cam", "d-in": "feed-street"})
    show(street, {"s-out": "street-cam", "s-in": "from-district"})
    wait_for_pattern(district, "d-in", "street-cam", "district-cam")
    wait_for_pattern(street, "s-in", "district-cam", "street-cam")
    print(f"\nboth ways on both walls {time.monotonic() - street.started_at:.1f} s after the street hall was started")

    # the bitrates are measured over a second or so: on a quick machine the pictures arrive before the first figure
    token = street.token("operator1")
    deadline = time.monotonic() + 15
    while True:
        status, body = street.request("GET", "/api/cascade/targets", token=token)
        assert status == 200, body
        [target] = body["targets"]
        assert (target["name"], target["state"], target["publish"]) == ("district", "live", "s-out")
        status, health = street.request("GET", "/api/media/health", token=token)
        pulled = health["sources"]["from-district"]
        assert pulled["state"] == "live" and pulled["kind"] == "whep"
        if target["bitrate_kbps"] > 0 and pulled["bitrate_kbps"] > 0:
            break
        assert time.monotonic() < deadline, ("no bitrate measured", target, pulled)
        time.sleep(0.5)
    status, health = district.request("GET", "/api/media/health", token=district.token("operator1"))
    assert health["sources"]["feed-street"]["state"] == "live"

    # stopped from the street's console: the district's feed loses its publisher at once (our DELETE)
    status, body = street.request("POST", "/api/cascade/targets/district/stop", token=street.token("operator1"))
    assert status == 200 and body["state"] == "stopped", body
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _, health = district.request("GET", "/api/media/health", token=district.token("operator1"))
        if health["sources"]["feed-street"]["state"] == "lost":
            break
        time.sleep(0.3)
    assert health["sources"]["feed-street"]["state"] == "lost"
    status, body = street.request("POST", "/api/cascade/targets/district/start", token=street.token("operator1"))
    assert status == 200 and body["started"]
    wait_for_pattern(district, "d-in", "street-cam", "district-cam", timeout=30)


def test_a_centre_that_freezes_without_closing_is_noticed_and_found_again(halls):
    """The district hangs (SIGSTOP: no packet, no close): the street's publisher misses its receiver reports and
    its pull misses pictures, both say so and retry; once it runs again (SIGCONT) both come back."""
    district, street = halls
    show(district, {"d-out": "district-cam", "d-in": "feed-street"})
    show(street, {"s-out": "street-cam", "s-in": "from-district"})
    wait_for_pattern(street, "s-in", "district-cam", "street-cam")
    operator = street.token("operator1")

    def street_view() -> tuple[dict, dict]:
        _, targets = street.request("GET", "/api/cascade/targets", token=operator)
        _, health = street.request("GET", "/api/media/health", token=operator)
        return targets["targets"][0], health["sources"]["from-district"]

    def until(pred, timeout: float, what: str) -> tuple[dict, dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = street_view()
            if pred(*seen):
                return seen
            time.sleep(0.5)
        raise AssertionError(f"{what}: {street_view()}")

    until(lambda t, s: t["state"] == "live" and s["state"] == "live", 30, "both links live first")
    district.proc.send_signal(signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        target, pulled = until(lambda t, s: t["state"] != "live" and s["state"] == "lost" and s["error"], 40,
                               "the frozen centre never noticed")
        print(f"\nfrozen centre noticed after {time.monotonic() - frozen:.1f} s: {target['error']!r}, "
              f"{pulled['error']!r}")
        assert target["reconnects"] >= 1
    finally:
        district.proc.send_signal(signal.SIGCONT)
    until(lambda t, s: t["state"] == "live" and s["state"] == "live", 60, "never back after the centre resumed")
    wait_for_pattern(district, "d-in", "street-cam", "district-cam", timeout=30)
    wait_for_pattern(street, "s-in", "district-cam", "street-cam", timeout=30)
