"""What every source kind shares: the Source base (decode thread, viewers, health) and the scheme registry.

A source kind is one module in ``media/sources/`` that subclasses ``Source`` and registers its URL
scheme with ``@register("scheme")``; ``open_source(cfg)`` picks the class by the URL's scheme.
"""

from __future__ import annotations

import collections
import importlib
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlparse

from media.credentials import password_from_env, redact, url_password, with_credentials
from media.frames import Frame, LatestFrame

log = logging.getLogger("media.sources")

# "ended": a runtime source its owner closed for good (a call hung up): the wall says so instead of "lost"
SourceState = Literal["connecting", "live", "stalled", "lost", "ended"]

# A source shown at this fraction of its decoded size or less may decode without the loop filter.
SKIP_LOOP_FILTER_SCALE = 0.5


class SourceSpec(Protocol):
    """What a source needs from its configuration (backend.config.SourceConfig fits); a camera's
    ``username`` and ``password_env`` are read when present."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def sub_url(self) -> str | None: ...


@dataclass(frozen=True)
class SourceConfigLite:
    """A plain source description for code without the hall's configuration (tests, benchmarks)."""

    id: str
    url: str
    name: str = ""
    sub_url: str | None = None
    username: str | None = None
    password_env: str | None = None  # the environment variable holding the camera's password


