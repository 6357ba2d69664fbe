"""A consultation room's media through the media server, with aiortc peers as participants: one composed picture
per size for everyone, each hearing the others but not themselves, a name card for who has no camera, the active
speaker emphasised, mute and removal for everyone, a shared source, and the room as a wall source."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from layouts import Layout, Rect, SpliceBlock, WallSpec, Window, build_wall
from media.rooms import RoomMedia, Tile, room_layout
from media.server import MediaServer, MediaSettings
from media.sources.base import SourceConfigLite
from tests.delivery_helpers import RGB, close_to, colour_video_track, mean_rgb
from tests.test_media_calls import ToneTrack, loud_at

pytestmark = pytest.mark.slow
TONES = {"a": 500.0, "b": 800.0, "c": 1100.0, "d": 1400.0}
COLOURS = {"a": "red", "b": "green", "c": "blue", "d": "white"}


class Participant:
    def __init__(self, pid: str, camera: bool = True, loud: float = 0.3) -> None:
        self.pid = pid
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver("video", direction="recvonly")
        self.tone = ToneTrack(TONES[pid], loud)
        self.pc.addTransceiver(self.tone, direction="sendrecv")
        if camera:
            self.pc.addTransceiver(colour_video_track((COLOURS[pid],) * 4), direction="sendonly")
        self.tracks: dict[str, MediaStreamTrack] = {}
        self.got = asyncio.Event()
        self.sound: list[np.ndarray] = []  # what it hears, as it arrives (a listener, not a queue read later)
        self.listener: asyncio.Task | None = None

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            self.tracks[track.kind] = track
            if track.kind == "audio":
                self.listener = asyncio.ensure_future(self._listen(track))
            if len(self.tracks) == 2:
                self.got.set()

    async def _listen(self, track: MediaStreamTrack) -> None:
        from media.audio import frame_to_mono
        while True:
            self.sound.append(frame_to_mono(await track.recv()))
            del self.sound[:-500]  # the last 10 s

    async def join(self, room: RoomMedia, size: str = "large") -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await room.join(self.pid, f"Participant {self.pid.upper()}", self.pc.localDescription.sdp,
                                 self.pid, size)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.wait_for(self.got.wait(), 15)

    async def picture(self) -> np.ndarray:
        frame = await asyncio.wait_for(self.tracks["video"].recv(), 10)
        return frame.to_ndarray(format="rgb24")

    async def heard(self, seconds: float = 1.5) -> np.ndarray:
        """What reaches it in the next `seconds`."""
        before = len(self.sound)
        self.sound.clear()
        await asyncio.sleep(seconds)
        assert self.sound, f"{self.pid} heard nothing in {seconds} s (before: {before} frames)"
        return np.concatenate(self.sound)

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
        await self.pc.close()


@pytest.fixture
async def server():
    wall = build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(id="b", kind="lcd", rows=1, cols=1,
                                                                origin_mm=(0, 0), panel_size_mm=(640, 360),
                                                                resolution=(640, 360))]))
    media = MediaServer(wall, [SourceConfigLite("cam", "pattern://cam?size=640x360")], MediaSettings(labels=False))
    await asyncio.to_thread(media.start)
    yield media
    await media.stop()


def test_the_room_picture_is_a_grid_or_one_emphasised_beside_a_column():
    tiles = [Tile(f"s{i}", f"P{i}") for i in range(5)]
    grid = room_layout((1280, 720), tiles, None)
    assert len(grid.windows) == 5 and all(w.rect.w == 1280 // 3 // 2 * 2 or w.rect.w > 0 for w in grid.windows)
    assert sum(w.rect.w * w.rect.h for w in grid.windows) <= 1280 * 720
    focus = room_layout((1280, 720), tiles, tiles[2])
    main = focus.windows[0]
    assert main.source == "s2" and main.rect.w == 960 and main.rect.h == 720
    assert [w.source for w in focus.windows[1:]] == ["s0", "s1", "s3", "s4"]
    assert all(w.rect.x == 960 for w in focus.windows[1:])


async def test_everyone_sees_the_room_and_hears_everyone_but_themselves(server):
    room = RoomMedia(server, "r1")
    await asyncio.to_thread(room.start)
    # silent while they join: whoever joined first and spoke alone would (rightly) be emphasised as the speaker
    people = {pid: Participant(pid, camera=pid != "d", loud=0.0) for pid in TONES}
    try:
        for pid, p in people.items():
            await p.join(room, "small" if pid == "c" else "large")
        for _ in range(80):  # the grid fills as each camera's first picture arrives
            rgb = await people["a"].picture()
            h, w = rgb.shape[:2]
            quads = [mean_rgb(rgb[r * h // 2 + h // 8: (r + 1) * h // 2 - h // 8,
                                  c * w // 2 + w // 8: (c + 1) * w // 2 - w // 8]) for r in (0, 1) for c in (0, 1)]
            if all(close_to(q, RGB[COLOURS[pid]], 60) for q, pid in zip(quads, "abc", strict=False)):
                break
        else:
            raise AssertionError(f"the grid never showed the three cameras: {quads}")
        assert (w, h) == (1280, 720)
        assert (await people["c"].picture()).shape[:2] == (360, 640)  # its size, encoded once for that size
        assert quads[3][0] < 120  # d has no camera: a dark name card, not white
        for p in people.values():  # now everyone speaks at once
            p.tone.level = 0.3
        await asyncio.sleep(0.5)
        heard = await asyncio.gather(*(p.heard() for p in people.values()))
        for (pid, _), pcm in zip(people.items(), heard, strict=True):
            assert loud_at(pcm, TONES[pid]) < 0.1, f"{pid} hears itself"
            levels = {o: round(loud_at(pcm, TONES[o]), 2) for o in TONES}
            assert all(levels[o] > 0.2 for o in TONES if o != pid), (pid, levels)
        encoders = {e["screen"] for e in server.encoders.stats()}
        assert encoders == {"room:r1@large", "room:r1@small"}  # once per size, not per participant
        # muted for everyone; then removed
        room.set_muted("b", True)
        await people["a"].heard(1.0)  # what was on its way before the mute (the mixer's and the receiver's buffers)
        assert loud_at(await people["a"].heard(1.0), TONES["b"]) < 0.1
        await room.leave("b")
        assert "b" not in room.participants
    finally:
        for p in people.values():
            await p.close()
        await room.close()


async def test_a_shared_source_is_emphasised_and_the_room_is_a_wall_source(server):
    room = RoomMedia(server, "r2")
    await asyncio.to_thread(room.start)
    a = Participant("a")
    try:
        await a.join(room)
        await room.share_source("cam", "River camera")
        main = next(p for p in server.media_engine()._outputs["room:r2@large"].plan.parts if p.window_id == "main")
        assert (main.source, main.screen_rect.w) == ("cam", 960)  # the shared camera, emphasised
        assert server.source("room:r2").kind == "output"  # the composition can go on the wall
        server.acquire_output("b-1-1")
        await asyncio.to_thread(server.set_layout, Layout(windows=[
            Window(id="room", kind="video", rect=Rect(0, 0, 640, 360), source="room:r2")]))
        frame = await asyncio.to_thread(server.output("b-1-1").wait_newer, 5, 5)
        assert frame is not None and frame.y.std() > 5  # the room's picture, scaled onto the screen
        server.release_output("b-1-1")
    finally:
        await a.close()
        await room.close()
