"""Synthetic screens for the delivery tests: a LatestFrame fed with coloured frames at a steady rate."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np

from media.frames import Frame, LatestFrame

# BT.601 limited-range YUV of pure colours, and the RGB a browser should show for them.
YUV = {"red": (81, 90, 240), "green": (145, 54, 34), "blue": (41, 240, 110), "white": (235, 128, 128),
       "black": (16, 128, 128), "yellow": (210, 16, 146)}
RGB = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "white": (255, 255, 255),
       "black": (0, 0, 0), "yellow": (255, 255, 0)}


def quad_frame(width: int, height: int, colours: tuple[str, str, str, str]) -> Frame:
    """Four quadrants: top-left, top-right, bottom-left, bottom-right."""
    f = Frame.blank(width, height)
    hw, hh = width // 2, height // 2
    for i, name in enumerate(colours):
        y, u, v = YUV[name]
        r, c = divmod(i, 2)
        f.y[r * hh:(r + 1) * hh, c * hw:(c + 1) * hw] = y
        f.u[r * hh // 2:(r + 1) * hh // 2, c * hw // 2:(c + 1) * hw // 2] = u
        f.v[r * hh // 2:(r + 1) * hh // 2, c * hw // 2:(c + 1) * hw // 2] = v
    return f


class SyntheticScreen:
    """Puts a frame of the current colours into `latest` `fps` times a second (a stand-in compositor)."""

    def __init__(self, width: int = 640, height: int = 360, fps: int = 25,
                 colours: tuple[str, str, str, str] = ("red", "green", "blue", "white")) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.colours = colours
        self.latest = LatestFrame()
        self.frames_put = 0
        self.paused = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> SyntheticScreen:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        seq = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            if not self.paused:
                f = quad_frame(self.width, self.height, self.colours)
                # a little movement, so every frame differs (as a live wall does)
                f.y[0:8, (seq * 8) % self.width:(seq * 8) % self.width + 8] = 128
                seq += 1
                f.seq = seq
                f.time = time.monotonic()
                self.latest.put(f)
                self.frames_put += 1
            next_at += 1 / self.fps
            time.sleep(max(0.0, next_at - time.monotonic()))


class SyntheticOutputs:
    """The part of MediaEngine the delivery needs (`media.encoder.Outputs`), over synthetic screens."""

    def __init__(self, screens: dict[str, SyntheticScreen]) -> None:
        self.screens = screens
        self.acquired: dict[str, int] = {sid: 0 for sid in screens}

    def output(self, output_id: str) -> LatestFrame:
        return self.screens[output_id].latest

    def acquire_output(self, output_id: str) -> None:
        self.acquired[output_id] += 1

    def release_output(self, output_id: str) -> None:
        self.acquired[output_id] -= 1


def mean_rgb(rgb: np.ndarray) -> tuple[int, int, int]:
    return tuple(int(x) for x in rgb.reshape(-1, 3).mean(axis=0))  # type: ignore[return-value]


def close_to(got: tuple[int, ...], want: tuple[int, ...], tol: int = 45) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(got, want, strict=False))


class SyntheticEngine(SyntheticOutputs):
    """SyntheticOutputs plus `source(id)`: enough of MediaEngine for the WHEP/WHIP routes."""

    def __init__(self, screens: dict[str, SyntheticScreen], sources: dict | None = None) -> None:
        super().__init__(screens)
        self.sources = sources or {}

    def output(self, output_id: str) -> LatestFrame:
        if output_id not in self.screens:
            raise KeyError(output_id)
        return super().output(output_id)

    def source(self, source_id: str):
        return self.sources[source_id]


# -- WebRTC peers that are not the server: an aiortc viewer and an aiortc publisher ----------------
def colour_video_track(colours=("red", "green", "blue", "white"), width: int = 320, height: int = 240):
    """An aiortc track sending a quadrant picture (as a remote publisher's camera would)."""
    import fractions

    from aiortc import VideoStreamTrack

    class _Track(VideoStreamTrack):
        async def recv(self):
            pts, time_base = await self.next_timestamp()
            frame = quad_frame(width, height, colours).to_av()
            frame.pts, frame.time_base = pts, time_base or fractions.Fraction(1, 90000)
            return frame

    return _Track()


class Viewer:
    """An aiortc peer that plays a screen, as any WebRTC player would (create inside a running loop)."""

    def __init__(self, audio: bool = False) -> None:
        import asyncio

        from aiortc import RTCPeerConnection

        self.pc = RTCPeerConnection()
        if audio:
            self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        self.track = asyncio.get_running_loop().create_future()
        self.pc.on("track", lambda t: t.kind == "video" and not self.track.done() and self.track.set_result(t))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        from aiortc import RTCSessionDescription

        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    async def frame(self, timeout: float = 10):
        import asyncio

        track = await asyncio.wait_for(self.track, timeout)
        return await asyncio.wait_for(track.recv(), timeout)

    async def close(self) -> None:
        await self.pc.close()


def quadrant_rgb(rgb: np.ndarray) -> list[tuple[int, int, int]]:
    """Mean colour of the middle of each quadrant (TL, TR, BL, BR) of an RGB picture."""
    h, w = rgb.shape[:2]
    out = []
    for r in range(2):
        for c in range(2):
            patch = rgb[r * h // 2 + h // 8:(r + 1) * h // 2 - h // 8, c * w // 2 + w // 8:(c + 1) * w // 2 - w // 8]
            out.append(mean_rgb(patch))
    return out


async def await_js(page, expression: str, timeout: float = 10.0, every: float = 0.1):
    """Poll a JavaScript expression until truthy (async pages): see tests/e2e/e2e_helpers.wait_js for why."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await page.evaluate(expression)
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {expression[:80]!r}")
        await asyncio.sleep(every)
