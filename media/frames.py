"""Pictures moving through the media pipeline: YUV 4:2:0 frames and the newest-frame holder."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

import av
import numpy as np


@dataclass
class Frame:
    """A picture in YUV 4:2:0 planes (even width and height)."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    time: float = field(default_factory=time.monotonic)
    seq: int = 0
    i420: np.ndarray | None = field(default=None, repr=False)  # the one buffer y, u, v view, if they do
    changed: bool = True  # a composed picture: drawn anew (False: the last one again)

    @property
    def width(self) -> int:
        return int(self.y.shape[1])

    @property
    def height(self) -> int:
        return int(self.y.shape[0])

    @classmethod
    def blank(cls, width: int, height: int, luma: int = 16) -> Frame:
        buf = np.empty(width * height * 3 // 2, dtype=np.uint8)
        frame = cls._from_i420(buf, width, height)
        frame.y[:] = luma
        frame.u[:] = 128
        frame.v[:] = 128
        return frame

    @classmethod
    def _from_i420(cls, buf: np.ndarray, width: int, height: int) -> Frame:
        ysz, csz = width * height, (width // 2) * (height // 2)
        y = buf[:ysz].reshape(height, width)
        u = buf[ysz:ysz + csz].reshape(height // 2, width // 2)
        v = buf[ysz + csz:ysz + 2 * csz].reshape(height // 2, width // 2)
        return cls(y, u, v, i420=buf)

    @classmethod
    def from_av(cls, frame: av.VideoFrame, seq: int = 0) -> Frame:
        """Planes of a decoded frame; yuv420p/yuvj420p need no colour conversion."""
        if frame.format.name not in ("yuv420p", "yuvj420p"):
            frame = frame.reformat(format="yuv420p")
        if frame.width % 2 or frame.height % 2:  # rare: 4:2:0 planes need even sizes
            frame = frame.reformat(width=frame.width & ~1, height=frame.height & ~1, format="yuv420p")
        # Zero copy: views of the decoder's own planes (line padding sliced off). The numpy
        # arrays hold the plane buffers, and FFmpeg never writes a buffer it has handed out.
        y, u, v = (np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width]
                   for p in frame.planes[:3])
        f = cls(y, u, v)
        f.seq = seq
        return f

    def to_av(self) -> av.VideoFrame:
        """An av.VideoFrame over the same memory when the planes are one I420 buffer."""
        buf = self.i420
        h, w = self.height, self.width
        if buf is None:
            buf = np.concatenate([self.y.reshape(-1), self.u.reshape(-1), self.v.reshape(-1)])
        return av.VideoFrame.from_numpy_buffer(buf.reshape(h * 3 // 2, w), format="yuv420p")


class LatestFrame:
    """The newest Frame of one producer; readers never queue behind a slow consumer."""

    def __init__(self) -> None:
        self._frame: Frame | None = None
        self._cond = threading.Condition()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def put(self, frame: Frame) -> None:
        with self._cond:
            self._frame = frame
            self._cond.notify_all()
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def get(self) -> Frame | None:
        return self._frame

    def wait_newer(self, seq: int, timeout: float) -> Frame | None:
        """Block until a frame with seq > `seq` arrives (None on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._frame is None or self._frame.seq <= seq:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._frame

    async def aget_newer(self, seq: int, timeout: float) -> Frame | None:
        """The event-loop version of wait_newer."""
        frame = self._frame
        if frame is not None and frame.seq > seq:
            return frame
        event = asyncio.Event()
        key = (asyncio.get_running_loop(), event)
        with self._cond:
            self._waiters.add(key)
        try:
            deadline = time.monotonic() + timeout
            while True:
                frame = self._frame
                if frame is not None and frame.seq > seq:
                    return frame
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                event.clear()
                try:
                    await asyncio.wait_for(event.wait(), left)
                except TimeoutError:
                    pass
        finally:
            with self._cond:
                self._waiters.discard(key)
