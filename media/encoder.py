"""One H.264 encoder per screen: composed frames in, av.Packets out, shared by every viewer.

aiortc would encode once per viewer (an encoder per RTCRtpSender); we encode once in a worker
thread and hand the same packets to every RTCRtpSender, which only packetises them.
"""

from __future__ import annotations

import fractions
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import av
from av.video.codeccontext import VideoCodecContext
from av.video.frame import PictureType

from .frames import Frame, LatestFrame

log = logging.getLogger("hall.media.encoder")

RTP_CLOCK = 90_000  # H.264 over RTP counts time in 90 kHz ticks
TIME_BASE = fractions.Fraction(1, RTP_CLOCK)

if TYPE_CHECKING:  # PyAV's Packet is generic in its stubs only
    from typing import TypeAlias

    EncodedPacket: TypeAlias = av.Packet[Any]  # an H.264 packet of a screen, attached to no stream
PacketListener = Callable[["EncodedPacket"], None]


@dataclass(frozen=True)
class EncoderSettings:
    """x264 settings of every screen (the `encoder:` section of the configuration)."""

    preset: str = "ultrafast"      # aiortc's default (x264 "medium") cannot hold 1080p25 here
    bitrate_kbps: int = 2500
    gop_seconds: float = 2.0       # longest time between keyframes; viewers' PLI forces more
    threads: int = 0               # 0: x264 decides
    min_pli_interval_s: float = 0.5  # keyframes requested by PLI/FIR are honoured at most this often
    idle_repeat_s: float = 1.0     # re-send the last picture this often when no new frame comes

    def codec_options(self, fps: int) -> dict[str, str]:
        gop = max(1, round(self.gop_seconds * fps))
        kbps = str(self.bitrate_kbps)
        return {
            "preset": self.preset,
            "tune": "zerolatency",        # no lookahead, no frame threading delay
            "profile": "baseline",        # constrained baseline: every WebRTC H.264 decoder plays it
            "forced-idr": "1",            # a forced keyframe is an IDR, so a late joiner can start on it
            # SPS/PPS before every keyframe: Chromium cannot start from SDP-only parameter sets.
            "x264-params": f"repeat-headers=1:scenecut=0:keyint={gop}:min-keyint={gop}:bframes=0:"
                           f"vbv-maxrate={kbps}:vbv-bufsize={kbps}",
        }


class KeyframeSink(Protocol):
    def request_keyframe(self, reason: str = "join") -> None: ...


