"""Alarm rules: an event (class, urgency, level, area) or another system's warning switches a region of the wall to
the focus scene (the map round the place, the nearest cameras), written through WallControl as "rule:<name>"
(versioned, audited); the region goes back to what it showed after the rule's time, or by hand."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from pydantic import ValidationError

from layouts import LayoutError, Preset, apply_preset
from layouts.window import Layout, MapFocus, Window

from .. import keys
from ..config import HallConfig
from ..errors import Conflict, HallError, NotFound
from ..events.geo import GridIndex
from ..wall_control import WallControl
from .config import AlarmRule
from .focus import Camera, focus_windows, nearest_cameras, window_prefix

log = logging.getLogger("hall.rules")

Notify = Callable[[dict[str, Any]], Awaitable[None]]
FIRED_TTL_S = 2 * 86_400  # an event or warning sets a rule off once (within two days)
WRITE_TRIES = 8  # versioned writes retried when an operator wrote at the same moment


def actor(rule: str) -> str:
    """Who the wall's audit names for a rule's writes."""
    return f"rule:{rule}"


class Alarms:
    def __init__(self, redis: aioredis.Redis, cfg: HallConfig, wc: WallControl, grids: GridIndex,
                 place_of: Callable[[float | None, float | None], str | None] | None, notify: Notify) -> None:
        self.redis = redis
        self.cfg = cfg
        self.wc = wc
        self.grids = grids
        self.place_of = place_of
        self.notify = notify
        self.rules = {r.name: r for r in cfg.rules.alarms}
        self.cameras = [Camera(s.id, s.name, s.lat, s.lon) for s in cfg.sources
                        if s.lat is not None and s.lon is not None]
        self.category_names = {c.code: c.name for c in cfg.events.taxonomy} | {
            m.code: m.name for c in cfg.events.taxonomy for m in c.minors}
        self._locks = {name: asyncio.Lock() for name in self.rules}
        self._running: set[asyncio.Task[object]] = set()  # switches under way (the hooks do not wait for them)

    def _later(self, job: Awaitable[object]) -> None:
        """Switch the wall beside the request that set the rule off: a report is acknowledged without waiting."""
        task = asyncio.ensure_future(job)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def settled(self) -> None:
        """Wait for the switches under way (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    # -- what sets a rule off --------------------------------------------------------------------------------
    def event_matches(self, rule: AlarmRule, n: dict[str, Any]) -> bool:
        """Does an event notice (its summary) match the rule's `events`? Only open events with a place do."""
        m = rule.events
        if m is None or not n.get("open") or n.get("lat") is None or n.get("lon") is None:
            return False
        category = n.get("category") or ""
        if m.categories and not any(category.startswith(c) for c in m.categories):
            return False
        if m.urgencies and n.get("urgency") not in m.urgencies:
            return False
        if m.levels and n.get("level") not in m.levels:
            return False
        if m.areas:
            g = self.grids.by_id.get(n.get("grid") or "")
            areas = {n.get("grid"), g.community if g else None, g.street if g else None}
            if not areas & set(m.areas):
                return False
        return True

    async def on_event(self, name: str, data: dict[str, Any]) -> None:
        """The events' hook: each matching event sets its rules off (once per event and rule)."""
        if name != "event":
            return
        for rule in self.rules.values():
            if self.event_matches(rule, data):
                what = self.category_names.get(data.get("category") or "", "Unclassified event")
                place = self.place_of(data["lat"], data["lon"]) if self.place_of else None
                urgency = data.get("urgency") or "normal"
                title = f"{what}{' · ' + place if place else ''}"
                reason = (f"event {data['id']}: {what}, {urgency}" + (f", grid {data['grid']}" if data.get("grid")
                                                                        else "") + f" (rule {rule.name})")
                self._later(self.fire(rule, f"event:{data['id']}", data["lat"], data["lon"], title, reason,
                                      data["id"]))

    async def on_connector(self, cid: str, state: dict[str, Any]) -> None:
        """The connectors' hook: a warning at a level a rule names sets it off (once per warning)."""
        alert = state.get("alert")
        if not alert:
            return
        for rule in self.rules.values():
            w = rule.warnings
            if w is None or w.connector != cid or (w.levels and alert["level"] not in w.levels):
                continue
            where = self._warning_place(state.get("values") or {})
            if where is None:
                log.warning("a warning without a place cannot be shown on the map",
                            extra={"rule": rule.name, "connector": cid})
                continue
            lat, lon, area = where
            line = state.get("line") or alert["level"]
            reason = f"{state['name']}: {alert['level']} warning{' for ' + area if area else ''} (rule {rule.name})"
            self._later(self.fire(rule, f"warning:{cid}:{alert['level']}:{state.get('at')}", lat, lon, line, reason))

    def _warning_place(self, values: dict[str, Any]) -> tuple[float, float, str | None] | None:
        """Where a warning is: its own lat/lon fields, else the grid (or community, street) its `area` names."""
        lat, lon = values.get("lat"), values.get("lon")
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and not isinstance(lat, bool):
            return float(lat), float(lon), None
        area = values.get("area")
        if isinstance(area, str):
            grids = [g for g in self.grids.grids if area in (g.id, g.name, g.community, g.street)]
            if grids:
                xs = [x for g in grids for x in (g.bbox[0], g.bbox[2])]
                ys = [y for g in grids for y in (g.bbox[1], g.bbox[3])]
                name = grids[0].name if len(grids) == 1 else area
                return (min(ys) + max(ys)) / 2, (min(xs) + max(xs)) / 2, name
        return None

    # -- switching and going back ----------------------------------------------------------------------------
    async def fire(self, rule: AlarmRule, key: str, lat: float, lon: float, title: str, reason: str,
                   event: str | None = None) -> dict[str, Any] | None:
        """Switch the rule's region to the focus scene (again: the newest place) unless `key` did it before."""
        fired = keys.alarm_fired(rule.name)
        if not await self.redis.sadd(fired, key):
            return None
        await self.redis.expire(fired, FIRED_TTL_S)
        async with self._locks[rule.name]:
            region = self.wc.wall.region_rect(rule.screens)
            near = nearest_cameras(self.cameras, lat, lon, rule.cameras)
            focus = MapFocus(lat=lat, lon=lon, radius_m=rule.radius_m, label=title[:200], event=event)
            windows = focus_windows(region, rule.name, rule.map_panel, focus, f"Alarm · {title}"[:200], near)
            preset = Preset(name=f"alarm {rule.name}", windows=windows, screens=rule.screens)
            before_state = await self.active(rule.name)
            try:
                written, before = await self._write(rule, preset, f"alarm: {reason}"[:300],
                                                    keep=before_state["before"] if before_state else None)
            except (HallError, LayoutError, ValidationError) as exc:
                log.error("alarm could not switch the wall", extra={"rule": rule.name, "error": str(exc)})
                await self.notify({"kind": "failed", "rule": rule.name, "reason": reason, "error": str(exc)[:300]})
                return None
            now = time.time()
            state = {"rule": rule.name, "screens": rule.screens, "before": before, "reason": reason, "title": title,
                     "event": event, "lat": lat, "lon": lon, "cameras": [n.camera.id for n in near], "at": now,
                     "until": now + rule.revert_after_s, "version": written}
            await self.redis.set(keys.alarm(rule.name), json.dumps(state, ensure_ascii=False))
            await self.redis.zadd(keys.ALARM_REVERTS, {rule.name: state["until"]})
        log.info("alarm switched the wall", extra={"rule": rule.name, "reason": reason, "version": written})
        await self.notify({"kind": "alarm", **_public(state)})
        return state

    async def _write(self, rule: AlarmRule, preset: Preset, action: str,
                     keep: list[dict[str, Any]] | None) -> tuple[int, list[dict[str, Any]]]:
        """Apply a region preset as the rule, retried while others write; the version written and what the region
        showed before (`keep`: what it showed before an earlier switch of this rule, kept)."""
        region = self.wc.wall.region_rect(rule.screens)
        for _ in range(WRITE_TRIES):
            cur = await self.wc.layout()
            before = keep if keep is not None else [w.model_dump(mode="json") for w in cur.windows
                                                    if region.contains_point(*w.rect.center)
                                                    and region.intersects(w.rect)]
            layout = apply_preset(self.wc.wall, Layout(windows=cur.windows, scene=cur.scene), preset)
            try:
                state = await self.wc.write(cur.version, layout, actor(rule.name), action)
            except Conflict:
                continue
            return state.version, before
        raise Conflict("the wall is changing too fast; the alarm could not switch it")

    async def revert(self, name: str, by: str) -> dict[str, Any]:
        """Put back what the region showed before the alarm; if its windows are gone already (someone changed
        the region since), the region is left as it is. The alarm ends either way."""
        rule = self.rules.get(name)
        if rule is None:
            raise NotFound(f"no alarm rule {name!r}")
        async with self._locks[name]:
            state = await self.active(name)
            if state is None:
                raise NotFound(f"alarm rule {name!r} is not active")
            cur = await self.wc.layout()
            prefix = window_prefix(name)
            shown = any(w.id.startswith(prefix) for w in cur.windows)
            version = None
            if shown:
                try:
                    windows = [Window.model_validate(w) for w in state["before"]]
                    preset = Preset(name=f"before alarm {name}", windows=windows, screens=rule.screens)
                    version, _ = await self._write(rule, preset, f"alarm over: back to before ({by})", keep=[])
                except (HallError, LayoutError, ValidationError) as exc:
                    log.error("alarm could not put the region back", extra={"rule": name, "error": str(exc)})
            await self.redis.delete(keys.alarm(name))
            await self.redis.zrem(keys.ALARM_REVERTS, name)
        notice = {"kind": "revert", **_public(state), "by": by, "restored": version is not None, "version": version}
        await self.notify(notice)
        return notice

    async def tick(self, now: float | None = None) -> int:
        """Revert the alarms whose time is up (one hall process each: the one that takes it off the set)."""
        now = time.time() if now is None else now
        done = 0
        for name in await self.redis.zrangebyscore(keys.ALARM_REVERTS, "-inf", now):
            if name in self.rules and await self.redis.zrem(keys.ALARM_REVERTS, name):
                try:
                    await self.revert(name, actor(name))
                    done += 1
                except NotFound:
                    pass
        return done

    async def active(self, name: str) -> dict[str, Any] | None:
        raw = await self.redis.get(keys.alarm(name))
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    async def states(self) -> list[dict[str, Any]]:
        out = []
        for rule in self.rules.values():
            state = await self.active(rule.name)
            out.append({"name": rule.name, "screens": rule.screens, "revert_after_s": rule.revert_after_s,
                        "events": rule.events.model_dump(mode="json") if rule.events else None,
                        "warnings": rule.warnings.model_dump() if rule.warnings else None,
                        "active": _public(state) if state else None})
        return out


def _public(state: dict[str, Any]) -> dict[str, Any]:
    """An alarm's state as the consoles see it (without the saved windows)."""
    return {k: v for k, v in state.items() if k != "before"}
