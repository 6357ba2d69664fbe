"""Recording to MP4: a composed output's pictures (H.264) and a mixer's voices (AAC), written in a thread of its
own into a hidden file that takes its name only once it is whole (a recording is either complete or absent).

A call records the field side's picture as the console sees it (an output: the camera fitted, labelled) and
everyone's voices (a mixer listener without a voice of its own); a consultation room records its composition and
its room mix the same way.
"""

from __future__ import annotations

import fractions
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from .audio import SAMPLE_RATE, AudioMixer
from .frames import Frame

if TYPE_CHECKING:
    from .server import MediaServer

log = logging.getLogger("media.recorder")

AUDIO_TB = fractions.Fraction(1, SAMPLE_RATE)


@dataclass
class RecordingResult:
    path: str | None
    seconds: float
    bytes: int
    frames: int
    error: str | None = None


class Recorder:
    """Records `output_id` and `mixer` into `path` from `start()` to `stop()`."""

    def __init__(self, server: MediaServer, output_id: str, mixer: AudioMixer, path: Path, fps: int = 15,
                 video_kbps: int = 1200) -> None:
        self.server = server
        self.output_id = output_id
        self.mixer = mixer
        self.path = path
        self.fps = fps
        self.video_kbps = video_kbps
        self.listener_id = f"recorder:{path.name}"
        self._audio: queue.Queue[np.ndarray] = queue.Queue(maxsize=500)  # 10 s of audio at most in hand
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.result: RecordingResult | None = None
        self.started_at = 0.0

    def start(self) -> None:
        """Begin (blocking for a moment: the output is acquired so it is composed while recording)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.server.acquire_output(self.output_id)
        self.mixer.add_listener(self.listener_id, self._on_audio)
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._run, name=f"recorder-{self.path.stem}", daemon=True)
        self._thread.start()

    def _on_audio(self, pcm: np.ndarray) -> None:  # the mixer's thread
        try:
            self._audio.put_nowait(pcm.copy())
        except queue.Full:
            pass  # the writer is far behind: a gap in the sound rather than unbounded memory

    def stop(self) -> RecordingResult:
        """Finish and close the file (blocking: call it in a thread)."""
        self._stop.set()
        self.mixer.remove_listener(self.listener_id)
        if self._thread is not None:
            self._thread.join(30)
        self.server.release_output(self.output_id)
        return self.result or RecordingResult(None, 0.0, 0, 0, "the recorder did not finish")

    def _run(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.part")
        frames = 0
        try:
            container = av.open(str(tmp), mode="w", format="mp4")
            try:
                frames = self._write(container)
            finally:
                container.close()
            os.replace(tmp, self.path)
            seconds = time.time() - self.started_at
            self.result = RecordingResult(str(self.path), round(seconds, 1), self.path.stat().st_size, frames)
            log.info("recording written", extra={"path": str(self.path), "seconds": round(seconds, 1),
                                                 "frames": frames})
        except Exception as exc:
            log.exception("recording failed", extra={"path": str(self.path)})
            tmp.unlink(missing_ok=True)
            self.result = RecordingResult(None, 0.0, 0, frames, f"{type(exc).__name__}: {exc}")

    def _write(self, container: av.container.OutputContainer) -> int:
        latest = self.server.output(self.output_id)
        first = latest.wait_newer(0, 5.0)
        width, height = (first.width, first.height) if first is not None else (640, 360)
        video = container.add_stream("libx264", rate=self.fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = fractions.Fraction(1, self.fps)
        video.bit_rate = self.video_kbps * 1000
        video.options = {"preset": "veryfast", "tune": "zerolatency"}
        audio = container.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        audio.bit_rate = 64_000
        fifo = av.AudioFifo()
        t0 = time.monotonic()
        period = 1.0 / self.fps
        next_at = t0
        frames = 0
        last_tick = -1
        audio_pts = 0
        blank = Frame.blank(width, height)
        while True:
            stopping = self._stop.is_set()
            now = time.monotonic()
            if now >= next_at or stopping:
                frame = latest.get() or blank
                if (frame.width, frame.height) != (width, height):
                    frame = blank  # the output never changes size; a stray frame is skipped
                vf = frame.to_av()
                # On the encoder's own grid (1/fps): a finer time would be rounded onto it and two frames in one
                # slot would share a timestamp, which the MP4 muxer refuses.
                last_tick = max(round((now - t0) * self.fps), last_tick + 1)
                vf.pts = last_tick
                vf.time_base = fractions.Fraction(1, self.fps)
                for packet in video.encode(vf):
                    container.mux(packet)
                frames += 1
                next_at += period
                if next_at < now - 1.0:  # far behind: skip rather than burst
                    next_at = now + period
            while True:
                try:
                    pcm = self._audio.get_nowait()
                except queue.Empty:
                    break
                af = av.AudioFrame.from_ndarray(pcm.reshape(1, -1).astype(np.float32), format="fltp", layout="mono")
                af.sample_rate = SAMPLE_RATE
                af.pts, af.time_base = audio_pts, AUDIO_TB
                audio_pts += pcm.size
                fifo.write(af)
            size = audio.codec_context.frame_size or 1024
            while fifo.samples >= size:
                chunk = fifo.read(size)
                if chunk is None:
                    break
                for packet in audio.encode(chunk):
                    container.mux(packet)
            if stopping:
                break
            self._stop.wait(max(0.0, min(next_at - time.monotonic(), 0.02)))
        for packet in video.encode(None):
            container.mux(packet)
        for packet in audio.encode(None):
            container.mux(packet)
        return frames
