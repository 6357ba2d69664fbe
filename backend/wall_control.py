"""Wall control: the current layout, presets and scenes in Redis, with versioned writes.

Every write names the version it was made against; a stale one is refused with 409
(`Conflict`), never silently applied. A write is checked as the whole document it produces, by
the same model that reads it back, before the compare-and-set. Each accepted change is recorded
in an audit stream and handed to `on_change` (Socket.IO broadcast) in the same second.

Reading never fails on what is stored: a layout, preset or scene that no longer validates (an
older hall's bug, a source removed from the configuration) is reported (`problems`) and the hall
shows the last valid layout of the audit stream, or an empty one.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import redis.asyncio as aioredis
from pydantic import ValidationError

from layouts import (
    LayoutError,
    Preset,
    Scene,
    apply_preset,
    apply_scene,
    apply_split,
    quick_split,
    render_plan,
    validate_layout,
)
from layouts.geometry import Rect
from layouts.wall import Wall
from layouts.window import Layout, Window

from . import keys
from .config import HallConfig
from .errors import Conflict, Invalid, NotFound, field_errors
from .schemas import LayoutDoc, LayoutState, NewWindow, PatchWindowIn, PresetOut, SceneOut, SplitIn

log = logging.getLogger("hall.wall")

# Compare-and-set of the layout: KEYS = layout hash, audit stream; ARGV = expected version,
# new layout JSON, who, action. Returns {1, new_version} or {0, current_version}.
_CAS = """
local cur = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if cur ~= tonumber(ARGV[1]) then return {0, cur} end
local new = cur + 1
redis.call('HSET', KEYS[1], 'version', new, 'data', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'version', new, 'by', ARGV[3], 'action', ARGV[4], 'layout',
           ARGV[2])