class ScreenEncoder:
    """Encodes the newest frames of one LatestFrame with libx264 in its own thread.

    Listeners get every packet (called in the encoder thread; keep them short).
    """

    def __init__(self, frames: LatestFrame, settings: EncoderSettings, fps: int, name: str = "screen") -> None:
        self.frames = frames
        self.settings = settings
        self.fps = fps
        self.name = name
        self._listeners: list[PacketListener] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._codec: VideoCodecContext | None = None
        self._size: tuple[int, int] | None = None
        self._keyframe_due: float | None = None  # from then on, the next frame is an IDR
        self._last_keyframe_at = -1e9
        self._last_pts = -1
        self._t0: float | None = None
        # figures for health and tests
        self.frames_encoded = 0
        self.keyframes = 0
        self.bytes_out = 0
        self.last_encode_ms = 0.0

    # -- control -----------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"encoder-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = True, timeout: float = 5.0) -> None:
        """Stop the thread; `wait=False` returns at once (from the event loop) and lets it finish alone."""
        self._stop.set()
        if self._thread is not None:
            if wait:
                self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def subscribe(self, listener: PacketListener) -> Callable[[], None]:
        """Add a listener of packets; returns the function that removes it."""
        with self._lock:
            self._listeners = [*self._listeners, listener]

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = [x for x in self._listeners if x is not listener]
        return unsubscribe

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def request_keyframe(self, reason: str = "join") -> None:
        """Make a coming frame an IDR.

        A viewer joining gets it on the next frame; PLI/FIR (`reason="pli"`) are served at
        most once per `min_pli_interval_s` (later, not never), since a receiver repeats them
        until the keyframe arrives and every keyframe costs every viewer bandwidth.
        """
        now = time.monotonic()
        due = now if reason == "join" else max(now, self._last_keyframe_at + self.settings.min_pli_interval_s)
        with self._lock:
            if self._keyframe_due is None or due < self._keyframe_due:
                self._keyframe_due = due

    def stats(self) -> dict[str, float | int | str]:
        return {"screen": self.name, "frames_encoded": self.frames_encoded, "keyframes": self.keyframes,
                "bytes_out": self.bytes_out, "last_encode_ms": round(self.last_encode_ms, 2),
                "viewers": self.listeners}

    # -- the worker thread -----------------------------------------------------------
    def _run(self) -> None:
        seq = -1
        last: Frame | None = None
        last_sent = time.monotonic()
        interval = 1.0 / self.fps
        failures = 0
        try:
            while not self._stop.is_set():
                frame = self.frames.wait_newer(seq, timeout=interval)
                now = time.monotonic()
                if frame is not None:
                    seq, last = frame.seq, frame
                elif last is None or not (self._keyframe_pending() or now - last_sent >= self.settings.idle_repeat_s):
                    continue
                # else: no new picture, but a joiner still needs a keyframe and a still screen must not look dead
                try:
                    self._encode(last, frame.time if frame is not None else now)
                    failures = 0
                except (av.FFmpegError, ValueError) as exc:
                    # A broken codec must not end the screen: start a fresh one (first frame an IDR).
                    failures += 1
                    self._close_codec()
                    if failures in (1, 10, 100) or failures % 1000 == 0:
                        log.error("encoding failed", extra={"screen": self.name, "error": str(exc),
                                                            "failures": failures})
                    self._stop.wait(min(1.0, 0.01 * failures))
                last_sent = now
        except Exception:
            log.exception("encoder stopped by an error", extra={"screen": self.name})
        finally:
            self._close_codec()

    def _keyframe_pending(self) -> bool:
        due = self._keyframe_due
        return due is not None and time.monotonic() >= due

    def _open(self, width: int, height: int) -> VideoCodecContext:
        self._close_codec()
        codec = av.CodecContext.create("libx264", "w")
        codec.width, codec.height = width, height
        codec.pix_fmt = "yuv420p"
        codec.time_base = TIME_BASE
        codec.framerate = fractions.Fraction(self.fps, 1)
        codec.bit_rate = self.settings.bitrate_kbps * 1000
        codec.gop_size = max(1, round(self.settings.gop_seconds * self.fps))
        codec.max_b_frames = 0
        codec.thread_count = self.settings.threads
        codec.options = self.settings.codec_options(self.fps)
        codec.open()
        self._codec, self._size = codec, (width, height)
        log.info("encoder opened", extra={"screen": self.name, "size": f"{width}x{height}",
                                          "preset": self.settings.preset, "kbps": self.settings.bitrate_kbps})
        return codec

    def _close_codec(self) -> None:
        # PyAV's codec contexts have no close(): FFmpeg's context is freed with its last reference.
        self._codec = None

    def _encode(self, frame: Frame, at: float) -> None:
        codec = self._codec
        if codec is None or self._size != (frame.width, frame.height):
            codec = self._open(frame.width, frame.height)  # the first frame of a new codec is an IDR
        if self._t0 is None:
            self._t0 = at
        pts = max(round((at - self._t0) * RTP_CLOCK), self._last_pts + 1)
        self._last_pts = pts
        vf = frame.to_av()
        vf.pts, vf.time_base = pts, TIME_BASE
        started_at = time.monotonic()
        if self._keyframe_pending():
            vf.pict_type = PictureType.I
        started = time.perf_counter()
        packets = codec.encode(vf)
        self.last_encode_ms = (time.perf_counter() - started) * 1000
        self.frames_encoded += 1
        for packet in packets:
            packet.time_base = TIME_BASE
            if packet.is_keyframe:
                self._last_keyframe_at = time.monotonic()
                self.keyframes += 1
                with self._lock:  # served: every request made before this encode began
                    if self._keyframe_due is not None and self._keyframe_due <= started_at:
                        self._keyframe_due = None
            self.bytes_out += packet.size
            for listener in self._listeners:
                try:
                    listener(packet)
                except Exception:
                    log.exception("packet listener failed", extra={"screen": self.name})


class Outputs(Protocol):
    """What the encoders need of the media engine: an output's composed frames and its viewer count."""

    def output(self, output_id: str) -> LatestFrame: ...
    def acquire_output(self, output_id: str) -> None: ...
    def release_output(self, output_id: str) -> None: ...


class OutputEncoders:
    """At most one running encoder per output (a wall screen, a call's picture, a room's grid), kept while
    anyone watches it: every viewer of an output gets the same packets."""

    def __init__(self, outputs: Outputs, settings: EncoderSettings, fps: int) -> None:
        self.outputs = outputs
        self.settings = settings
        self.fps = fps
        self._encoders: dict[str, tuple[ScreenEncoder, int]] = {}
        self._lock = threading.Lock()
        self.started = 0  # encoders made so far (a refused WHEP offer must make none)

    def acquire(self, output_id: str) -> ScreenEncoder:
        with self._lock:
            enc, users = self._encoders.get(output_id, (None, 0))
            if enc is None:
                frames = self.outputs.output(output_id)  # KeyError for an unknown output
                self.outputs.acquire_output(output_id)
                enc = ScreenEncoder(frames, self.settings, self.fps, name=output_id)
                enc.start()
                self.started += 1
            self._encoders[output_id] = (enc, users + 1)
            return enc

    def release(self, output_id: str) -> None:
        with self._lock:
            enc, users = self._encoders.get(output_id, (None, 0))
            if enc is None:
                return
            if users > 1:
                self._encoders[output_id] = (enc, users - 1)
                return
            del self._encoders[output_id]
        enc.stop(wait=False)
        self.outputs.release_output(output_id)

    def get(self, output_id: str) -> ScreenEncoder | None:
        entry = self._encoders.get(output_id)
        return entry[0] if entry else None

    def stats(self) -> list[dict[str, float | int | str]]:
        return [enc.stats() for enc, _ in list(self._encoders.values())]

    def close(self) -> None:
        with self._lock:
            entries = list(self._encoders.items())
            self._encoders.clear()
        for output_id, (enc, _) in entries:
            enc.stop()
            self.outputs.release_output(output_id)
