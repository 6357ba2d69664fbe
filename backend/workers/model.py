"""A grid worker as the hall sees them live: duty status, last position and its age, grids, call (pure).

Also names what of it is personal data (a worker's positions and patrol track) and what other systems
may see of a worker."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """A worker's duty status, switched on the field page."""

    ON_DUTY = "on_duty"    # on patrol: reports position, can be sent and called
    BUSY = "busy"          # on duty but occupied (a task on site): reports position, not proposed for a new one
    OFF_DUTY = "off_duty"  # not working: reports nothing


STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
REPORTING = frozenset({Status.ON_DUTY.value, Status.BUSY.value})  # the statuses whose phones report positions

# Personal data (DESIGN.md: "workers' tracks"): a worker's live position and every point of their patrol
# track, and what gives the position away (the grid they stand in, the fix's accuracy and time). Only
# roles.WORKERS_SEE reads them for every worker, a worker their own. backend/privacy.py, the one place that
# names personal fields, should take this set; until it does, the routes here keep to it themselves.
PERSONAL_FIELDS: frozenset[str] = frozenset({"lat", "lon", "accuracy", "at", "position_age_s", "stale", "grid",
                                             "points"})
# What a caller without that right (another system asking for the nearest workers of an event) gets.
OUTSIDE_FIELDS: tuple[str, ...] = ("name", "display_name", "distance_m", "status", "reason", "why")

EARTH_RADIUS_M = 6_372_797.560856  # the radius Redis's GEO commands use, so our distances agree with theirs


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, as Redis computes GEODIST)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def outside_view(item: dict[str, Any]) -> dict[str, Any]:
    """A worker as another system may see them: who, how far, what status; never where."""
    return {k: item[k] for k in OUTSIDE_FIELDS if k in item}


@dataclass(frozen=True)
class GridWorker:
    """One worker's live state, read from their hash in Redis."""

    name: str
    display_name: str
    status: str = Status.OFF_DUTY.value
    status_at: float | None = None
    lat: float | None = None
    lon: float | None = None
    at: float | None = None          # when the position was taken (epoch s)
    accuracy: float | None = None    # metres, as the phone reports it
    grid: str | None = None          # the grid the position lies in
    call: str | None = None          # the call they are in
    grids: tuple[str, ...] = ()      # the grids they look after

    @classmethod
    def from_hash(cls, name: str, display_name: str, h: dict[str, str], grids: tuple[str, ...]) -> GridWorker:
        def num(key: str) -> float | None:
            try:
                return float(h[key]) if h.get(key) else None
            except ValueError:
                return None

        status = h.get("status") or ""
        if status not in STATUSES:
            status = Status.OFF_DUTY.value
        return cls(name, display_name, status, num("status_at"), num("lat"), num("lon"), num("at"), num("accuracy"),
                   h.get("grid") or None, h.get("call") or None, grids)

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None and self.at is not None

    def age(self, now: float) -> float | None:
        return max(0.0, now - self.at) if self.at is not None else None

    def stale(self, now: float, stale_after_s: float) -> bool:
        age = self.age(now)
        return age is None or age > stale_after_s

    def view(self, now: float, stale_after_s: float) -> dict[str, Any]:
        """The worker as the centre sees them (personal data included)."""
        age = self.age(now)
        return {"name": self.name, "display_name": self.display_name, "status": self.status,
                "status_at": self.status_at, "lat": self.lat, "lon": self.lon, "accuracy": self.accuracy,
                "at": self.at, "position_age_s": round(age, 1) if age is not None else None,
                "stale": self.stale(now, stale_after_s), "grid": self.grid, "grids": list(self.grids),
                "call": self.call}

    def position(self) -> dict[str, Any]:
        """The entry of a `workers:positions` push to the consoles."""
        return {"name": self.name, "display_name": self.display_name, "lat": self.lat, "lon": self.lon,
                "status": self.status, "at": self.at, "grid": self.grid, "grids": list(self.grids),
                "call": self.call}
