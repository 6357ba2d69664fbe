"""A call's media through the media server, with two aiortc peers standing in for the console and the phone:
each side sees the other's camera (encoded once by our encoder) and hears the other's voice but not its own;
a side that drops comes back into the same call with a new peer connection."""

from __future__ import annotations

import asyncio
import fractions

import numpy as np
import pytest
from aiortc import AudioStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from layouts import SpliceBlock, WallSpec, build_wall
from media.audio import SAMPLE_RATE, SAMPLES, frame_to_mono, mono_to_frame
from media.calls import CallMedia, call_source_id, check_call_offer
from media.server import MediaServer, MediaSettings
from media.webrtc import OfferRejected
from tests.delivery_helpers import RGB, close_to, colour_video_track, mean_rgb

pytestmark = pytest.mark.slow


class ToneTrack(AudioStreamTrack):
    """A microphone that sings one note."""

    def __init__(self, hz: float, level: float = 0.3) -> None:
        super().__init__()
        self.hz = hz
        self.level = level  # 0: a microphone in a silent room
        self.n = 0
        self.t0: float | None = None

    async def recv(self):
        # paced by the clock, not by sleeping after each frame: a busy loop must not slow the voice down
        loop = asyncio.get_running_loop()
        self.t0 = loop.time() if self.t0 is None else self.t0
        await asyncio.sleep(max(0.0, self.t0 + self.n / SAMPLE_RATE - loop.time()))
        t = (np.arange(SAMPLES) + self.n) / SAMPLE_RATE
        frame = mono_to_frame((self.level * np.sin(2 * np.pi * self.hz * t)).astype(np.float32), self.n)
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self.n += SAMPLES
        return frame


class Side:
    """A call page's peer connection, as the console and the field page make it: the other side's picture
    received first, audio both ways, its own camera sent."""

    def __init__(self, colour: str, hz: float) -> None:
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver(ToneTrack(hz), direction="sendrecv")
        self.pc.addTransceiver(colour_video_track((colour,) * 4), direction="sendonly")
        self.tracks: dict[str, MediaStreamTrack] = {}
        self.got = asyncio.Event()

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            self.tracks[track.kind] = track
            if len(self.tracks) == 2:
                self.got.set()

    async def join(self, call: CallMedia, side: str) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await call.join(side, self.pc.localDescription.sdp, owner=side)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.wait_for(self.got.wait(), 15)

    async def colour(self, want: str, tries: int = 200) -> tuple[int, int, int]:
        got = (0, 0, 0)
        for _ in range(tries):
            frame = await asyncio.wait_for(self.tracks["video"].recv(), 10)
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            got = mean_rgb(rgb[h // 3: 2 * h // 3, w // 3: 2 * w // 3])  # the middle: bars may frame it
            if close_to(got, RGB[want]):
                return got
        raise AssertionError(f"never saw {want}: {got}")

    async def heard(self, seconds: float = 1.5) -> np.ndarray:
        chunks = []
        for _ in range(int(seconds * 50)):
            chunks.append(frame_to_mono(await asyncio.wait_for(self.tracks["audio"].recv(), 5)))
        return np.concatenate(chunks)

    async def close(self) -> None:
        await self.pc.close()


def loud_at(pcm: np.ndarray, hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(pcm.size)))
    freqs = np.fft.rfftfreq(pcm.size, 1 / SAMPLE_RATE)
    return float(spectrum[np.argmin(np.abs(freqs - hz))] / (spectrum.max() + 1e-9))


@pytest.fixture
async def server():
    wall = build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(id="b", kind="lcd", rows=1, cols=1,
                                                                origin_mm=(0, 0), panel_size_mm=(640, 360),
                                                                resolution=(640, 360))]))
    media = MediaServer(wall, [], MediaSettings(fps=25, labels=False))
    await asyncio.to_thread(media.start)
    yield media
    await media.stop()


async def test_each_side_sees_and_hears_the_other_through_the_server(server):
    call = CallMedia(server, "c1", "Commander Zhao", "Grid worker Chen")
    await asyncio.to_thread(call.start)
    console, phone = Side("red", 700.0), Side("blue", 1300.0)
    try:
        await console.join(call, "caller")
        await phone.join(call, "callee")
        await console.colour("blue")
        await phone.colour("red")
        heard_by_console, heard_by_phone = await asyncio.gather(console.heard(), phone.heard())
        assert loud_at(heard_by_console, 1300) > 0.5 and loud_at(heard_by_console, 700) < 0.1
        assert loud_at(heard_by_phone, 700) > 0.5 and loud_at(heard_by_phone, 1300) < 0.1
        assert call.state("caller") == call.state("callee") == "connected"
        # the field side's camera is a source the wall can show; a still of it is a JPEG
        assert server.source(call_source_id("c1")).state() == "live"
        jpeg = await call.snapshot("callee")
        assert jpeg is not None and jpeg[:2] == b"\xff\xd8"
        # each view is encoded once, by our encoder
        assert {e["screen"] for e in server.encoders.stats()} == {"call:c1:to-caller", "call:c1:to-callee"}
    finally:
        await console.close()
        await phone.close()
        await call.end()
    assert server.source(call_source_id("c1")).state() == "ended"
    assert server.encoders.stats() == []


async def test_a_side_that_drops_comes_back_into_the_same_call(server):
    states: list[tuple[str, str]] = []
    call = CallMedia(server, "c2", "Commander", "Worker", on_state=lambda side, st: states.append((side, st)))
    await asyncio.to_thread(call.start)
    console, phone = Side("red", 700.0), Side("green", 1100.0)
    again = Side("white", 1100.0)
    try:
        await console.join(call, "caller")
        await phone.join(call, "callee")
        await console.colour("green")
        await phone.close()  # the phone's network is gone
        for _ in range(100):
            if ("callee", "reconnecting") in states:
                break
            await asyncio.sleep(0.1)
        assert ("callee", "reconnecting") in states
        await again.join(call, "callee")  # a new peer connection into the same call
        await console.colour("white")
        assert call.sides["callee"].joins == 2 and call.state("caller") == "connected"
    finally:
        for s in (console, phone, again):
            await s.close()
        await call.end()


@pytest.mark.parametrize("change,field", [
    (lambda sdp: sdp.replace("m=audio", "m=application"), "m=audio"),
    (lambda sdp: sdp.replace("a=recvonly", "a=inactive", 1), "m=video"),
    (lambda sdp: "not sdp", "v="),
])
async def test_a_call_offer_is_read_before_anything_is_made(change, field):
    side = Side("red", 700.0)
    try:
        await side.pc.setLocalDescription(await side.pc.createOffer())
        sdp = side.pc.localDescription.sdp
        check_call_offer(sdp)
        with pytest.raises(OfferRejected) as info:
            check_call_offer(change(sdp))
        assert info.value.field == field
    finally:
        await side.close()
