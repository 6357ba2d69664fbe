"""The map's one owner in the app: the district, its address finder and GEO indexes, kept current as
events are reported; what the GIS routes ask."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Any

import redis.asyncio as aioredis

from .. import keys
from ..config import HallConfig
from ..events.service import EventService
from ..events.workflow import countdown
from ..workers.registry import WorkerRegistry
from .address import PlaceFinder
from .district import District
from .index import Box, Shape, backfill_events, index_district, index_event, search

log = logging.getLogger("hall.gis")

HEAT_MAX = 20_000  # most events in one heat map (the newest of the period)
AREA_EVENTS_MAX = 5_000  # most events of an area whose states are counted (the nearest)


class MapService:
    def __init__(self, redis: aioredis.Redis, cfg: HallConfig, events: EventService, workers: WorkerRegistry) -> None:
        self.redis = redis
        self.cfg = cfg
        self.events = events
        self.workers = workers  # grid workers' live positions (backend/workers)
        self.district = District(cfg)
        self.finder = PlaceFinder(self.district, cfg.gis.address_radius_m)
        self.backfill: asyncio.Task[int] | None = None

    def place(self, lat: float | None, lon: float | None) -> str | None:
        return self.finder.place(lat, lon)

    async def start(self) -> None:
        """Index the district (when it changed) and, in the background, the events reported while away."""
        written = await index_district(self.redis, self.district)
        if written:
            log.info("map indexes written", extra={"layers": ",".join(f"{k}={v}" for k, v in written.items())})
        self.backfill = asyncio.create_task(backfill_events(self.redis, self.events.store.get_many))

    async def stop(self) -> None:
        if self.backfill is not None and not self.backfill.done():
            self.backfill.cancel()

    async def on_event(self, name: str, data: dict) -> None:
        """The events' hook: a new report goes onto the events' GEO index at once."""
        if name == "event" and data.get("action") == "report":
            await index_event(self.redis, data["id"], data.get("lat"), data.get("lon"))

    async def workers_within(self, shape: Shape) -> list[dict]:
        """Workers whose last position is inside the shape, nearest its centre first (personal data: the
        route shows them to roles.WORKERS_SEE only)."""
        if isinstance(shape, Box):
            return list(await self.workers.within_box(shape.w, shape.s, shape.e, shape.n))
        return list(await self.workers.within_radius(shape.lat, shape.lon, shape.radius_m))

    async def worker_positions(self) -> list[dict]:
        """Every worker's last position (the map's live layer before the first `workers:positions` push)."""
        return [w.position() for w in await self.workers.list() if w.lat is not None]

    async def events_in(self, shape: Shape, since: float, until: float, limit: int, exclude: str | None,
                        reader: Any) -> dict:
        """Events reported in the period inside the shape, nearest first, with their states counted."""
        hits = [h for h in await search(self.redis, keys.gis_geo("events"), shape) if h[0] != exclude]
        if not hits:
            return {"total": 0, "by_state": {}, "items": []}
        scores = await self.redis.zmscore(keys.EVENTS_INDEX, [h[0] for h in hits])
        inside = [h for h, at in zip(hits, scores, strict=True) if at is not None and since <= at <= until]
        dist = {h[0]: h[1] for h in inside}
        # states counted from each event's hash field (cheap); documents read only for the items listed
        async with self.redis.pipeline(transaction=False) as pipe:
            for h in inside[:AREA_EVENTS_MAX]:
                pipe.hget(keys.event(h[0]), "state")
            states = await pipe.execute()
        evs = await self.events.store.get_many([h[0] for h in inside[:limit]])
        evs = [e for e in evs if reader is None or self.events.visible(e, reader)]
        now = time.time()
        items = []
        for ev in evs:
            cd = countdown(ev, self.events.rules, now)
            items.append({"id": ev.id, "state": ev.state, "category": ev.category, "category_name": ev.category_name,
                          "description": (ev.description or "")[:120], "reported_at": ev.reported_at,
                          "light": cd["light"] if cd else None, "lat": ev.lat, "lon": ev.lon,
                          "distance_m": round(dist[ev.id], 1), "place": self.place(ev.lat, ev.lon)})
        return {"total": len(inside), "by_state": dict(Counter(s for s in states if s).most_common()),
                "items": items}

    async def heat(self, since: float, until: float) -> dict:
        """Where events were reported in the period: [lon, lat] per event (the newest HEAT_MAX)."""
        ids = await self.redis.zrevrangebyscore(keys.EVENTS_INDEX, until, since, start=0, num=HEAT_MAX)
        points: list[list[float]] = []
        for i in range(0, len(ids), 1000):
            chunk = ids[i:i + 1000]
            for p in await self.redis.geopos(keys.gis_geo("events"), *chunk):
                if p is not None:
                    points.append([round(float(p[0]), 6), round(float(p[1]), 6)])
        return {"since": since, "until": until, "total": len(points), "capped": len(ids) == HEAT_MAX,
                "points": points}
