"""The event service: one object the routes, the demo and the app hold, built from its parts (intake.py,
access.py, transitions.py, timers.py, statistics.py) and passing each call to the part that does it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from .. import privacy, roles
from ..auth import Identity
from ..config import HallConfig
from . import workflow as wf
from .access import Access
from .calendar import WorkingCalendar
from .geo import GridIndex
from .intake import Intake
from .model import Event
from .photos import PhotoStore
from .statistics import Statistics
from .store import EventStore
from .taxonomy import Taxonomy
from .timers import Timers
from .transitions import Transitions

log = logging.getLogger("hall.events")

Hook = Callable[[str, dict], Awaitable[None]]
# Who hears the notices (`event`, `event:warning`): the consoles' room of the /console namespace.
NOTICE_READERS = roles.CONSOLE


class EventService:
    def __init__(self, redis: aioredis.Redis, cfg: HallConfig, data_dir: Callable[[], str] | None = None) -> None:
        self.redis = redis
        self.cfg = cfg
        self.ecfg = cfg.events
        self.calendar = WorkingCalendar(self.ecfg.calendar, cfg.display.timezone)
        self.taxonomy = Taxonomy(self.ecfg)
        self.grids = GridIndex.from_geojson(self.ecfg.grids_geojson) if self.ecfg.grids_geojson else GridIndex([])
        self.rules = wf.Rules(self.ecfg, self.calendar, self.taxonomy,
                              {g.id: g.worker for g in self.grids.grids if g.worker})
        self.store = EventStore(redis, self.calendar.tz, self.ecfg.idempotency_days)
        self._data_dir = data_dir or (lambda: cfg.server.data_dir)
        self.hooks: list[Hook] = []
        pseudonyms = privacy.Pseudonyms(redis)
        self.access = Access(self.ecfg, self.store, self.rules, self.grids, self.calendar)
        self.intake = Intake(cfg, self.store, self.rules, self.taxonomy, self.grids, self.access, pseudonyms,
                             lambda: self.photos, self._announce)
        self.transitions = Transitions(self.store, self.rules, self.access, lambda: self.photos, self._announce)
        self.timers = Timers(self.ecfg, self.store, self.rules, self.taxonomy, self.transitions, self._warn)
        self.statistics = Statistics(self.ecfg, self.store, self.calendar, cfg.display.timezone, pseudonyms)
        # the parts' calls, under the names the routes, the demo and the app use
        self.report = self.intake.report
        self.act = self.transitions.act
        self.get, self.get_for, self.list = self.access.get, self.access.get_for, self.access.list
        self.view, self.scope, self.visible = self.access.view, self.access.scope, self.access.visible
        self.photo_visible, self.parse_time = self.access.photo_visible, self.access.parse_time
        self.tick, self.run_timers = self.timers.tick, self.timers.run
        self.period_days, self.posts = self.statistics.period_days, self.statistics.posts
        self.grids_of_worker, self.dept_of_user = self.access.grids_of_worker, self.access.dept_of_user

    @property
    def place_of(self) -> Callable[[float | None, float | None], str | None] | None:
        """An address for a point, for each event's `place` (the map's, set by the app)."""
        return self.access.place_of

    @place_of.setter
    def place_of(self, fn: Callable[[float | None, float | None], str | None] | None) -> None:
        self.access.place_of = fn

    @property
    def photos(self) -> PhotoStore:
        return PhotoStore(Path(self._data_dir()) / "photos", self.ecfg.photos.max_bytes)

    async def stats(self, days: list[date], who: Identity | str | None = None) -> dict:
        return await self.statistics.stats(days, who.role if isinstance(who, Identity) else who)

    # -- notices ---------------------------------------------------------------------------------
    async def _emit(self, name: str, data: dict[str, Any]) -> None:
        data = privacy.for_readers(data, NOTICE_READERS)
        for hook in self.hooks:
            try:
                await hook(name, data)
            except Exception:  # a broken listener must not undo an accepted write
                log.exception("event hook failed", extra={"event": name})

    async def _announce(self, ev: Event, action: str, by: str) -> None:
        await self._emit("event", self.access.summary(ev, action, by))

    async def _warn(self, kind: str, ev: Event, extra: dict[str, Any]) -> None:
        action = "warning" if kind == "soon_due" else kind
        await self._emit("event:warning", {"kind": kind, **self.access.summary(ev, action, "system"), **extra})

