"""Scheduled layouts: a preset or scene at a time of day on chosen weekdays, in the district's time zone, applied
once per occurrence however many hall processes run (the first to mark the occurrence in Redis applies it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

import redis.asyncio as aioredis

from .. import keys
from ..errors import Conflict, HallError
from ..wall_control import WallControl
from .config import ScheduleRule

log = logging.getLogger("hall.rules")

Notify = Callable[[dict[str, Any]], Awaitable[None]]
DONE_TTL_S = 3 * 86_400
WRITE_TRIES = 8


def occurrence(rule: ScheduleRule, now: float, tz: tzinfo) -> datetime | None:
    """The occurrence to apply at `now`: today's (local) time of the rule if it has passed by at most `late_s` on
    one of its weekdays (or yesterday's, just after midnight), else None."""
    local = datetime.fromtimestamp(now, tz)
    for back in (0, 1):
        d = (local - timedelta(days=back)).date()
        at = datetime.combine(d, rule.time_of_day, tz)
        if d.isoweekday() in rule.weekdays and 0 <= now - at.timestamp() <= rule.late_s:
            return at
    return None


def next_occurrence(rule: ScheduleRule, now: float, tz: tzinfo) -> datetime:
    """The next time the rule applies after `now`."""
    local = datetime.fromtimestamp(now, tz)
    for ahead in range(0, 8):
        d = (local + timedelta(days=ahead)).date()
        at = datetime.combine(d, rule.time_of_day, tz)
        if d.isoweekday() in rule.weekdays and at.timestamp() > now:
            return at
    raise ValueError("a schedule with no weekday")  # the configuration asks for at least one


def actor(rule: str) -> str:
    return f"schedule:{rule}"


class Schedules:
    def __init__(self, redis: aioredis.Redis, rules: list[ScheduleRule], wc: WallControl, tz: tzinfo,
                 notify: Notify, process: str) -> None:
        self.redis = redis
        self.rules = {r.name: r for r in rules}
        self.wc = wc
        self.tz = tz
        self.notify = notify
        self.process = process
        self._done: set[str] = set()  # occurrences this process saw done (no Redis call each second for them)

    async def tick(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        applied = 0
        for rule in self.rules.values():
            at = occurrence(rule, now, self.tz)
            if at is None:
                continue
            stamp = at.strftime("%Y-%m-%dT%H:%M")
            memo = f"{rule.name}@{stamp}"
            if memo in self._done:
                continue
            self._done.add(memo)
            if await self.redis.set(keys.schedule_done(rule.name, stamp), self.process, nx=True, ex=DONE_TTL_S):
                await self.apply(rule, stamp)
                applied += 1
        if len(self._done) > 1000:
            self._done.clear()
        return applied

    async def apply(self, rule: ScheduleRule, stamp: str) -> None:
        what = f"preset {rule.preset!r}" if rule.preset is not None else f"scene {rule.scene!r}"
        try:
            version = await self._write(rule)
        except HallError as exc:
            log.error("schedule could not be applied", extra={"rule": rule.name, "error": exc.message})
            await self.notify({"kind": "failed", "rule": rule.name, "reason": f"{what} at {rule.at}",
                               "error": exc.message})
            return
        log.info("schedule applied", extra={"rule": rule.name, "occurrence": stamp, "version": version})
        await self.notify({"kind": "schedule", "rule": rule.name, "reason": f"{what} at {rule.at} ({stamp})",
                           "at": time.time(), "version": version})

    async def _write(self, rule: ScheduleRule) -> int:
        for _ in range(WRITE_TRIES):
            version = (await self.wc.layout()).version
            try:
                if rule.preset is not None:
                    state = await self.wc.apply_preset(rule.preset, version, actor(rule.name))
                else:
                    state = await self.wc.apply_scene(rule.scene or "", version, actor(rule.name))
            except Conflict:
                continue
            return state.version
        raise Conflict("the wall is changing too fast; the schedule could not apply")

    async def states(self, now: float | None = None) -> list[dict[str, Any]]:
        now = time.time() if now is None else now
        out = []
        for rule in self.rules.values():
            nxt = next_occurrence(rule, now, self.tz)
            out.append({"name": rule.name, "at": rule.at, "weekdays": rule.weekdays, "preset": rule.preset,
                        "scene": rule.scene, "next": nxt.isoformat(timespec="minutes")})
        return out
