"""``rtsp://`` cameras: PyAV over TCP with open/read timeouts, reconnect with backoff, main/sub stream.

The connection is kept while nobody watches (so health stays true), but packets are only decoded
for viewers. A camera shown small everywhere (at most SUB_BELOW of its main size) switches to
its ``sub_url``; back to the main stream above MAIN_ABOVE (hysteresis, at most every SWITCH_MIN_S).
"""

from __future__ import annotations

import logging
import random
import time

import av

from media.sources.base import Source, SourceSpec, register
from media.sources.decoder import VideoDecoder

log = logging.getLogger("media.sources.rtsp")


@register("rtsp")
@register("rtsps")
class RtspSource(Source):
    """A supervised RTSP camera."""

    kind = "rtsp"
    open_timeout_s = 5.0
    read_timeout_s = 3.0
    backoff_base_s = 0.5
    backoff_max_s = 8.0
    stable_after_s = 10.0  # a connection that lived this long resets the backoff
    SUB_BELOW = 0.4
    MAIN_ABOVE = 0.5
    SWITCH_MIN_S = 5.0

    def __init__(self, cfg: SourceSpec) -> None:
        super().__init__(cfg)
        self._use_sub = False
        self._switch = False
        self._last_switch = float("-inf")
        self._main_size: tuple[int, int] | None = None

    # -- stream choice ------------------------------------------------------------------------------
    def decode_hint(self, scale: float) -> None:
        """scale: largest shown size / decoded size; also picks the main or the sub stream."""
        super().decode_hint(scale)
        if not self.sub_url:
            return
        frame = self.latest.get()
        if frame is None or self._main_size is None:
            return
        main_scale = scale * frame.width / self._main_size[0] if self._use_sub else scale
        want_sub = main_scale <= self.SUB_BELOW if not self._use_sub else main_scale <= self.MAIN_ABOVE
        now = time.monotonic()
        if want_sub != self._use_sub and now - self._last_switch >= self.SWITCH_MIN_S:
            self._use_sub = want_sub
            self._last_switch = now
            self._switch = True

    @property
    def skip_loop_filter(self) -> bool:
        # The hint is relative to the decoded stream; right after a switch it is stale for a moment.
        return super().skip_loop_filter

    # -- the decode thread ----------------------------------------------------------------------
    def _run(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            url = self.sub_url if (self._use_sub and self.sub_url) else self.url
            self._stream = "sub" if url != self.url else "main"
            started = time.monotonic()
            try:
                self._session(url)
            except (av.FFmpegError, OSError, EOFError, IndexError) as exc:
                if self._stopping.is_set():
                    return
                msg = f"{type(exc).__name__}: {exc}"
                if not self._failed:
                    log.warning("source %s: %s; reconnecting", self.id, msg)
                self._mark_failed(msg)
            else:
                if self._stopping.is_set():
                    return
                if self._switch:  # planned: main <-> sub, no backoff
                    self._switch = False
                    continue
                self._mark_failed("the camera ended the stream")
            if time.monotonic() - started >= self.stable_after_s:
                attempt = 0
            delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** attempt) * random.uniform(0.5, 1.0)
            attempt += 1
            if not self._sleep(delay):
                return
            self._reconnects += 1

    def _session(self, url: str) -> None:
        """One connection: open, then demux (and decode for viewers) until it fails or is told to stop."""
        options = {"rtsp_transport": "tcp", "timeout": str(int(self.read_timeout_s * 1e6))}
        container = av.open(url, options=options, timeout=(self.open_timeout_s, self.read_timeout_s))
        try:
            stream = container.streams.video[0]
            decoder = VideoDecoder(stream)
            self._mark_connected()
            self._error = None
            idle = True
            first = True
            for packet, waited in _timed(container.demux(stream)):
                if self._stopping.is_set() or self._switch:
                    return
                if not first and waited >= self.read_timeout_s * 0.9:
                    # On a silent connection that stays open (a hung camera, a cut network), FFmpeg's
                    # RTSP demuxer answers its read timeout by handing out the packet it still held and
                    # then waits out another timeout. Decoded, that stale picture would flip the window
                    # from the slate back to "live" for a moment: treat the timeout as the failure it is.
                    raise EOFError(f"no data for {waited:.1f} s (read timeout)")
                first = False
                if packet.size == 0:
                    continue
                self._data(packet.size)
                if self._viewers <= 0:
                    if not idle:
                        decoder.reset()  # packets will be dropped: restart at a keyframe
                        idle = True
                    continue
                idle = False
                for frame in decoder.decode(packet, self.skip_loop_filter):
                    if self._stream == "main":
                        self._main_size = (frame.width, frame.height)
                    self._emit(frame)
            raise EOFError("end of stream")
        finally:
            if self._switch and not self._stopping.is_set():
                # keep the picture (no slate) while the other stream opens
                self._resumed_mono = time.monotonic() + self.open_timeout_s
            container.close()


def _timed(packets):
    """(packet, seconds spent waiting for it) pairs: the wait is measured from when the next one was asked for."""
    it = iter(packets)
    while True:
        t = time.monotonic()
        try:
            packet = next(it)
        except StopIteration:
            return
        yield packet, time.monotonic() - t
