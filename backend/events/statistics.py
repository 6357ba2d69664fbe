"""The statistics of a period: totals per state, channel, class and grid, the trend, the KPIs, the per-post
composites and the high-frequency reporters (named for the centre, pseudonyms for everyone else)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from .. import keys, privacy
from ..errors import Invalid
from . import kpi
from .calendar import WorkingCalendar
from .config import EventsConfig
from .store import EventStore, days_between


class Statistics:
    def __init__(self, ecfg: EventsConfig, store: EventStore, calendar: WorkingCalendar, timezone: str,
                 pseudonyms: privacy.Pseudonyms) -> None:
        self.ecfg = ecfg
        self.store = store
        self.calendar = calendar
        self.timezone = timezone
        self.pseudonyms = pseudonyms

    def period_days(self, period: str, start: str | None = None, end: str | None = None,
                    now: float | None = None) -> list[date]:
        today = self.calendar.local_date(time.time() if now is None else now)
        if period == "today":
            return [today]
        if period == "week":
            return days_between(today - timedelta(days=today.weekday()), today)
        if period == "month":
            return days_between(today.replace(day=1), today)
        if not start or not end:
            raise Invalid("custom period", errors=[{"path": "start" if not start else "end",
                                                    "message": "give start and end (YYYY-MM-DD) for a custom period"}])
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError as exc:
            raise Invalid("bad date", errors=[{"path": "start", "message": str(exc)}]) from None
        if last < first:
            raise Invalid("bad period", errors=[{"path": "end", "message": "must not be before start"}])
        if (last - first).days > 366:
            raise Invalid("period too long", errors=[{"path": "end", "message": "at most 367 days"}])
        return days_between(first, last)

    async def stats(self, days: list[date], role: str | None = None) -> dict:
        """The period's statistics as `role` may read them (no role: as the wall and other systems do)."""
        cohort, _posts, per_day = await self.store.sums(days)

        def prefixed(prefix: str) -> dict[str, int]:
            return {k[len(prefix):]: v for k, v in sorted(cohort.items()) if k.startswith(prefix) and v}

        return {
            "period": {"start": days[0].isoformat(), "end": days[-1].isoformat(), "days": len(days),
                       "timezone": self.timezone},
            "total": cohort.get("reported", 0),
            "states": prefixed("state:"),
            "states_now": await self.store.states_now(),
            "channels": prefixed("channel:"),
            "categories": prefixed("category:"),
            "grids": prefixed("grid:"),
            "trend": {"days": [{"day": d.isoformat(), "reported": r.get("reported", 0), "closed": r.get("closed", 0)}
                               for d, r in zip(days, per_day, strict=False)],
                      "hours": [cohort.get(f"hour:{h:02d}", 0) for h in range(24)]},
            "kpis": kpi.kpis(cohort, rework_denominator=self.ecfg.kpi.rework_denominator),
            "counts": {k: v for k, v in sorted(cohort.items()) if ":" not in k},
            "mean_handling_hours": kpi.mean_handling_hours(cohort),
            "top_reporters": await self.pseudonyms.reporters(await self.store.top_reporters(days), role),
        }

    async def posts(self, days: list[date]) -> dict:
        _, posts, _ = await self.store.sums(days)
        names = {d.id: d.name for d in self.ecfg.departments}
        out = kpi.posts(posts, dispatch_target=self.ecfg.kpi.dispatch_target_per_day * len(days))
        for d in out["departments"]:
            d["display_name"] = names.get(d["name"], d["name"])
        people = [p for kind in ("grid_workers", "shift_leads", "dispatchers") for p in out[kind]]
        shown = await self.display_names([p["name"] for p in people])
        for p in people:  # the wall names people as they are called, not by their log-in
            p["display_name"] = shown.get(p["name"]) or p["name"]
        return {"period": {"start": days[0].isoformat(), "end": days[-1].isoformat()}, **out}

    async def display_names(self, names: list[str]) -> dict[str, str]:
        """User name -> display name (as the users' records hold it; missing ones left out)."""
        unique = sorted(set(names))
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for n in unique:
                pipe.hget(keys.user(n), "display_name")
            got = await pipe.execute()
        return {n: d for n, d in zip(unique, got, strict=True) if d}

    # -- counts of any stretch of time (the dashboards' "same period before" and rising classes) ----------
    def day_start(self, d: date) -> float:
        """Local midnight of a day (epoch s), in the district's zone."""
        return datetime(d.year, d.month, d.day, tzinfo=self.calendar.tz).timestamp()

    async def reported_in(self, spans: list[tuple[float, float]],
                          classes: Iterable[str] = ()) -> tuple[list[int], dict[str, list[int]]]:
        """How many events were reported in each span [since, until], in all and per class code (2-digit major or
        4-digit minor): counted on the indexes, exact to the second. One round trip."""
        codes = list(classes)
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for since, until in spans:
                pipe.zcount(keys.EVENTS_INDEX, since, until)
            for code in codes:
                for since, until in spans:
                    pipe.zcount(keys.events_by("cat", code), since, until)
            counts = [int(n) for n in await pipe.execute()]
        n = len(spans)
        return counts[:n], {code: counts[n * (k + 1):n * (k + 2)] for k, code in enumerate(codes)}
