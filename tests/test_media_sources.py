"""Sources by URL scheme: the registry, the looped file source, and an RTSP camera that is not there."""

import time
from fractions import Fraction

import av
import numpy as np
import pytest

from media.sources import SourceConfigLite, open_source, source_class
from media.sources.file import FileSource
from media.sources.pattern import PatternSource
from media.sources.rtsp import RtspSource
from tests.conftest import free_port, wait_for


def make_clip(path, frames=25, size=(320, 240), fps=25):
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        s.codec_context.time_base = Fraction(1, fps)
        s.options = {"preset": "ultrafast", "bf": "0"}
        for i in range(frames):
            img = np.full((size[1] * 3 // 2, size[0]), 16 + (i * 8) % 200, np.uint8)
            f = av.VideoFrame.from_numpy_buffer(img, format="yuv420p")
            f.pts = i
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)


def test_sources_are_chosen_by_url_scheme():
    assert source_class("pattern://x") is PatternSource
    assert source_class("file:///tmp/x.mp4") is FileSource
    assert source_class("rtsp://cam/1") is RtspSource and source_class("rtsps://cam/1") is RtspSource
    with pytest.raises(ValueError, match="no source kind"):
        open_source(SourceConfigLite("x", "gopher://x"))
    with pytest.raises(ValueError, match="even"):
        open_source(SourceConfigLite("x", "pattern://x?size=33x33"))


def test_file_source_loops_at_its_frame_rate_and_only_while_watched(tmp_path):
    clip = tmp_path / "clip.mp4"
    make_clip(clip, frames=10)  # 0.4 s: it must loop to give 30 frames
    src = open_source(SourceConfigLite("f", f"file://{clip}"))
    src.start()
    try:
        time.sleep(0.3)
        assert src.latest.get() is None  # nobody watches: nothing decoded
        src.want(1)
        t0 = time.monotonic()
        f = wait_for(lambda: src.latest.wait_newer(30, 0.5), 10)
        assert f is not None and (f.width, f.height) == (320, 240)
        assert time.monotonic() - t0 > 0.8  # paced (30 frames at 25 fps take 1.2 s), not as fast as it can
        h = src.health()
        assert h.state == "live" and h.fps > 10 and h.kind == "file"
        src.decode_hint(0.25)
        assert src.skip_loop_filter
        src.want(0)
        time.sleep(0.2)
        seq = src.latest.get().seq
        time.sleep(0.3)
        assert src.latest.get().seq == seq
    finally:
        src.stop()


def test_missing_file_is_lost_and_retried(tmp_path):
    src = open_source(SourceConfigLite("f", f"file://{tmp_path}/missing.mp4"))
    src.start()
    try:
        src.want(1)
        assert wait_for(lambda: src.health().state == "lost", 5)
        assert wait_for(lambda: src.health().reconnects >= 1, 5)
        assert src.health().error
    finally:
        src.stop()


def test_camera_that_refuses_is_lost_and_retried():
    src = open_source(SourceConfigLite("cam", f"rtsp://127.0.0.1:{free_port()}/nothing"))
    src.retry_s = 0.1
    src.start()
    try:
        assert src.health().state in ("connecting", "lost")
        assert wait_for(lambda: src.health().state == "lost", 10)
        assert wait_for(lambda: src.health().reconnects >= 2, 10)
        h = src.health()
        assert h.lost_since is not None and h.error and h.fps == 0
    finally:
        t0 = time.monotonic()
        src.stop()
        assert time.monotonic() - t0 < 5


def test_a_lost_camera_is_retried_about_every_second_for_a_minute_then_less_often():
    src = open_source(SourceConfigLite("cam", "rtsp://127.0.0.1:9/cam"))
    # The first minute: 0.5-1 s between attempts, so a camera back from a short drop is live in about 3 s.
    assert all(0.5 <= src.retry_delay(t, 0) <= 1.0 for t in (0, 1, 10, 30, 59.9) for _ in range(20))
    # Then doubling from 2 s up to 8 s (jittered down to half), for as long as it takes.
    for attempt, base in ((1, 2), (2, 4), (3, 8), (4, 8), (100, 8)):
        assert all(base / 2 <= src.retry_delay(60 + attempt, attempt) <= base for _ in range(20)), attempt
