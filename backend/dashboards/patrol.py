"""Today's patrol coverage per grid, kept as the positions arrive: each report that lands in a new square of a grid
adds it to that grid's set of the day in Redis; at start the day's tracks are read once (backfill)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, tzinfo
from typing import Any

import redis.asyncio as aioredis

from .. import keys
from ..events.geo import GridIndex
from ..workers.model import GridWorker
from .coverage import PatrolSquares

log = logging.getLogger("hall.dashboards")

KEEP_S = 3 * 86_400  # a day's squares are kept a little longer than the day
Names = Callable[[], Awaitable[list[str]]]
Track = Callable[[str, float, float], Awaitable[dict[str, Any]]]


class PatrolCoverage:
    def __init__(self, redis: aioredis.Redis, grids: GridIndex, cell_m: float, tz: tzinfo) -> None:
        self.redis = redis
        self.grids = grids
        self.cell_m = cell_m
        self.tz = tz
        self.squares: PatrolSquares | None = None  # cut at start (CPU: off the event loop)

    def day(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    async def start(self, workers: Names, track: Track) -> None:
        """Cut the grids into squares; then, once a day among all hall processes, read the day's tracks so far.
        `workers()` lists the worker names, `track(name, since, until)` reads a track (WorkerRegistry's)."""
        self.squares = await asyncio.to_thread(PatrolSquares.of, self.grids, self.cell_m)
        today = self.day(time.time())
        if await self.redis.hsetnx(keys.PATROL_BACKFILLED, today.isoformat(), str(time.time())):
            try:
                added = await self._backfill(today, workers, track)
                log.info("patrol coverage read from today's tracks", extra={"squares": added})
            except Exception:  # the live reports still count; the morning's tracks are missing until tomorrow
                log.exception("patrol coverage backfill failed")

    async def _backfill(self, today: date, workers: Names, track: Track) -> int:
        since = datetime(today.year, today.month, today.day, tzinfo=self.tz).timestamp()
        names = await workers()
        added = 0
        for name in names:
            got = await track(name, since, time.time())
            points = [(p["lat"], p["lon"]) for p in got["points"]]
            found = await asyncio.to_thread(self._covered, points)
            added += await self._add(today, [c for c in found if c is not None])
        return added

    def _covered(self, points: list[tuple[float, float]]) -> list[tuple[str, str] | None]:
        assert self.squares is not None
        return [self.squares.covered(y, x) for y, x in points]

    async def _add(self, day: date, covered: list[tuple[str, str]]) -> int:
        if not covered:
            return 0
        by_grid: dict[str, set[str]] = {}
        for grid, square in covered:
            by_grid.setdefault(grid, set()).add(square)
        async with self.redis.pipeline(transaction=False) as pipe:
            for grid, names in by_grid.items():
                key = keys.patrol_squares(day.isoformat(), grid)
                pipe.sadd(key, *names)
                pipe.expire(key, KEEP_S)
            res = await pipe.execute()
        return sum(int(n) for n in res[::2])

    async def on_worker(self, what: str, w: GridWorker) -> bool:
        """A worker's new position: True when it covered a square not covered before today."""
        if what != "position" or self.squares is None or w.lat is None or w.lon is None or w.at is None:
            return False
        found = self.squares.covered(w.lat, w.lon)
        return found is not None and await self._add(self.day(w.at), [found]) > 0

    async def shares(self, day: date) -> dict[str, tuple[int, int]]:
        """Grid id -> (squares covered that day, squares in all)."""
        if self.squares is None:
            return {}
        grids = [g.id for g in self.grids.grids]
        async with self.redis.pipeline(transaction=False) as pipe:
            for g in grids:
                pipe.scard(keys.patrol_squares(day.isoformat(), g))
            counts = await pipe.execute()
        return {g: (int(n), self.squares.totals.get(g, 1)) for g, n in zip(grids, counts, strict=True)}
