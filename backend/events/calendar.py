"""The working calendar and deadline clocks (pure).

A limit is counted on one of three clocks: natural time (minutes, hours), working hours
(only the working periods of working days count) or working days (whole working days
count). A `Clock` holds a budget on such a clock; suspending stops it, postponing adds
to the budget, and the countdown light says how much is used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .config import CalendarConfig, Limit

MAX_DAYS = 3 * 366  # a deadline further than this is a configuration mistake


class CalendarError(ValueError):
    pass


def _hm(s: str) -> time | None:
    if s == "24:00":
        return None
    h, m = s.split(":")
    return time(int(h), int(m))


class WorkingCalendar:
    def __init__(self, cfg: CalendarConfig, timezone: str) -> None:
        self.tz = ZoneInfo(timezone)
        self.periods = [(_hm(a), _hm(b)) for a, b in cfg.hours]
        self.weekdays = set(cfg.weekdays)
        self.holidays = set(cfg.holidays)
        self.workdays = set(cfg.workdays)

    # -- days -------------------------------------------------------------------
    def local_date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.isoweekday() in self.weekdays

    def _at(self, d: date, t: time | None) -> float:
        if t is None:
            return datetime.combine(d + timedelta(days=1), time(0), self.tz).timestamp()
        return datetime.combine(d, t, self.tz).timestamp()

    def intervals(self, unit: str, d: date) -> list[tuple[float, float]]:
        """The stretches of day d (epoch seconds) during which a clock of this unit runs."""
        if unit in ("minutes", "hours"):
            return [(self._at(d, time(0)), self._at(d, None))]
        if not self.is_working_day(d):
            return []
        if unit == "work_days":
            return [(self._at(d, time(0)), self._at(d, None))]
        if unit == "work_hours":
            return [(self._at(d, a), self._at(d, b)) for a, b in self.periods]
        raise CalendarError(f"unknown unit {unit!r}")

    # -- counting -----------------------------------------------------------------
    def elapsed(self, unit: str, a: float, b: float) -> float:
        """Seconds of clock time between a and b (0 if b <= a)."""
        if b <= a:
            return 0.0
        if unit in ("minutes", "hours"):
            return b - a
        total = 0.0
        d = self.local_date(a)
        last = self.local_date(b)
        while d <= last:
            for s, e in self.intervals(unit, d):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += hi - lo
            d += timedelta(days=1)
        return total

    def advance(self, unit: str, a: float, seconds: float) -> float:
        """The instant when `seconds` of clock time have run from a."""
        if seconds <= 0:
            return a
        if unit in ("minutes", "hours"):
            return a + seconds
        left = seconds
        d = self.local_date(a)
        for _ in range(MAX_DAYS):
            for s, e in self.intervals(unit, d):
                lo = max(s, a)
                if e <= lo:
                    continue
                if e - lo >= left:
                    return lo + left
                left -= e - lo
            d += timedelta(days=1)
        raise CalendarError("the deadline is more than three years away: check the calendar and limits")


def budget_seconds(limit: Limit, factor: float = 1.0) -> float:
    """A limit as seconds of its own clock (a working day counts 24 h of working-day clock)."""
    per = {"minutes": 60, "hours": 3600, "work_hours": 3600, "work_days": 86400}[limit.unit]
    return limit.value * per * factor


@dataclass(frozen=True)
class Clock:
    """A countdown on one clock: budget, time used before the last start, and whether it runs."""
    node: str
    unit: str
    budget_s: float
    used_s: float = 0.0
    running_since: float | None = None  # epoch seconds; None = stopped (suspended or finished)

    @classmethod
    def start(cls, node: str, limit: Limit, now: float, factor: float = 1.0) -> Clock:
        return cls(node, limit.unit, budget_seconds(limit, factor), 0.0, now)

    def used(self, cal: WorkingCalendar, now: float) -> float:
        if self.running_since is None:
            return self.used_s
        return self.used_s + cal.elapsed(self.unit, self.running_since, now)

    def due_at(self, cal: WorkingCalendar) -> float | None:
        """When the budget runs out; None while the clock is stopped."""
        if self.running_since is None:
            return None
        return cal.advance(self.unit, self.running_since, max(self.budget_s - self.used_s, 0.0))

    def warn_at(self, cal: WorkingCalendar, share: float) -> float | None:
        """When `share` of the budget is used (the soon-due warning); None if stopped or past."""
        if self.running_since is None:
            return None
        left = self.budget_s * share - self.used_s
        if left <= 0:
            return None
        return cal.advance(self.unit, self.running_since, left)

    def stop(self, cal: WorkingCalendar, now: float) -> Clock:
        if self.running_since is None:
            return self
        return replace(self, used_s=self.used(cal, now), running_since=None)

    def resume(self, now: float) -> Clock:
        if self.running_since is not None:
            return self
        return replace(self, running_since=now)

    def extend(self, extra_s: float) -> Clock:
        return replace(self, budget_s=self.budget_s + extra_s)

    def fraction(self, cal: WorkingCalendar, now: float) -> float:
        return self.used(cal, now) / self.budget_s if self.budget_s > 0 else 1.0

    def overdue(self, cal: WorkingCalendar, now: float) -> bool:
        return self.used(cal, now) > self.budget_s

    def light(self, cal: WorkingCalendar, now: float, share: float = 0.8) -> str:
        """green under `share` of the limit used, yellow from there to the limit, red past it."""
        f = self.fraction(cal, now)
        if f > 1.0:
            return "red"
        return "yellow" if f >= share else "green"

    def to_dict(self) -> dict:
        return {"node": self.node, "unit": self.unit, "budget_s": self.budget_s, "used_s": self.used_s,
                "running_since": self.running_since}

    @classmethod
    def from_dict(cls, d: dict | None) -> Clock | None:
        if not d:
            return None
        return cls(d["node"], d["unit"], float(d["budget_s"]), float(d.get("used_s", 0.0)), d.get("running_since"))
