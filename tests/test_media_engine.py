"""The media engine with real (synthetic) sources and threads: outputs, viewers, layout changes, snapshots."""

import asyncio
import time

import cv2
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamTrack

from layouts import Layout, Rect, ScreenSpec, WallSpec, Window, build_wall
from media.engine import MediaEngine
from media.sources import SourceConfigLite
from media.sources.pattern import PatternSource, decode_timecode, timecode_latency_ms
from media.sources.track import TrackSource
from tests.conftest import wait_for


def wall_of_two():
    return build_wall(WallSpec(px_per_mm=1, screens=[
        ScreenSpec(id="left", kind="lcd", resolution=(640, 360), size_mm=(640, 360), position_mm=(0, 0)),
        ScreenSpec(id="right", kind="lcd", resolution=(640, 360), size_mm=(640, 360), position_mm=(640, 0)),
    ]))


SOURCES = [SourceConfigLite(f"cam{i}", f"pattern://cam{i}?size=640x360", name=f"Camera {i}") for i in range(3)]




@pytest.fixture
def engine():
    e = MediaEngine(wall_of_two(), SOURCES, fps=25, timezone="UTC", labels=False)
    e.start()
    yield e
    e.stop()


def layout_one_per_screen():
    return Layout(windows=[
        Window(id="w0", kind="video", rect=Rect(0, 0, 640, 360), source="cam0"),
        Window(id="w1", kind="video", rect=Rect(640, 0, 320, 180), source="cam1"),
    ])


def test_watched_screen_shows_its_source_with_a_fresh_timecode(engine):
    engine.set_layout(layout_one_per_screen())
    engine.acquire_screen("left")
    out = engine.screen_output("left")
    frame = wait_for(lambda: out.wait_newer(0, 1))
    assert frame is not None and (frame.width, frame.height) == (640, 360)
    later = out.wait_newer(frame.seq + 10, 5)
    code = decode_timecode(later.y)
    assert code is not None and 0 <= timecode_latency_ms(code) < 1000
    h = engine.health()
    assert h["sources"]["cam0"]["state"] == "live" and h["sources"]["cam0"]["viewers"] == 1
    assert wait_for(lambda: engine.health()["screens"]["left"]["fps"] > 10)


def test_unwatched_screens_are_not_composed_and_their_sources_not_decoded(engine):
    engine.set_layout(layout_one_per_screen())
    engine.acquire_screen("left")
    assert wait_for(lambda: engine.screen_output("left").get() is not None)
    assert engine.screen_output("right").get() is None
    assert engine.source("cam1").viewers == 0 and engine.source("cam2").viewers == 0
    engine.acquire_screen("right")
    frame = wait_for(lambda: engine.screen_output("right").get())
    assert frame is not None
    assert engine.source("cam1").viewers == 1
    # cam1 is the top-left quarter of the right screen; its timecode is at the bottom of that window
    win = wait_for(lambda: engine.screen_output("right").wait_newer(frame.seq + 5, 2))
    assert decode_timecode(win.y[:180, :320]) is not None
    engine.release_screen("right")
    assert engine.source("cam1").viewers == 0


def test_layout_change_reaches_the_next_frame(engine):
    engine.set_layout(layout_one_per_screen())
    engine.acquire_screen("left")
    out = engine.screen_output("left")
    assert wait_for(lambda: out.wait_newer(0, 1)) is not None
    engine.set_layout(Layout(windows=[Window(id="w9", kind="video", rect=Rect(0, 0, 320, 180), source="cam2")]))
    f2 = out.wait_newer(out.get().seq + 1, 2)  # the frame after the change may be in flight: take the next
    f3 = out.wait_newer(f2.seq, 2)
    assert (f3.y[180:, :] == 16).all() and (f3.y[:, 320:] == 16).all()
    assert engine.source("cam0").viewers == 0 and engine.source("cam2").viewers == 1


async def test_snapshots_of_screens_and_sources_are_jpegs(engine):
    engine.set_layout(layout_one_per_screen())
    jpg = await engine.snapshot_jpeg("cam2", 160)  # nobody watches cam2: it is woken for the picture
    assert jpg[:2] == b"\xff\xd8" and len(jpg) > 500
    assert engine.source("cam2").viewers == 0
    jpg = await engine.snapshot_jpeg("left", 320)
    assert jpg[:2] == b"\xff\xd8"
    with pytest.raises(KeyError):
        await engine.snapshot_jpeg("nope", 100)


class PatternTrack(MediaStreamTrack):
    """A received video track as aiortc hands it to a source: pattern pictures at 25 fps, timecoded."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.pattern = PatternSource(SourceConfigLite("far", "pattern://far?size=640x360"))
        self.n = 0

    async def recv(self):
        await asyncio.sleep(0.04)
        self.n += 1
        return self.pattern.make_frame(time.time(), self.n).to_av()


async def test_a_snapshot_of_an_unwatched_screen_shows_the_present_not_its_sources_last_picture(engine):
    """A received track nobody watches keeps its last converted picture (a pulled centre's screen from before
    its layout changed); the preview of a screen showing it waits for the source's next picture instead of
    composing the old one."""
    far = TrackSource(SourceConfigLite("far", "whep://far"))
    engine.add_source(far)
    track = PatternTrack()
    far.attach(track)
    try:
        engine.set_layout(Layout(windows=[Window(id="w0", kind="video", rect=Rect(0, 0, 640, 360), source="far")]))
        for _ in range(100):
            if far.latest.get() is not None:
                break
            await asyncio.sleep(0.05)
        assert far.latest.get() is not None
        assert far.viewers == 0
        await asyncio.sleep(1.5)  # nobody watches: the picture it holds grows old while the track runs on
        jpg = await engine.snapshot_jpeg("left", 640)
        grey = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_GRAYSCALE)
        code = decode_timecode(grey)
        print("LATENCY", code and timecode_latency_ms(code))
        assert code is not None and timecode_latency_ms(code) < 1000, code and timecode_latency_ms(code)
    finally:
        far.detach()
        track.stop()


def test_a_source_kind_that_cannot_open_shows_no_signal_and_the_rest_runs():
    wall = wall_of_two()
    e = MediaEngine(wall, [*SOURCES, SourceConfigLite("odd", "bogus://x")], fps=25, labels=False)
    e.start()
    try:
        e.set_layout(Layout(windows=[
            Window(id="a", kind="video", rect=Rect(0, 0, 320, 360), source="odd"),
            Window(id="b", kind="video", rect=Rect(320, 0, 320, 180), source="cam0"),
        ]))
        e.acquire_screen("left")
        f = wait_for(lambda: e.screen_output("left").wait_newer(3, 1))
        assert f is not None and (f.y[150:210, 20:300] >= 230).any()  # slate text
        assert decode_timecode(f.y[:180, 320:]) is not None
    finally:
        e.stop()
