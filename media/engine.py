"""The media engine: sources, one compositor per screen, and the compose loop at the wall's frame rate.

A ticker thread wakes every 1/fps and hands each *watched* screen (``acquire_screen``) to a worker
pool sized to the cores; a screen still busy with its previous frame skips the tick (counted as
dropped). Sources not shown on any watched screen are told ``want(0)`` and stop decoding.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np

from layouts.plan import RenderPlan, ScreenPlan, render_plan
from layouts.wall import Wall
from layouts.window import Layout
from media.compositor import BLACK_Y, ScreenCompositor, SourceView, shown_scale
from media.credentials import redact
from media.frames import Frame, LatestFrame
from media.sources.base import Source, SourceSpec, open_source

log = logging.getLogger("media.engine")


class _ScreenStats:
    def __init__(self) -> None:
        self.times: collections.deque[float] = collections.deque(maxlen=256)
        self.compose_ms = 0.0
        self.dropped = 0
        self.composed = 0


class MediaEngine:
    """Runs the wall's pictures: see docs/media-contract.md."""

    # A ticker woken late composes the missed ticks at once, up to this much; beyond, it skips them.
    max_tick_debt_s = 0.2

    def __init__(self, wall: Wall, sources: Iterable[SourceSpec], fps: int = 25, timezone: str = "UTC",
                 labels: bool = True, workers: int | None = None) -> None:
        self.wall = wall
        self.fps = int(fps)
        self.timezone = timezone
        self.labels = labels
        self._sources: dict[str, Source] = {}
        self._names: dict[str, str] = {}
        for cfg in sources:
            self._names[cfg.id] = getattr(cfg, "name", "") or cfg.id
            try:
                self._sources[cfg.id] = open_source(cfg)
            except (ValueError, ImportError) as exc:  # e.g. a kind whose module is not there: shows NO SIGNAL
                log.error("source %s (%s) cannot be opened: %s", cfg.id, redact(cfg.url), redact(str(exc)))
        self._compositors = {s.id: ScreenCompositor(s.id, s.resolution, timezone, labels) for s in wall.screens}
        self._outputs = {s.id: LatestFrame() for s in wall.screens}
        self._stats = {s.id: _ScreenStats() for s in wall.screens}
        self._viewers: collections.Counter[str] = collections.Counter()
        self._extra_wants: collections.Counter[str] = collections.Counter()
        self._layout = Layout()
        self._plan: RenderPlan = render_plan(wall, self._layout)
        self._titles: dict[str, str | None] = {}
        self._lock = threading.RLock()
        self._busy: set[str] = set()
        self._pending: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2, thread_name_prefix="compose")
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.ticks_late = 0

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start every source's thread and the compose loop."""
        if self._ticker is not None:
            return
        for src in self._sources.values():
            src.start()
        self._stop.clear()
        self._update_wants()
        self._ticker = threading.Thread(target=self._tick_loop, name="compose-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Stop the compose loop and every source (blocks up to a few seconds)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(5)
            self._ticker = None
        self._pool.shutdown(wait=True, cancel_futures=True)
        threads = [threading.Thread(target=s.stop) for s in self._sources.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # -- layout and viewers -------------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        """Show this layout from the next composed frame on (thread-safe)."""
        plan = render_plan(self.wall, layout)
        titles: dict[str, str | None] = {}
        for w in layout.windows:
            if w.kind == "video":
                titles[w.id] = (w.title or self._names.get(w.source or "", w.source or "")) if w.label else None
        with self._lock:
            self._layout, self._plan, self._titles = layout, plan, titles
        self._update_wants()

    @property
    def layout(self) -> Layout:
        return self._layout

    @property
    def plan(self) -> RenderPlan:
        return self._plan

    def acquire_screen(self, screen_id: str) -> None:
        """One more viewer of this screen (a screen nobody watches is not composed)."""
        self.wall.screen(screen_id)
        with self._lock:
            self._viewers[screen_id] += 1
        self._update_wants()

    def release_screen(self, screen_id: str) -> None:
        with self._lock:
            if self._viewers[screen_id] > 0:
                self._viewers[screen_id] -= 1
        self._update_wants()

    def watched_screens(self) -> list[str]:
        with self._lock:
            return [s.id for s in self.wall.screens if self._viewers[s.id] > 0]

    def _update_wants(self) -> None:
        """Tell each source how many windows on watched screens show it, and how large."""
        with self._lock:
            plan, extra = self._plan, dict(self._extra_wants)
            watched = [s.id for s in self.wall.screens if self._viewers[s.id] > 0]
        windows: dict[str, set[str]] = collections.defaultdict(set)
        scale: dict[str, float] = collections.defaultdict(float)
        for sid in watched:
            for part in plan.screens[sid].parts:
                if part.kind != "video" or part.source not in self._sources:
                    continue
                windows[part.source].add(part.window_id)
                frame = self._sources[part.source].latest.get()
                if frame is None:
                    scale[part.source] = max(scale[part.source], 1.0)
                    continue
                scale[part.source] = max(scale[part.source], shown_scale(part, (frame.width, frame.height)))
        for src_id, src in self._sources.items():
            n = len(windows.get(src_id, ())) + extra.get(src_id, 0)
            if src_id in scale:
                src.decode_hint(scale[src_id])
            elif extra.get(src_id):
                src.decode_hint(1.0)
            src.want(n)

    # -- outputs ------------------------------------------------------------------------------
    def screen_output(self, screen_id: str) -> LatestFrame:
        """The composed yuv420p frames of a screen at its resolution (KeyError for an unknown screen)."""
        try:
            return self._outputs[screen_id]
        except KeyError:
            raise KeyError(f"unknown screen {screen_id!r}") from None

    def source(self, source_id: str) -> Source:
        try:
            return self._sources[source_id]
        except KeyError:
            raise KeyError(f"unknown source {source_id!r}") from None

    @property
    def sources(self) -> dict[str, Source]:
        return dict(self._sources)

    def compositor(self, screen_id: str) -> ScreenCompositor:
        return self._compositors[screen_id]

    # -- the compose loop ------------------------------------------------------------------------
    def _views(self, plan: RenderPlan, watched: list[str]) -> dict[str, SourceView]:
        views: dict[str, SourceView] = {}
        for sid in watched:
            for part in plan.screens[sid].parts:
                if part.kind != "video" or part.source in views or part.source not in self._sources:
                    continue
                src = self._sources[part.source]
                views[part.source] = SourceView(frame=src.latest.get(), lost_since=src.lost_since(),
                                                name=self._names.get(src.id, src.id), state=src.state())
        return views

    def _tick_loop(self) -> None:
        period = 1.0 / self.fps
        next_t = time.monotonic()
        last_hints = next_t
        while not self._stop.is_set():
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                if self._stop.wait(delay):
                    return
            elif delay < -self.max_tick_debt_s:  # far behind (machine busy): drop the debt
                self.ticks_late += 1
                next_t = time.monotonic()
            with self._lock:
                plan, titles = self._plan, self._titles
                watched = [s.id for s in self.wall.screens if self._viewers[s.id] > 0]
            if not watched:
                continue
            views = self._views(plan, watched)
            for sid in watched:
                with self._lock:
                    if sid in self._busy:
                        # Still composing the last tick: compose again as soon as it is done (at most
                        # one tick waits), so a late frame delays the next instead of dropping it.
                        if sid in self._pending:
                            self._stats[sid].dropped += 1
                        self._pending.add(sid)
                        continue
                    self._busy.add(sid)
                if not self._submit(sid, plan.screens[sid], views, titles):
                    return
            if next_t - last_hints >= 1.0:  # frame sizes may have changed (sub stream, new camera)
                last_hints = next_t
                self._update_wants()

    def _submit(self, sid: str, splan: ScreenPlan, views: dict[str, SourceView],
                titles: dict[str, str | None]) -> bool:
        try:
            self._pool.submit(self._compose_one, sid, splan, views, titles)
            return True
        except RuntimeError:  # pool shut down
            with self._lock:
                self._busy.discard(sid)
            return False

    def _compose_one(self, screen_id: str, splan: ScreenPlan, views: dict[str, SourceView],
                     titles: dict[str, str | None]) -> None:
        stats = self._stats[screen_id]
        t0 = time.perf_counter()
        try:
            frame = self._compositors[screen_id].compose(splan, views, titles)
            self._outputs[screen_id].put(frame)
            stats.composed += 1
            stats.times.append(time.monotonic())
        except Exception:
            log.exception("screen %s: compose failed", screen_id)
        finally:
            ms = (time.perf_counter() - t0) * 1000
            stats.compose_ms = ms if stats.compose_ms == 0 else stats.compose_ms * 0.9 + ms * 0.1
            with self._lock:
                again = screen_id in self._pending and not self._stop.is_set()
                self._pending.discard(screen_id)
                if not again:
                    self._busy.discard(screen_id)
                plan, titles = self._plan, self._titles
            if again:
                self._submit(screen_id, plan.screens[screen_id], self._views(plan, [screen_id]), titles)

    # -- health and snapshots ----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """{"sources": {id: SourceHealth dict}, "screens": {id: {...}}, "fps": wall fps}."""
        now = time.monotonic()
        screens = {}
        for s in self.wall.screens:
            st = self._stats[s.id]
            recent = [t for t in list(st.times) if now - t <= 2.0]
            comp = self._compositors[s.id]
            out = self._outputs[s.id].get()
            screens[s.id] = {
                "viewers": self._viewers[s.id],
                "fps": round(len(recent) / 2.0, 1),
                "compose_ms": round(st.compose_ms, 2),
                "dropped": st.dropped,
                "composed": st.composed,
                "frames_reused": comp.frames_reused,
                "parts_drawn": comp.parts_drawn,
                "last_frame_age_s": None if out is None else round(now - out.time, 3),
            }
        return {
            "fps": self.fps,
            "sources": {i: s.health().to_dict() for i, s in self._sources.items()},
            "screens": screens,
        }

    async def snapshot_jpeg(self, id: str, width: int = 320, quality: int = 80) -> bytes:
        """A JPEG of a source or a screen, ``width`` pixels wide (runs in a worker thread)."""
        return await asyncio.to_thread(self.snapshot_jpeg_blocking, id, width, quality)

    def snapshot_jpeg_blocking(self, id: str, width: int = 320, quality: int = 80, wait_s: float = 3.0) -> bytes:
        """snapshot_jpeg for threads. KeyError if id is neither a source nor a screen."""
        if id in self._outputs:
            frame = self._outputs[id].get()
            if frame is None or self._viewers[id] <= 0:
                self.acquire_screen(id)
                try:
                    frame = self._outputs[id].wait_newer(frame.seq if frame else 0, wait_s) or frame
                finally:
                    self.release_screen(id)
            if frame is None:
                w, h = self.wall.screen(id).resolution
                frame = Frame.blank(w, h, BLACK_Y)
        elif id in self._sources:
            src = self._sources[id]
            frame = src.latest.get()
            if frame is None or src.viewers <= 0:
                with self._lock:
                    self._extra_wants[id] += 1
                self._update_wants()
                try:
                    frame = src.latest.wait_newer(frame.seq if frame else 0, wait_s) or frame
                finally:
                    with self._lock:
                        self._extra_wants[id] -= 1
                    self._update_wants()
            if frame is None:
                frame = Frame.blank(640, 360, BLACK_Y)
                cv2.putText(frame.y, "NO SIGNAL", (170, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 235, 3, cv2.LINE_AA)
        else:
            raise KeyError(f"unknown source or screen {id!r}")
        return frame_to_jpeg(frame, width, quality)


def frame_to_jpeg(frame: Frame, width: int, quality: int = 80) -> bytes:
    """Scale the planes first (cheap), then one colour conversion and the JPEG encode."""
    width = max(16, min(int(width), frame.width)) & ~1
    height = max(2, round(frame.height * width / frame.width)) & ~1
    buf = np.empty((height * 3 // 2, width), np.uint8)
    flat = buf.reshape(-1)
    ysz, csz = width * height, (width // 2) * (height // 2)
    cv2.resize(frame.y, (width, height), dst=flat[:ysz].reshape(height, width), interpolation=cv2.INTER_AREA)
    cv2.resize(frame.u, (width // 2, height // 2), dst=flat[ysz:ysz + csz].reshape(height // 2, width // 2),
               interpolation=cv2.INTER_AREA)
    cv2.resize(frame.v, (width // 2, height // 2), dst=flat[ysz + csz:].reshape(height // 2, width // 2),
               interpolation=cv2.INTER_AREA)
    bgr = cv2.cvtColor(buf, cv2.COLOR_YUV2BGR_I420)
    ok, jpg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return jpg.tobytes()