return {1, new}
"""

ChangeHook = Callable[[str, dict], Awaitable[None]]
_Stored = TypeVar("_Stored", PresetOut, SceneOut)
AUDIT_SCAN = 500  # how far back the audit stream is searched for the last valid layout
RECOVERED_BY = "hall"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class StoredProblem:
    """Something stored that does not validate any more, and what the hall does instead."""

    key: str
    message: str
    fallback: str
    since: str = field(default_factory=_now)

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "message": self.message, "fallback": self.fallback, "since": self.since}


class WallControl:
    def __init__(self, redis: aioredis.Redis, cfg: HallConfig, wall: Wall) -> None:
        self.redis = redis
        self.cfg = cfg
        self.wall = wall
        self.source_ids = {s.id for s in cfg.sources}
        self.panel_ids = {p.id for p in cfg.panels}
        self.source_names = {s.id: s.name for s in cfg.sources}
        self.panels_by_id = {p.id: p for p in cfg.panels}
        self._cas = redis.register_script(_CAS)
        self.hooks: list[ChangeHook] = []
        self.problems: dict[str, StoredProblem] = {}  # key -> what is wrong with it (healthz, consoles)
        self._fallbacks: dict[str, LayoutState] = {}  # stored layout version -> what is shown instead

    # -- reading stored documents: one parser for reads and writes ---------------------------
    def parse_layout(self, version: int, body: str, sources: set[str]) -> LayoutState:
        """A stored layout document (without its version) as the hall reads it; raises ValidationError or
        LayoutError when it is not one this wall can show (`sources`: what may be shown, see known_sources)."""
        doc = LayoutDoc.model_validate_json(body)
        state = LayoutState.model_construct(version=version, **dict(doc))
        validate_layout(self.wall, Layout(windows=state.windows, scene=state.scene), sources, self.panel_ids)
        return state

    # -- sources that come and go at run time (calls, rooms, shared screens, pulled feeds) -------
    async def known_sources(self) -> set[str]:
        """What a window may show: the configured sources and the runtime ones registered in Redis (ended ones
        too, while a window shows their "ended" slate), in every process alike."""
        return self.source_ids | set(await self.redis.hkeys(keys.RUNTIME_SOURCES))

    async def runtime_sources(self) -> list[dict]:
        raw = await self.redis.hgetall(keys.RUNTIME_SOURCES)
        out = []
        for value in raw.values():
            try:
                out.append(json.loads(value))
            except ValueError:
                continue
        return sorted(out, key=lambda s: (s.get("group", ""), s.get("name", "")))

    async def runtime_names(self) -> dict[str, str]:
        return {s["id"]: s.get("name", s["id"]) for s in await self.runtime_sources()}

    async def register_source(self, source_id: str, name: str, kind: str, group: str, owner: str,
                              **extra: object) -> None:
        """A runtime source the wall may show from now on (e.g. `call:<id>`); consoles are told."""
        doc = {"id": source_id, "name": name, "kind": kind, "group": group, "owner": owner, "state": "live",
               "since": _now(), **extra}
        await self.redis.hset(keys.RUNTIME_SOURCES, source_id, json.dumps(doc))
        await self._emit("sources", {"sources": self.sources() + await self.runtime_sources()})

    async def end_source(self, source_id: str) -> None:
        """The runtime source has ended: windows showing it keep an "ended" slate until removed; once no window
        shows it, it is forgotten."""
        raw = await self.redis.hget(keys.RUNTIME_SOURCES, source_id)
        if raw is None:
            return
        shown = any(w.source == source_id for w in (await self.layout()).windows)
        if shown:
            doc = {**json.loads(raw), "state": "ended", "ended": _now()}
            await self.redis.hset(keys.RUNTIME_SOURCES, source_id, json.dumps(doc))
        else:
            await self.redis.hdel(keys.RUNTIME_SOURCES, source_id)
        await self._emit("sources", {"sources": self.sources() + await self.runtime_sources()})

    async def forget_ended_sources(self, layout: LayoutState) -> None:
        """Drop ended runtime sources no window shows any more (after a write)."""
        shown = {w.source for w in layout.windows}
        ended = [s["id"] for s in await self.runtime_sources() if s.get("state") == "ended" and s["id"] not in shown]
        if ended:
            await self.redis.hdel(keys.RUNTIME_SOURCES, *ended)
            await self._emit("sources", {"sources": self.sources() + await self.runtime_sources()})

    async def layout(self) -> LayoutState:
        """The current layout; never raises on what is stored (see the module's docstring)."""
        data = await self.redis.hgetall(keys.WALL_LAYOUT)
        if not data:
            return LayoutState(version=0)
        raw_version = data.get("version", "0")
        version = int(raw_version) if raw_version.isdigit() else 0
        sources = await self.known_sources()
        try:
            state = self.parse_layout(version, data.get("data", ""), sources)
        except (ValidationError, LayoutError) as exc:
            return await self._fallback(version, data.get("data", ""), sources, exc)
        return state

    async def _fallback(self, version: int, body: str, sources: set[str],
                        exc: ValidationError | LayoutError) -> LayoutState:
        """The last valid layout of the audit stream (or an empty one) under the stored version, so the
        next write still compares and sets against what is stored."""
        cached = self._fallbacks.get(f"{version}:{hash(body)}")
        if cached is not None:
            return cached
        found: LayoutState | None = None
        entries = await self.redis.xrevrange(keys.WALL_CHANGES, count=AUDIT_SCAN)
        for entry_id, fields in entries:
            try:
                found = self.parse_layout(version, fields.get("layout", ""), sources)
            except (ValidationError, LayoutError):
                continue
            fallback = f"version {fields.get('version', '?')} of the audit stream ({entry_id})"
            break
        else:
            found = LayoutState(version=version)
            fallback = "an empty layout"
        message = _problem_text(exc)
        self.problems[keys.WALL_LAYOUT] = StoredProblem(keys.WALL_LAYOUT, message, fallback)
        log.error("the stored layout does not validate; showing the last valid one",
                  extra={"key": keys.WALL_LAYOUT, "version": version, "problem": message, "fallback": fallback})
        self._fallbacks[f"{version}:{hash(body)}"] = found
        return found

    async def recover(self) -> LayoutState:
        """At start: if the stored layout does not validate, store the fallback as a new version (audited),
        so every process and the audit log agree on what the wall shows."""
        state = await self.layout()
        problem = self.problems.get(keys.WALL_LAYOUT)
        if problem is None:
            return state
        try:
            return await self.write(state.version, Layout(windows=state.windows, scene=state.scene),
                                    RECOVERED_BY, f"recover: stored layout invalid, back to {problem.fallback}")
        except Conflict:  # another process recovered (or an operator wrote) first
            return await self.layout()

    def sources(self) -> list[dict]:
        return [{"id": s.id, "name": s.name, "kind": s.kind, "group": s.group} for s in self.cfg.sources]

    def panels(self) -> list[dict]:
        return [{"id": p.id, "name": p.name, "kind": p.kind} for p in self.cfg.panels]

    async def snapshot(self) -> dict:
        layout = await self.layout()
        return {"wall": self.geometry(), "layout": layout.model_dump(mode="json"),
                "sources": self.sources() + await self.runtime_sources(), "panels": self.panels()}

    def geometry(self) -> dict:
        w = self.wall
        return {"name": w.name, "px_per_mm": w.px_per_mm, "grid_px": w.grid_px,
                "canvas": w.canvas.model_dump(), "screens": [s.model_dump(mode="json") for s in w.screens]}

    def screen_views(self, layout: LayoutState) -> dict[str, dict]:
        """What every screen shows, from one render plan (pure CPU: callers run it in a thread)."""
        plan = render_plan(self.wall, Layout(windows=layout.windows, scene=layout.scene))
        return {s.id: self.screen_view(layout, s.id, plan) for s in self.wall.screens}

    def screen_view(self, layout: LayoutState, screen_id: str, plan=None) -> dict:
        """What one screen shows: its render plan parts with what the kiosk page draws."""
        if plan is None:
            plan = render_plan(self.wall, Layout(windows=layout.windows, scene=layout.scene))
        by_id = {w.id: w for w in layout.windows}
        parts = []
        for part in plan.for_screen(screen_id).parts:
            w = by_id[part.window_id]
            d = part.model_dump(mode="json")
            d.update(text=w.text, title=w.title, label=w.label,
                     source_name=self.source_names.get(w.source or "", w.source),
                     focus=w.focus.model_dump() if w.focus is not None else None)
            panel = self.panels_by_id.get(w.panel or "")
            if w.kind == "panel" and panel is not None:  # what the kiosk draws in it (GET /api/events/figures/...)
                d.update(panel_kind=panel.kind, panel_name=panel.name, figures=list(panel.figures))
            parts.append(d)
        return {"version": layout.version, "screen": self.wall.screen(screen_id).model_dump(mode="json"),
                "parts": parts, "timezone": self.cfg.display.timezone}

    # -- the one write path ----------------------------------------------------
    async def write(self, version: int, layout: Layout, who: str, action: str) -> LayoutState:
        state = LayoutState(version=version + 1, windows=layout.windows, scene=layout.scene,
                            updated_by=who, updated_at=_now())
        body = state.model_dump_json(exclude={"version"})
        # The whole document, read back by the reader's own parser: what cannot be read is never stored.
        try:
            self.parse_layout(version + 1, body, await self.known_sources())
        except ValidationError as exc:
            raise Invalid("invalid layout", errors=field_errors(exc)) from None
        ok, current = await self._cas(keys=[keys.WALL_LAYOUT, keys.WALL_CHANGES],
                                      args=[version, body, who, action])
        if not ok:
            raise _conflict(await self.layout(), version)
        state.version = int(current)
        if who != RECOVERED_BY and self.problems.pop(keys.WALL_LAYOUT, None) is not None:
            self._fallbacks.clear()  # a person has written the wall since: what was lost is theirs to judge
        log.info("wall changed", extra={"version": state.version, "by": who, "action": action})
        await self._emit("layout", state.model_dump(mode="json"))
        await self.forget_ended_sources(state)
        return state

    async def _current(self, version: int) -> LayoutState:
        """The current layout, if the caller saw it; else 409 straight away."""
        cur = await self.layout()
        if cur.version != version:
            raise _conflict(cur, version)
        return cur

    async def _emit(self, event: str, data: dict) -> None:
        for hook in self.hooks:
            try:
                await hook(event, data)
            except Exception:  # a broken listener must not undo an accepted write
                log.exception("change hook failed", extra={"event": event})

    # -- layout operations -------------------------------------------------------
    async def replace(self, version: int, windows: list[Window], scene: str | None, who: str) -> LayoutState:
        return await self.write(version, Layout(windows=windows, scene=scene), who, "replace")

    async def add_window(self, version: int, new: NewWindow, who: str) -> tuple[LayoutState, Window]:
        cur = await self._current(version)
        layout = Layout(windows=cur.windows)
        used = {w.id for w in cur.windows}
        if new.id is not None and new.id in used:
            raise Invalid("duplicate window id", errors=[{"path": "window.id", "message": f"id {new.id!r} is in use"}])
        wid = new.id or _new_id(new.kind, used)
        z = new.z if new.z is not None else layout.top_z() + 1
        window = Window(id=wid, kind=new.kind, rect=new.rect, z=z, source=new.source, panel=new.panel,
                        text=new.text, title=new.title, label=new.label, fit=new.fit)
        state = await self.write(version, layout.with_window(window), who, f"add {wid}")
        return state, window

    async def update_window(self, version: int, wid: str, patch: PatchWindowIn, who: str) -> LayoutState:
        cur = await self._current(version)
        layout = Layout(windows=cur.windows)
        try:
            window = layout.window(wid)
        except KeyError:
            raise NotFound(f"no window {wid!r} on the wall") from None
        changes = patch.model_dump(mode="json", exclude_unset=True, exclude={"version"})
        try:  # the window it makes, whole, through the model that reads it back
            window = Window.model_validate_json(json.dumps({**window.model_dump(mode="json"), **changes}))
        except ValidationError as exc:
            raise Invalid("invalid window", errors=field_errors(exc)) from None
        return await self.write(version, layout.with_window(window), who, f"update {wid}")

    async def remove_window(self, version: int, wid: str, who: str) -> LayoutState:
        cur = await self._current(version)
        try:
            layout = Layout(windows=cur.windows).without(wid)
        except KeyError:
            raise NotFound(f"no window {wid!r} on the wall") from None
        return await self.write(version, layout, who, f"remove {wid}")

    async def show(self, source: str, who: str, *, window: str | None = None, screen: str | None = None,
                   version: int | None = None) -> tuple[LayoutState, Window]:
        """Put a source on the wall in one action (a camera from the map, a call, a room): into a chosen video
        window (its source replaced), onto a chosen screen (full screen), or the next free place: the first
        screen nothing shows, else a picture-in-picture on the main screen's first free corner. Without a
        `version`, it is done on the current layout (retried if someone writes at the same moment)."""
        if source not in await self.known_sources():
            raise Invalid("unknown source", errors=[{"path": "source", "message": f"unknown source {source!r}"}])
        if screen is not None and not self.wall.has_screen(screen):
            raise Invalid("unknown screen", errors=[{"path": "screen", "message": f"unknown screen {screen!r}"}])
        for _ in range(5):
            cur = await self.layout() if version is None else await self._current(version)
            layout = Layout(windows=cur.windows)
            title = self.source_names.get(source) or (await self.runtime_names()).get(source)
            if window is not None:
                try:
                    target = layout.window(window)
                except KeyError:
                    raise NotFound(f"no window {window!r} on the wall") from None
                if target.kind != "video":
                    raise Invalid("not a video window", errors=[{"path": "window", "message": f"window {window!r} "
                                                                 f"is a {target.kind} window"}])
                placed = target.model_copy(update={"source": source, "title": title})
            else:
                rect = self.wall.screen(screen).canvas if screen is not None else self._free_place(cur)
                placed = Window(id=_new_id("video", {w.id for w in cur.windows}), kind="video", rect=rect,
                                z=layout.top_z() + 1, source=source, title=title)
            try:
                state = await self.write(cur.version, layout.with_window(placed), who, f"show {source}")
            except Conflict:
                if version is not None:
                    raise
                continue
            return state, placed
        raise Conflict("the wall is changing too fast; try again")

    def _free_place(self, cur: LayoutState) -> Rect:
        """The first screen nothing shows (wall order), else a quarter-size picture-in-picture on the main screen
        (the largest) in its first corner no window starts in."""
        plan = render_plan(self.wall, Layout(windows=cur.windows))
        for s in self.wall.screens:
            if not plan.for_screen(s.id).parts:
                return s.canvas
        main = max(self.wall.screens, key=lambda s: s.canvas.area).canvas
        w, h = main.w // 3, main.h // 3
        corners = [(main.right - w, main.y), (main.right - w, main.bottom - h), (main.x, main.bottom - h),
                   (main.x, main.y)]
        taken = {(win.rect.x, win.rect.y) for win in cur.windows}
        x, y = next((c for c in corners if c not in taken), corners[0])
        return Rect(x, y, w, h)

    async def split(self, body: SplitIn, who: str) -> LayoutState:
        cur = await self._current(body.version)
        known = await self.known_sources()
        for i, s in enumerate(body.sources):
            if s not in known:
                raise Invalid("unknown source", errors=[{"path": f"sources[{i}]", "message": f"unknown source {s!r}"}])
        if not body.screens and body.rect is None:  # an empty list is no region either (not a 500)
            raise Invalid("no region", errors=[{"path": "screens", "message": "give screens or rect"}])
        if body.screens is not None:
            for i, sid in enumerate(body.screens):
                try:
                    self.wall.screen(sid)
                except KeyError:
                    raise Invalid("unknown screen", errors=[{"path": f"screens[{i}]",
                                                             "message": f"unknown screen {sid!r}"}]) from None
        region = body.rect if body.rect is not None else self.wall.region_rect(body.screens or [])
        sources = list(body.sources)
        layout = Layout(windows=cur.windows)
        if not sources:  # keep what is shown there, in reading order
            inside = [w for w in cur.windows if w.kind == "video" and region.contains(w.rect)]
            inside.sort(key=lambda w: (w.rect.y, w.rect.x))
            sources = [w.source for w in inside if w.source]
        windows = quick_split(self.wall, screens=body.screens, rect=body.rect, n=body.n, rows=body.rows,
                              cols=body.cols, sources=sources, id_prefix=_new_id("split", {w.id for w in cur.windows}))
        titled = [w.model_copy(update={"title": self.source_names.get(w.source or "")}) for w in windows]
        new_layout = apply_split(self.wall, layout, titled, region)
        return await self.write(body.version, new_layout, who, "split")

    # -- presets -------------------------------------------------------------------
    async def presets(self) -> list[PresetOut]:
        raw = await self.redis.hgetall(keys.WALL_PRESETS)
        return sorted(self._valid(keys.WALL_PRESETS, raw, PresetOut), key=lambda p: p.name.lower())

    def _valid(self, key: str, raw: dict[str, str], model: type[_Stored]) -> list[_Stored]:
        """The stored entries of a hash that parse; the others are reported (and left for an admin)."""
        out = []
        for name, value in raw.items():
            where = f"{key}/{name}"
            try:
                out.append(model.model_validate_json(value))
            except ValidationError as exc:
                if where not in self.problems:
                    log.error("a stored entry does not validate; it is left out",
                              extra={"key": where, "problem": _problem_text(exc)})
                self.problems[where] = StoredProblem(where, _problem_text(exc), "left out of the list")
                continue
            self.problems.pop(where, None)
        return out

    async def save_preset(self, name: str, windows: list[Window] | None, screens: list[str] | None,
                          who: str) -> PresetOut:
        if screens is not None:
            for i, sid in enumerate(screens):
                try:
                    self.wall.screen(sid)
                except KeyError:
                    raise Invalid("unknown screen", errors=[{"path": f"screens[{i}]",
                                                             "message": f"unknown screen {sid!r}"}]) from None
        if windows is None:
            cur = await self.layout()
            windows = list(cur.windows)
            if screens:
                region = self.wall.region_rect(screens)
                windows = [w for w in windows if region.intersect(w.rect) is not None
                           and _centre_in(w.rect, region)]
        try:
            validate_layout(self.wall, Layout(windows=windows), await self.known_sources(), self.panel_ids)
        except LayoutError as exc:
            raise Invalid("invalid preset", errors=[{"path": e.path,
                                                     "message": e.message} for e in exc.errors]) from None
        preset = PresetOut(name=name, screens=screens, windows=windows, updated_by=who, updated_at=_now())
        await self.redis.hset(keys.WALL_PRESETS, name, preset.model_dump_json())
        await self._emit("presets", {"presets": [p.model_dump(mode="json") for p in await self.presets()]})
        return preset

    async def delete_preset(self, name: str) -> None:
        if not await self.redis.hdel(keys.WALL_PRESETS, name):
            raise NotFound(f"no preset {name!r}")
        await self._emit("presets", {"presets": [p.model_dump(mode="json") for p in await self.presets()]})

    async def _preset(self, name: str) -> Preset:
        raw = await self.redis.hget(keys.WALL_PRESETS, name)
        if raw is None:
            raise NotFound(f"no preset {name!r}")
        try:
            p = PresetOut.model_validate_json(raw)
        except ValidationError as exc:
            raise Invalid("the stored preset is damaged; save it again",
                          errors=[{"path": "name", "message": _problem_text(exc)}]) from None
        return Preset(name=p.name, windows=p.windows, screens=p.screens)

    async def apply_preset(self, name: str, version: int, who: str) -> LayoutState:
        preset = await self._preset(name)
        cur = await self._current(version)
        layout = apply_preset(self.wall, Layout(windows=cur.windows, scene=cur.scene), preset)
        return await self.write(version, layout, who, f"preset {name}")

    # -- scenes ----------------------------------------------------------------------
    async def scenes(self) -> list[SceneOut]:
        raw = await self.redis.hgetall(keys.WALL_SCENES)
        return sorted(self._valid(keys.WALL_SCENES, raw, SceneOut), key=lambda s: s.name.lower())

    async def save_scene(self, name: str, presets: list[str], who: str) -> SceneOut:
        known = set(await self.redis.hkeys(keys.WALL_PRESETS))
        bad = [{"path": f"presets[{i}]", "message": f"unknown preset {p!r}"} for i,
               p in enumerate(presets) if p not in known]
        if bad:
            raise Invalid("unknown preset", errors=bad)
        scene = SceneOut(name=name, presets=presets, updated_by=who, updated_at=_now())
        await self.redis.hset(keys.WALL_SCENES, name, scene.model_dump_json())
        await self._emit("scenes", {"scenes": [s.model_dump(mode="json") for s in await self.scenes()]})
        return scene

    async def delete_scene(self, name: str) -> None:
        if not await self.redis.hdel(keys.WALL_SCENES, name):
            raise NotFound(f"no scene {name!r}")
        await self._emit("scenes", {"scenes": [s.model_dump(mode="json") for s in await self.scenes()]})

    async def apply_scene(self, name: str, version: int, who: str) -> LayoutState:
        raw = await self.redis.hget(keys.WALL_SCENES, name)
        if raw is None:
            raise NotFound(f"no scene {name!r}")
        try:
            scene = SceneOut.model_validate_json(raw)
        except ValidationError as exc:
            raise Invalid("the stored scene is damaged; save it again",
                          errors=[{"path": "name", "message": _problem_text(exc)}]) from None
        presets = {}
        for i, pname in enumerate(scene.presets):
            try:
                presets[pname] = await self._preset(pname)
            except NotFound:
                raise Invalid("scene names a deleted preset",
                              errors=[{"path": f"presets[{i}]",
                                       "message": f"preset {pname!r} no longer exists"}]) from None
        cur = await self._current(version)
        layout = apply_scene(self.wall, Layout(windows=cur.windows), Scene(name=scene.name, presets=scene.presets),
                             presets)
        return await self.write(version, layout, who, f"scene {name}")


def _problem_text(exc: ValidationError | LayoutError) -> str:
    if isinstance(exc, LayoutError):
        return str(exc)[:300]
    return "; ".join(f"{e['path']}: {e['message']}" for e in field_errors(exc))[:300]


def _conflict(latest: LayoutState, version: int) -> Conflict:
    return Conflict(
        f"the wall was changed by {latest.updated_by or 'someone'} (version {latest.version}); "
        f"your change (made on version {version}) was not applied",
        current_version=latest.version, layout=latest.model_dump(mode="json"))


def _new_id(kind: str, used: set[str]) -> str:
    while True:
        wid = f"{kind}-{secrets.token_hex(3)}"
        if wid not in used:
            return wid


def _centre_in(rect: Rect, region: Rect) -> bool:
    cx, cy = rect.x + rect.w / 2, rect.y + rect.h / 2
    return region.x <= cx < region.x + region.w and region.y <= cy < region.y + region.h
