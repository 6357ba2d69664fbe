"""The pages of `hall bench room` and `hall bench call`, in a process of their own (so the server's CPU is the
server's): each an aiortc peer connection as the room page or a call page makes it (the other side's or the
room's picture received, a voice both ways, a camera). The cameras send one H.264 clip encoded once beforehand
(a participant's own encoder is its phone's work, not the server's); the probe's camera is live, with the time of
capture drawn into it, and whoever receives it reads that time back: glass to glass through the server.

Run by backend/bench/room.py and call.py:
`python -m backend.bench.peers room|call URL N SECONDS WARMUP WxH FPS`; prints one JSON line.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import statistics
import sys
import time

import aiohttp
import av
import numpy as np
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack, VideoStreamTrack

from media.audio import SAMPLE_RATE, SAMPLES, mono_to_frame
from media.sources.pattern import decode_timecode, draw_timecode, timecode_latency_ms, timecode_now

SIZE = [640, 360]  # the cameras' picture and frame rate (set from the command line)
FPS = 15
VIDEO_TB = fractions.Fraction(1, 90_000)


def encode_clip(seconds: float = 2.0) -> list[bytes]:
    """A moving 640x360 picture as H.264 access units (Annex B), a keyframe every second, looped by the senders."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.time_base = fractions.Fraction(1, FPS)
    codec.options = {"preset": "veryfast", "tune": "zerolatency", "profile": "baseline", "g": str(FPS),
                     "bitrate": "600k"}
    out: list[bytes] = []
    xs = np.arange(SIZE[0])[None, :]
    for i in range(int(seconds * FPS)):
        y = ((xs + i * 8) % 256).astype(np.uint8).repeat(SIZE[1], axis=0)
        frame = av.VideoFrame.from_ndarray(np.vstack([y, np.full((SIZE[1] // 2, SIZE[0]), 128, np.uint8)]),
                                           format="yuv420p")
        frame.pts = i
        out += [bytes(p) for p in codec.encode(frame)]
    out += [bytes(p) for p in codec.encode(None)]
    return out


class ClipTrack(MediaStreamTrack):
    """A camera that sends the pre-encoded clip (aiortc packetises av.Packet without encoding)."""

    kind = "video"

    def __init__(self, clip: list[bytes]) -> None:
        super().__init__()
        self.clip = clip
        self.n = 0
        self.t0: float | None = None

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        self.t0 = loop.time() if self.t0 is None else self.t0
        await asyncio.sleep(max(0.0, self.t0 + self.n / FPS - loop.time()))
        packet = av.Packet(self.clip[self.n % len(self.clip)])
        packet.pts = self.n * (90_000 // FPS)
        packet.time_base = VIDEO_TB
        self.n += 1
        return packet


class TimecodeCamera(VideoStreamTrack):
    """The probe's camera: a grey picture with the capture time (ms) in the pattern's timecode band."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        y = np.full((SIZE[1], SIZE[0]), 110, np.uint8)
        u = np.full((SIZE[1] // 2, SIZE[0] // 2), 128, np.uint8)
        v = u.copy()
        draw_timecode(y, u, v, timecode_now())
        frame = av.VideoFrame.from_ndarray(np.vstack([y, u.reshape(-1, SIZE[0]), v.reshape(-1, SIZE[0])]),
                                           format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        return frame


class Tone(AudioStreamTrack):
    def __init__(self, hz: float) -> None:
        super().__init__()
        self.hz, self.n, self.t0 = hz, 0, None

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        self.t0 = loop.time() if self.t0 is None else self.t0
        await asyncio.sleep(max(0.0, self.t0 + self.n / SAMPLE_RATE - loop.time()))
        t = (np.arange(SAMPLES) + self.n) / SAMPLE_RATE
        frame = mono_to_frame((0.1 * np.sin(2 * np.pi * self.hz * t)).astype(np.float32), self.n)
        self.n += SAMPLES
        return frame


def prefer_h264(transceiver) -> None:
    codecs = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    transceiver.setCodecPreferences(codecs)


class Peer:
    def __init__(self, pid: str, camera: MediaStreamTrack, hz: float) -> None:
        self.pid = pid
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver(Tone(hz), direction="sendrecv")
        prefer_h264(self.pc.addTransceiver(camera, direction="sendonly"))
        self.video: MediaStreamTrack | None = None
        self.got = asyncio.Event()
        self.frames = 0
        self.audio_frames = 0
        self._tasks: list[asyncio.Task] = []

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self.video = track
                self.got.set()
            else:
                self._tasks.append(asyncio.ensure_future(self._drain_audio(track)))

    async def _drain_audio(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                self.audio_frames += 1
        except MediaStreamError:
            pass

    async def join(self, session: aiohttp.ClientSession, url: str) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with session.post(f"{url}/join/{self.pid}", data=self.pc.localDescription.sdp) as resp:
            answer = await resp.text()
            if resp.status != 201:
                raise RuntimeError(f"join {self.pid}: {resp.status} {answer}")
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.wait_for(self.got.wait(), 30)

    async def watch(self, until: float, on_frame=None) -> None:
        """Take the room's picture (decoded by aiortc either way) until `until` (loop time)."""
        loop = asyncio.get_running_loop()
        assert self.video is not None
        while loop.time() < until:
            try:
                frame = await asyncio.wait_for(self.video.recv(), 2)
            except (TimeoutError, MediaStreamError):
                continue
            self.frames += 1
            if on_frame is not None:
                on_frame(frame)

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        await self.pc.close()


def contained(box: tuple[int, int, int, int], aspect: float) -> tuple[int, int, int, int]:
    """Where a picture of `aspect` (w/h) shows inside `box` (x, y, w, h) when fitted whole ("contain")."""
    x, y, w, h = box
    if w / h > aspect:
        pw = round(h * aspect)
        return x + (w - pw) // 2, y, pw, h
    ph = round(w / aspect)
    return x, y + (h - ph) // 2, w, ph


class Probe:
    """Reads the probe camera's capture time back from received pictures, where it shows (`rect`)."""

    def __init__(self, rect: tuple[int, int, int, int]) -> None:
        self.rect = rect
        self.latencies: list[int] = []
        self.unreadable = 0

    def read(self, frame: av.VideoFrame) -> None:
        luma = frame.to_ndarray(format="gray")
        x, y, w, h = self.rect
        for dy in (0, -2, 2, -4, 4):
            code = decode_timecode(luma[max(0, y + dy): y + dy + h, x: x + w])
            if code is not None:
                self.latencies.append(timecode_latency_ms(code))
                return
        self.unreadable += 1

    def figures(self) -> dict[str, object]:
        lat = sorted(self.latencies)
        return {"g2g_ms_p50": lat[len(lat) // 2] if lat else None,
                "g2g_ms_p95": lat[int(len(lat) * 0.95)] if lat else None,
                "g2g_samples": len(lat), "g2g_unreadable": self.unreadable}


async def measure(url: str, peers: list[Peer], watcher: Peer, probe: Probe, seconds: float,
                  warmup: float) -> dict[str, object]:
    """Join everyone, tell the server (POST /ready), warm up, then watch for `seconds`: frame rates, the probe."""
    async with aiohttp.ClientSession() as session:
        for p in peers:
            await p.join(session, url)
        async with session.post(f"{url}/ready") as resp:
            if resp.status != 200:
                raise RuntimeError(f"ready: {resp.status} {await resp.text()}")
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(p.watch(loop.time() + warmup) for p in peers))
        frames0, cpu0, t0 = [p.frames for p in peers], time.process_time(), loop.time()
        await asyncio.gather(*(p.watch(t0 + seconds, probe.read if p is watcher else None) for p in peers))
        elapsed = loop.time() - t0
        fps = [(p.frames - f0) / elapsed for p, f0 in zip(peers, frames0, strict=True)]
        cpu = (time.process_time() - cpu0) / elapsed
        for p in peers:
            await p.close()
    return {"fps_received_min": round(min(fps), 1), "fps_received_mean": round(statistics.fmean(fps), 1),
            **probe.figures(), "peers_cpu_cores": round(cpu, 2),
            "audio_frames_per_peer_s": round(sum(p.audio_frames for p in peers) / len(peers) / (elapsed + warmup),
                                             1)}


async def run(kind: str, url: str, n: int, seconds: float, warmup: float) -> dict[str, object]:
    clip = await asyncio.to_thread(encode_clip)
    aspect = SIZE[0] / SIZE[1]
    if kind == "room":  # the probe spotlighted: large on the left of the room's 640x360 picture
        from media.rooms import MAIN_SHARE
        peers = [Peer("p0", TimecodeCamera(), 400.0)] + [Peer(f"p{i}", ClipTrack(clip), 400.0 + 60 * i)
                                                          for i in range(1, n)]
        watcher, box = peers[0], (0, 0, (round(640 * MAIN_SHARE) // 2) * 2, 360)
    else:  # n calls: the first caller's camera is the probe, its callee watches it (the whole picture)
        peers = []
        for i in range(n):
            peers += [Peer(f"{i}/caller", TimecodeCamera() if i == 0 else ClipTrack(clip), 500.0),
                      Peer(f"{i}/callee", ClipTrack(clip), 900.0)]
        watcher, box = peers[1], (0, 0, SIZE[0], SIZE[1])
    return await measure(url, peers, watcher, Probe(contained(box, aspect)), seconds, warmup)


def main() -> None:
    kind, url, n, seconds, warmup, size, fps = sys.argv[1:8]
    w, h = size.split("x")
    SIZE[:] = [int(w), int(h)]
    global FPS
    FPS = int(fps)
    print(json.dumps(asyncio.run(run(kind, url, int(n), float(seconds), float(warmup)))), flush=True)


if __name__ == "__main__":
    main()
