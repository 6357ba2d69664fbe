"""``file://path``: a video file played in a loop at its own frame rate (demos, tests, benchmarks).

``file:///abs/path.mp4`` or ``file://relative/path.mp4``; ``?fps=N`` overrides the pacing rate.
"""

from __future__ import annotations

import random
import time
from urllib.parse import parse_qs, unquote, urlparse

import av

from media.sources.base import Source, SourceSpec, register
from media.sources.decoder import VideoDecoder


def file_path(url: str) -> str:
    u = urlparse(url)
    return unquote(u.netloc + u.path) if u.netloc else unquote(u.path)


@register("file")
class FileSource(Source):
    """Decodes a file in a loop, paced in real time; decodes only while watched."""

    kind = "file"
    alive_when_idle = True
    # Behind schedule (a busy machine), frames are caught up like a camera's queued packets,
    # up to this much; beyond it the debt is dropped.
    max_debt_s = 1.0

    def __init__(self, cfg: SourceSpec) -> None:
        super().__init__(cfg)
        self.path = file_path(self.url)
        q = parse_qs(urlparse(self.url).query)
        self._fps_override = float(q["fps"][0]) if "fps" in q else None

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            if not self._wait_for_viewers():
                return
            try:
                self._play()
                failures = 0
            except (av.FFmpegError, OSError) as exc:
                self._mark_failed(f"{type(exc).__name__}: {exc}")
                failures += 1
                self._reconnects += 1
                if not self._sleep(min(10.0, 0.5 * 2 ** min(failures, 5)) * random.uniform(0.5, 1.0)):
                    return

    def _play(self) -> None:
        with av.open(self.path, timeout=(5.0, 5.0)) as container:
            stream = container.streams.video[0]
            rate = self._fps_override or float(stream.average_rate or stream.guessed_rate or 25)
            period = 1.0 / rate
            decoder = VideoDecoder(stream)
            self._mark_connected()
            next_t = time.monotonic()
            while not self._stopping.is_set():
                got = False
                for packet in container.demux(stream):
                    if self._stopping.is_set():
                        return
                    if self._viewers <= 0:
                        if not self._wait_for_viewers():
                            return
                        next_t = time.monotonic()
                    self._data(packet.size)
                    for frame in decoder.decode(packet, self.skip_loop_filter):
                        got = True
                        delay = next_t - time.monotonic()
                        if delay > 0 and not self._sleep(delay):
                            return
                        self._emit(frame)
                        next_t += period
                        if next_t < time.monotonic() - self.max_debt_s:  # far behind: drop the debt
                            next_t = time.monotonic()
                if not got:
                    raise av.error.InvalidDataError(0, "no video frames in file")
                container.seek(0)
                decoder.reset()
