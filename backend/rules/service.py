"""The layout rules' one owner in the app: the alarms and the schedules, their once-a-second look at the clock,
and the notices to the consoles (`rule` on /console: why the wall switched, and when it goes back)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

import redis.asyncio as aioredis

from ..config import HallConfig
from ..events.geo import GridIndex
from ..wall_control import WallControl
from .alarms import Alarms, Notify
from .schedules import Schedules

log = logging.getLogger("hall.rules")


class LayoutRules:
    def __init__(self, redis: aioredis.Redis, cfg: HallConfig, wc: WallControl, grids: GridIndex, tz: Any,
                 place_of: Any = None) -> None:
        self.notices: list[Notify] = []
        self.alarms = Alarms(redis, cfg, wc, grids, place_of, self._notify)
        self.schedules = Schedules(redis, cfg.rules.schedules, wc, tz, self._notify, secrets.token_hex(6))
        self.timezone = cfg.display.timezone
        self._task: asyncio.Task[None] | None = None

    async def _notify(self, notice: dict[str, Any]) -> None:
        notice.setdefault("at", time.time())
        for fn in self.notices:
            try:
                await fn(notice)
            except Exception:
                log.exception("rule notice failed")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="layout-rules")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.alarms.settled()

    async def _run(self) -> None:
        while True:
            try:
                await self.alarms.tick()
                await self.schedules.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: the wall stays as it is; look again in a second
                log.exception("layout rules failed; retrying")
            await asyncio.sleep(1.0)

    async def states(self) -> dict[str, Any]:
        return {"timezone": self.timezone, "alarms": await self.alarms.states(),
                "schedules": await self.schedules.states()}