@dataclass
class SourceHealth:
    """One source's health, as shown to operators and exported in /metrics."""

    id: str
    kind: str
    state: SourceState
    fps: float
    last_frame_age_s: float | None
    bitrate_kbps: float
    reconnects: int
    lost_since: float | None  # UTC epoch seconds of the last frame before the loss; None while live
    viewers: int
    width: int | None = None
    height: int | None = None
    stream: str = "main"  # "main" or "sub"
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Rate:
    """Events and bytes over a sliding window (fps, bitrate)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._items: collections.deque[tuple[float, int]] = collections.deque()
        self._lock = threading.Lock()

    def add(self, now: float, nbytes: int = 0) -> None:
        with self._lock:
            self._items.append((now, nbytes))
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._items and now - self._items[0][0] > self.window_s:
            self._items.popleft()

    def rates(self, now: float) -> tuple[float, float]:
        """(events per second, kilobits per second) over the window."""
        with self._lock:
            self._trim(now)
            n = len(self._items)
            nbytes = sum(b for _, b in self._items)
        return n / self.window_s, nbytes * 8 / 1000 / self.window_s


class Source:
    """A picture producer decoded in its own thread into ``latest``; subclasses implement ``_run``.

    Thread model: ``start()`` spawns one daemon thread; ``_run`` loops until ``_stopping`` is set,
    calls ``_wait_for_viewers()`` when it should idle, and ``_emit(frame)`` for every picture.
    """

    kind = "base"
    stall_after_s = 1.0  # no frame for this long while connected: stalled (the wall shows the slate)
    resume_grace_s = 2.0  # after idling, the first frame may take a keyframe interval to come
    alive_when_idle = False  # synthetic kinds cannot fail while idle
    thread_nice = 5  # how much lower than the compose/encode threads the decode thread runs

    def __init__(self, cfg: SourceSpec) -> None:
        self.id: str = cfg.id
        self.name: str = getattr(cfg, "name", "") or cfg.id
        self.url: str = cfg.url
        self.sub_url: str | None = getattr(cfg, "sub_url", None)
        self.username: str | None = getattr(cfg, "username", None)
        self.password_env: str | None = getattr(cfg, "password_env", None)
        self.latest = LatestFrame()
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._viewers = 0
        self._scale = 1.0  # largest shown size / decoded size over all viewers
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._frames = _Rate()
        self._bytes = _Rate()
        self._last_frame_mono: float | None = None
        self._last_frame_wall: float | None = None
        self._last_data_mono: float | None = None
        self._connected = False
        self._ever_live = False
        self._failed = False  # the last open/read failed and we have not been live since
        self._lost_since: float | None = None
        self._reconnects = 0
        self._error: str | None = None
        self._stream = "main"
        self._resumed_mono = float("-inf")

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the decode thread (idempotent)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._guarded_run, name=f"source-{self.id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait for it (reads end within their timeout)."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _guarded_run(self) -> None:
        self._lower_priority()
        try:
            self._run()
        except Exception as exc:  # a bug in a source must not take the wall down; it shows as lost
            # The exception may hold the URL it failed on: the log gets its trace redacted.
            log.error("source %s: decode thread died: %s", self.id, self.redact(f"{type(exc).__name__}: {exc}"),
                      extra={"exc": self.redact("".join(traceback.format_exception(exc)))})
            self._error = "decode thread died (see log)"
            self._mark_failed()

    def _lower_priority(self) -> None:
        # Output before input: with many cameras the kernel shares the CPU per thread, so the few
        # compose and encode threads would starve behind dozens of decoders and the whole wall
        # would stutter. Decoders (and the codec threads they start) run a few nice levels lower;
        # a late decoder only makes its own window late.
        if self.thread_nice <= 0 or not hasattr(os, "setpriority"):
            return
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + self.thread_nice)
        except OSError:
            pass

    def _run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- credentials ----------------------------------------------------------------------------
    def open_url(self, url: str) -> str:
        """The URL as the source opens it: the configured user and password joined in (never kept)."""
        if not self.username:
            return url
        return with_credentials(url, self.username, password_from_env(self.password_env) or url_password(url))

    def redact(self, text: str) -> str:
        """Text fit to leave the media layer: no password of this source's in it, in any form."""
        secrets = (url_password(self.url), url_password(self.sub_url), password_from_env(self.password_env))
        return redact(text, [p for p in secrets if p])

    # -- viewers and hints ----------------------------------------------------------------------
    def want(self, viewers: int) -> None:
        """How many windows on watched screens show this source; 0 stops decoding."""
        viewers = max(0, int(viewers))
        with self._wake:
            if self._viewers <= 0 < viewers:
                self._resumed_mono = time.monotonic() + self.resume_grace_s
            self._viewers = viewers
            self._wake.notify_all()

    @property
    def viewers(self) -> int:
        return self._viewers

    def decode_hint(self, scale: float) -> None:
        """The largest shown size relative to the decoded size; <= 0.5 may skip the loop filter."""
        self._scale = float(scale)

    @property
    def skip_loop_filter(self) -> bool:
        return self._scale <= SKIP_LOOP_FILTER_SCALE

    def _wait_for_viewers(self, timeout: float | None = None) -> bool:
        """Block while nobody watches; True when there is a viewer, False when stopping or timed out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._wake:
            while self._viewers <= 0 and not self._stopping.is_set():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._wake.wait(left if left is not None else 1.0)
        return not self._stopping.is_set()

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopped; False when stopping."""
        return not self._stopping.wait(max(0.0, seconds))

    # -- bookkeeping for subclasses --------------------------------------------------------------
    def _emit(self, frame: Frame) -> None:
        now = time.monotonic()
        self._seq += 1
        frame.seq = self._seq
        frame.time = now
        self._frames.add(now)
        self._last_frame_mono = now
        self._last_frame_wall = time.time()
        self._last_data_mono = now
        self._ever_live = True
        self._failed = False
        self._lost_since = None
        self.latest.put(frame)

    def _data(self, nbytes: int) -> None:
        """Compressed bytes arrived (also while idle: the camera is alive)."""
        now = time.monotonic()
        self._bytes.add(now, nbytes)
        self._last_data_mono = now
        if not self._viewers:
            self._ever_live = True
            self._failed = False
            self._lost_since = None

    def _mark_connected(self) -> None:
        self._connected = True
        self._last_data_mono = time.monotonic()

    def _mark_failed(self, error: str | None = None) -> None:
        self._connected = False
        self._failed = True
        if error:
            self._error = self.redact(error)
        if self._lost_since is None:
            self._lost_since = self._last_frame_wall or time.time()

    # -- health ---------------------------------------------------------------------------------
    def state(self) -> SourceState:
        now = time.monotonic()
        if self._failed:
            return "lost"
        if not self._connected:
            return "lost" if self._ever_live else "connecting"
        if self._viewers:
            last = self._last_frame_mono
            if last is not None:
                last = max(last, self._resumed_mono)
        elif self.alive_when_idle:
            return "live" if self._ever_live else "connecting"
        else:
            last = self._last_data_mono
        if last is None:
            return "connecting"
        if now - last > self.stall_after_s:
            return "stalled"
        return "live"

    def lost_since(self) -> float | None:
        """UTC epoch seconds since which the picture is gone (None while live or never seen)."""
        st = self.state()
        if st in ("stalled", "lost", "ended"):
            return self._lost_since or self._last_frame_wall
        return None

    def health(self) -> SourceHealth:
        now = time.monotonic()
        fps, _ = self._frames.rates(now)
        _, kbps = self._bytes.rates(now)
        frame = self.latest.get()
        st = self.state()
        return SourceHealth(
            id=self.id,
            kind=self.kind,
            state=st,
            fps=round(fps, 1),
            last_frame_age_s=None if self._last_frame_mono is None else round(now - self._last_frame_mono, 3),
            bitrate_kbps=round(kbps, 1),
            reconnects=self._reconnects,
            lost_since=self.lost_since(),
            viewers=self._viewers,
            width=frame.width if frame is not None else None,
            height=frame.height if frame is not None else None,
            stream=self._stream,
            error=self._error if st != "live" else None,
        )


_REGISTRY: dict[str, type[Source]] = {}
_KIND_MODULES = {"pattern": "pattern", "file": "file", "rtsp": "rtsp", "rtsps": "rtsp", "whip": "whip",
                 "whep": "whep", "wheps": "whep"}


def register(scheme: str) -> Callable[[type[Source]], type[Source]]:
    """Class decorator: this Source subclass serves URLs with this scheme."""

    def deco(cls: type[Source]) -> type[Source]:
        _REGISTRY[scheme] = cls
        return cls

    return deco


def source_class(url: str) -> type[Source]:
    """The registered class for this URL's scheme (the kind's module is imported on first use)."""
    scheme = urlparse(url).scheme
    if scheme not in _REGISTRY and scheme in _KIND_MODULES:
        importlib.import_module(f"media.sources.{_KIND_MODULES[scheme]}")
    try:
        return _REGISTRY[scheme]
    except KeyError:
        raise ValueError(f"no source kind for URL scheme {scheme!r} (known: {', '.join(sorted(_REGISTRY))})") from None


def open_source(cfg: SourceSpec) -> Source:
    """A (not yet started) Source for this configuration, chosen by the URL scheme."""
    return source_class(cfg.url)(cfg)
