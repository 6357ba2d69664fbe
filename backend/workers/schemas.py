"""Bodies, queries and answers of the workers' REST routes and `/field` messages (pydantic), shared with the
OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..schemas import _In, _Query
from .model import STATUSES

StatusName = Literal[STATUSES]  # type: ignore[valid-type]  # a Literal, so a Socket.IO message's text passes strict
MAX_LAT = 85.05112878  # the poles are beyond what Redis GEO can index
Lat = Annotated[float, Field(ge=-MAX_LAT, le=MAX_LAT)]
Lon = Annotated[float, Field(ge=-180, le=180)]


class DutyIn(_In):
    status: StatusName


class PositionIn(_In):
    lat: Lat
    lon: Lon
    accuracy: Annotated[float, Field(ge=0, le=100_000, description="metres")] | None = None
    at: Annotated[float, Field(gt=0, description="when the fix was taken, epoch seconds; default: now")] | None = None


class TrackQuery(_Query):
    since: str | None = Field(None, description="ISO date or date-time (district time), or epoch seconds; "
                                                "default: today's midnight")
    until: str | None = Field(None, description="same forms; default: now")


class NearestQuery(_Query):
    lat: Lat
    lon: Lon
    grid: str | None = Field(None, max_length=64, description="the place's grid: its own workers are marked")
    limit: Annotated[int, Field(ge=1, le=100)] | None = None


class NearestEventQuery(_Query):
    limit: Annotated[int, Field(ge=1, le=100)] | None = None


class WorkerOut(BaseModel):
    name: str
    display_name: str
    status: str
    status_at: float | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy: float | None = None
    at: float | None = Field(None, description="when the position was taken, epoch seconds")
    position_age_s: float | None = None
    stale: bool = True
    grid: str | None = Field(None, description="the grid the position lies in")
    grids: list[str] = Field([], description="the grids the worker looks after")
    call: str | None = None
    open_tasks: int | None = Field(None, description="open events waiting for their step")


class WorkersOut(BaseModel):
    workers: list[WorkerOut]
    stale_after_s: float
    at: float


class TrackPoint(BaseModel):
    lat: float
    lon: float
    at: float
    status: str


class TrackOut(BaseModel):
    name: str
    since: float
    until: float
    points: list[TrackPoint]
    truncated: bool = Field(description="more points than one answer holds: ask again from the last `at`")


class NearbyWorker(BaseModel):
    """A worker near the place; other systems get name, display_name, distance_m, status (and why skipped)."""
    name: str
    display_name: str
    distance_m: int | None = None
    status: str
    position_age_s: float | None = None
    lat: float | None = None
    lon: float | None = None
    grid: str | None = None
    grids: list[str] | None = None
    own_grid: bool | None = None
    call: str | None = None
    reason: str | None = Field(None, description="skipped: off_duty, in_call, busy, no_position, stale, "
                                                 "outside_radius")
    why: str | None = None


class NearestOut(BaseModel):
    event: str | None = None
    lat: float
    lon: float
    event_grid: str | None = None
    radius_m: float
    radii_tried: list[float]
    candidates: list[NearbyWorker]
    skipped: list[NearbyWorker]
    more: int = Field(0, description="available inside the radius beyond the limit")
    short: str | None = Field(None, description="what is missing, when too few fit")
