"""The media engine: sources, one compositor per output, and the compose loop at the wall's frame rate.

An output is a composed picture: each wall screen (planned from the wall's layout), and outputs of their own
that come and go (a call's picture, a room's grid). A ticker thread wakes every 1/fps and hands each
*watched* output (``acquire_output``) to a worker pool sized to the cores; an output still busy with its
previous frame skips the tick (counted as dropped). Sources not shown on any watched output are told
``want(0)`` and stop decoding.
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
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from layouts.geometry import Rect
from layouts.plan import RenderPlan, ScreenPlan, render_plan
from layouts.wall import Screen, Wall
from layouts.window import Layout
from media.compositor import BLACK_Y, ScreenCompositor, SourceView, shown_scale
from media.credentials import redact
from media.frames import Frame, LatestFrame
from media.sources.base import Source, SourceSpec, open_source

log = logging.getLogger("media.engine")


class _OutputStats:
    def __init__(self) -> None:
        self.times: collections.deque[float] = collections.deque(maxlen=256)
        self.compose_ms = 0.0
        self.dropped = 0
        self.composed = 0


@dataclass
class _Output:
    """One composed picture: a wall screen (planned from the wall's layout), or an output of its own (a call's
    picture, a room's grid: planned from its own layout on a one-screen wall of its size)."""

    id: str
    kind: str
    compositor: ScreenCompositor
    wall: Wall  # the wall whose plan it shows (the hall's, or its own one-screen wall)
    plan: ScreenPlan
    titles: dict[str, str | None] = field(default_factory=dict)
    latest: LatestFrame = field(default_factory=LatestFrame)
    stats: _OutputStats = field(default_factory=_OutputStats)
    viewers: int = 0


def output_wall(output_id: str, resolution: tuple[int, int]) -> Wall:
    """A wall of one screen the size of an output: its layouts are in that output's own pixels."""
    w, h = resolution
    screen = Screen(id=output_id, kind="lcd", name=output_id, resolution=(w, h), canvas=Rect(0, 0, w, h))
    return Wall(name=output_id, px_per_mm=1.0, canvas=Rect(0, 0, w, h), screens=[screen])


class MediaEngine:
    """Composes the wall's screens and any other output from the sources: see docs/media-contract.md.

    Sources and outputs other than the wall's screens come and go at run time (`add_source`, `add_output`);
    every method is thread-safe."""

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
        self._layout = Layout()
        plan = render_plan(wall, self._layout)
        self._outputs: dict[str, _Output] = {
            s.id: _Output(s.id, "screen", ScreenCompositor(s.id, s.resolution, timezone, labels), wall,
                          plan.for_screen(s.id)) for s in wall.screens}
        self._plan: RenderPlan = plan
        self._extra_wants: collections.Counter[str] = collections.Counter()
        self._lock = threading.RLock()
        self._busy: set[str] = set()
        self._pending: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2, thread_name_prefix="compose")
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._started = False
        self.ticks_late = 0

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start every source's thread and the compose loop."""
        if self._ticker is not None:
            return
        for src in self.sources.values():
            src.start()
        self._started = True
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
        threads = [threading.Thread(target=s.stop) for s in self.sources.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # -- sources at run time ----------------------------------------------------------------------
    def add_source(self, source: Source, name: str | None = None) -> None:
        """A source that appears at run time (a call's camera, a room participant, a pulled feed)."""
        with self._lock:
            if source.id in self._sources:
                raise ValueError(f"source {source.id!r} exists")
            self._sources = {**self._sources, source.id: source}
            self._names = {**self._names, source.id: name or source.name}
            started = self._started
        if started:
            source.start()
        self._update_wants()

    def remove_source(self, source_id: str) -> Source | None:
        """Forget a runtime source (windows still naming it show CONNECTING); returns it, not stopped."""
        with self._lock:
            source = self._sources.get(source_id)
            self._sources = {k: v for k, v in self._sources.items() if k != source_id}
        return source

    def rename_source(self, source_id: str, name: str) -> None:
        with self._lock:
            self._names = {**self._names, source_id: name}

    # -- layout and viewers -------------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        """Show this layout on the wall's screens from the next composed frame on."""
        plan = render_plan(self.wall, layout)
        titles = self._titles_of(layout)
        with self._lock:
            self._layout, self._plan = layout, plan
            for out in self._outputs.values():
                if out.kind == "screen":
                    out.plan, out.titles = plan.for_screen(out.id), titles
        self._update_wants()

    def _titles_of(self, layout: Layout) -> dict[str, str | None]:
        titles: dict[str, str | None] = {}
        with self._lock:
            names = self._names
        for w in layout.windows:
            if w.kind == "video":
                titles[w.id] = (w.title or names.get(w.source or "", w.source or "")) if w.label else None
        return titles

    @property
    def layout(self) -> Layout:
        return self._layout

    @property
    def plan(self) -> RenderPlan:
        return self._plan

    def add_output(self, output_id: str, resolution: tuple[int, int], layout: Layout, kind: str = "output",
                   labels: bool | None = None) -> None:
        """An output of its own (composed only while watched): `layout` in its own pixels."""
        wall = output_wall(output_id, resolution)
        comp = ScreenCompositor(output_id, resolution, self.timezone, self.labels if labels is None else labels)
        out = _Output(output_id, kind, comp, wall, render_plan(wall, layout).for_screen(output_id),
                      self._titles_of(layout))
        with self._lock:
            if output_id in self._outputs:
                raise ValueError(f"output {output_id!r} exists")
            self._outputs = {**self._outputs, output_id: out}
        self._update_wants()

    def set_output_layout(self, output_id: str, layout: Layout) -> None:
        with self._lock:
            out = self._outputs[output_id]
        if out.kind == "screen":
            raise ValueError("a wall screen follows the wall's layout (set_layout)")
        plan, titles = render_plan(out.wall, layout).for_screen(output_id), self._titles_of(layout)
        with self._lock:
            out.plan, out.titles = plan, titles
        self._update_wants()

    def remove_output(self, output_id: str) -> None:
        with self._lock:
            out = self._outputs.get(output_id)
            if out is None or out.kind == "screen":
                return
            self._outputs = {k: v for k, v in self._outputs.items() if k != output_id}
        self._update_wants()

    def acquire_output(self, output_id: str) -> None:
        """One more viewer of this output (an output nobody watches is not composed). KeyError if unknown."""
        with self._lock:
            self._outputs[output_id].viewers += 1
        self._update_wants()

    def release_output(self, output_id: str) -> None:
        with self._lock:
            out = self._outputs.get(output_id)
            if out is not None and out.viewers > 0:
                out.viewers -= 1
        self._update_wants()

    acquire_screen = acquire_output  # a screen is the wall's kind of output
    release_screen = release_output

    def watched_screens(self) -> list[str]:
        with self._lock:
            return [o.id for o in self._outputs.values() if o.kind == "screen" and o.viewers > 0]

    def _watched(self) -> list[_Output]:
        with self._lock:
            return [o for o in self._outputs.values() if o.viewers > 0]

    def _update_wants(self) -> None:
        """Tell each source how many windows on watched outputs show it, and how large."""
        with self._lock:
            extra, sources = dict(self._extra_wants), self._sources
            plans = [(o.kind, o.plan) for o in self._outputs.values() if o.viewers > 0]
        windows: dict[str, set[tuple[str, str]]] = collections.defaultdict(set)
        scale: dict[str, float] = collections.defaultdict(float)
        for kind, splan in plans:
            layout_of = "wall" if kind == "screen" else splan.screen_id  # a wall window across screens is one
            for part in splan.parts:
                if part.kind != "video" or part.source not in sources:
                    continue
                windows[part.source].add((layout_of, part.window_id))
                frame = sources[part.source].latest.get()
                if frame is None:
                    scale[part.source] = max(scale[part.source], 1.0)
                    continue
                scale[part.source] = max(scale[part.source], shown_scale(part, (frame.width, frame.height)))
        for src_id, src in sources.items():
            n = len(windows.get(src_id, ())) + extra.get(src_id, 0)
            if src_id in scale:
                src.decode_hint(scale[src_id])
            elif extra.get(src_id):
                src.decode_hint(1.0)
            src.want(n)

    # -- outputs ------------------------------------------------------------------------------
    def output(self, output_id: str) -> LatestFrame:
        """The composed yuv420p frames of an output at its resolution (KeyError for an unknown one)."""
        try:
            return self._outputs[output_id].latest
        except KeyError:
            raise KeyError(f"unknown output {output_id!r}") from None

    screen_output = output

    def has_output(self, output_id: str) -> bool:
        return output_id in self._outputs

    def source(self, source_id: str) -> Source:
        try:
            return self._sources[source_id]
        except KeyError:
            raise KeyError(f"unknown source {source_id!r}") from None

    @property
    def sources(self) -> dict[str, Source]:
        with self._lock:
            return dict(self._sources)

    def compositor(self, output_id: str) -> ScreenCompositor:
        return self._outputs[output_id].compositor

    # -- the compose loop ------------------------------------------------------------------------
    def _views(self, plans: list[ScreenPlan]) -> dict[str, SourceView]:
        with self._lock:
            sources, names = self._sources, self._names
        views: dict[str, SourceView] = {}
        for splan in plans:
            for part in splan.parts:
                if part.kind != "video" or part.source in views or part.source not in sources:
                    continue
                src = sources[part.source]
                views[part.source] = SourceView(frame=src.latest.get(), lost_since=src.lost_since(),
                                                name=names.get(src.id, src.id), state=src.state())
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
            watched = self._watched()
            if not watched:
                continue
            views = self._views([o.plan for o in watched])
            for out in watched:
                with self._lock:
                    if out.id in self._busy:
                        # Still composing the last tick: compose again as soon as it is done (at most
                        # one tick waits), so a late frame delays the next instead of dropping it.
                        if out.id in self._pending:
                            out.stats.dropped += 1
                        self._pending.add(out.id)
                        continue
                    self._busy.add(out.id)
                if not self._submit(out, views):
                    return
            if next_t - last_hints >= 1.0:  # frame sizes may have changed (sub stream, new camera)
                last_hints = next_t
                self._update_wants()

    def _submit(self, out: _Output, views: dict[str, SourceView]) -> bool:
        try:
            self._pool.submit(self._compose_one, out, out.plan, views, out.titles)
            return True
        except RuntimeError:  # pool shut down
            with self._lock:
                self._busy.discard(out.id)
            return False

    def _compose_one(self, out: _Output, splan: ScreenPlan, views: dict[str, SourceView],
                     titles: dict[str, str | None]) -> None:
        stats = out.stats
        t0 = time.perf_counter()
        try:
            frame = out.compositor.compose(splan, views, titles)
            out.latest.put(frame)
            stats.composed += 1
            stats.times.append(time.monotonic())
        except Exception:
            log.exception("output %s: compose failed", out.id)
        finally:
            ms = (time.perf_counter() - t0) * 1000
            stats.compose_ms = ms if stats.compose_ms == 0 else stats.compose_ms * 0.9 + ms * 0.1
            with self._lock:
                again = out.id in self._pending and not self._stop.is_set()
                self._pending.discard(out.id)
                if not again:
                    self._busy.discard(out.id)
            if again:
                self._submit(out, self._views([out.plan]))

    # -- health and snapshots ----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """{"sources": {id: SourceHealth dict}, "screens": {id: {...}}, "outputs": {id: {...}} (outputs other
        than the wall's screens), "fps": the wall's fps}."""
        now = time.monotonic()
        screens: dict[str, dict[str, Any]] = {}
        others: dict[str, dict[str, Any]] = {}
        with self._lock:
            outputs, sources = list(self._outputs.values()), self._sources
        for o in outputs:
            st = o.stats
            recent = [t for t in list(st.times) if now - t <= 2.0]
            comp = o.compositor
            frame = o.latest.get()
            (screens if o.kind == "screen" else others)[o.id] = {
                "kind": o.kind,
                "viewers": o.viewers,
                "fps": round(len(recent) / 2.0, 1),
                "compose_ms": round(st.compose_ms, 2),
                "dropped": st.dropped,
                "composed": st.composed,
                "frames_reused": comp.frames_reused,
                "parts_drawn": comp.parts_drawn,
                "last_frame_age_s": None if frame is None else round(now - frame.time, 3),
            }
        return {
            "fps": self.fps,
            "sources": {i: s.health().to_dict() for i, s in sources.items()},
            "screens": screens,
            "outputs": others,
        }

    async def snapshot_jpeg(self, id: str, width: int = 320, quality: int = 80) -> bytes:
        """A JPEG of a source or a screen, ``width`` pixels wide (runs in a worker thread)."""
        return await asyncio.to_thread(self.snapshot_jpeg_blocking, id, width, quality)

    def snapshot_jpeg_blocking(self, id: str, width: int = 320, quality: int = 80, wait_s: float = 3.0) -> bytes:
        """snapshot_jpeg for threads. KeyError if id is neither a source nor a screen."""
        out = self._outputs.get(id)
        src = self._sources.get(id)
        if out is not None:
            frame = out.latest.get()
            if frame is None or out.viewers <= 0:
                deadline = time.monotonic() + wait_s
                # the sources it shows are now watched: each converts or decodes again from its next picture,
                # so the newest they hold may be old (a pulled centre's screen from before its layout changed);
                # a picture composed once each live one has brought a new picture shows the present
                shown = {p.source for p in out.plan.parts if p.kind == "video" and p.source}
                sources = self._sources
                before = [(src, f.seq if (f := src.latest.get()) else 0) for sid in shown
                          if (src := sources.get(sid)) is not None and src.state() == "live"]
                self.acquire_output(id)
                try:
                    for src, seq in before:  # the sources themselves: one removed meanwhile is no KeyError
                        src.latest.wait_newer(seq, max(0.0, deadline - time.monotonic()))
                    newest = out.latest.get()
                    frame = out.latest.wait_newer(newest.seq if newest else 0,
                                                  max(0.1, deadline - time.monotonic())) or newest or frame
                finally:
                    self.release_output(id)
            if frame is None:
                w, h = out.compositor.width, out.compositor.height
                frame = Frame.blank(w, h, BLACK_Y)
        elif src is not None:
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
