"""``rtsp://`` cameras: PyAV over TCP with open/read timeouts, reconnect, main/sub stream.

A lost camera is tried again about every second for the first minute of the outage (a brief drop
heals within a few seconds of the camera's return), then less and less often, up to every 8 s.

The connection is kept while nobody watches (so health stays true), but packets are only decoded
for viewers. A camera shown small everywhere (at most SUB_BELOW of its main size) switches to
its ``sub_url``; back to the main stream above MAIN_ABOVE (hysteresis, at most every SWITCH_MIN_S).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable, Iterator
from typing import Any

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
    retry_s = 1.0  # between attempts in the first minute of an outage (jittered x0.5-1)
    quick_retries_for_s = 60.0
    backoff_max_s = 8.0  # then doubling from 2 x retry_s up to this
    SUB_BELOW = 0.4
    MAIN_ABOVE = 0.5
    SWITCH_MIN_S = 5.0

    def __init__(self, cfg: SourceSpec) -> None:
        super().__init__(cfg)
        self._use_sub = False
        self._switch = False
        self._last_switch = float("-inf")
        self._main_size: tuple[int, int] | None = None
        self._session_data = False  # the current connection has delivered packets

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

    def retry_delay(self, outage_s: float, slow_attempt: int) -> float:
        """Seconds before the next attempt, ``outage_s`` into an outage; ``slow_attempt`` numbers the
        attempts after the quick first minute (1, 2, ...; 0 within it)."""
        if outage_s < self.quick_retries_for_s:
            base = self.retry_s
        else:
            base = min(self.backoff_max_s, self.retry_s * 2 ** min(max(slow_attempt, 1), 16))
        return base * random.uniform(0.5, 1.0)  # jitter: cameras lost together do not retry in step

    # -- the decode thread ----------------------------------------------------------------------
    def _run(self) -> None:
        outage_since: float | None = None  # the first failure since the camera last sent data
        slow_attempt = 0
        while not self._stopping.is_set():
            url = self.sub_url if (self._use_sub and self.sub_url) else self.url
            self._stream = "sub" if url != self.url else "main"
            self._session_data = False
            try:
                self._session(url)
            except (av.FFmpegError, OSError, EOFError, IndexError) as exc:
                if self._stopping.is_set():
                    return
                msg = self.redact(f"{type(exc).__name__}: {exc}")  # FFmpeg's texts hold the URL
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
            now = time.monotonic()
            if outage_since is None or self._session_data:
                outage_since, slow_attempt = now, 0
            elif now - outage_since >= self.quick_retries_for_s:
                slow_attempt += 1
            if not self._sleep(self.retry_delay(now - outage_since, slow_attempt)):
                return
            self._reconnects += 1

    def _session(self, url: str) -> None:
        """One connection: open, then demux (and decode for viewers) until it fails or is told to stop."""
        options = {"rtsp_transport": "tcp", "timeout": str(int(self.read_timeout_s * 1e6))}
        container = av.open(self.open_url(url), options=options, timeout=(self.open_timeout_s, self.read_timeout_s))
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
                self._session_data = True
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


def _timed(packets: Iterable[av.Packet[Any]]) -> Iterator[tuple[av.Packet[Any], float]]:
    """(packet, seconds spent waiting for it) pairs: the wait is measured from when the next one was asked for."""
    it = iter(packets)
    while True:
        t = time.monotonic()
        try:
            packet = next(it)
        except StopIteration:
            return
        yield packet, time.monotonic() - t
