"""The `workers:` section of the hall's configuration: when a position is stale, how long tracks are
kept, how often phones report, how the nearest-workers search widens, and the demo's simulated patrols."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NearestConfig(_M):
    radius_steps_m: list[Annotated[float, Field(gt=0, le=100_000)]] = Field(
        [500, 1000, 2000, 5000], min_length=1, max_length=10,
        description="search radii tried in turn, widening while too few workers fit")
    limit: Annotated[int, Field(ge=1, le=100)] = Field(10, description="candidates listed at most")
    enough: Annotated[int, Field(ge=1, le=100)] = Field(3, description="stop widening once this many fit")

    @field_validator("radius_steps_m")
    @classmethod
    def _growing(cls, v: list[float]) -> list[float]:
        if any(b <= a for a, b in pairwise(v)):
            raise ValueError("radii must grow from one step to the next")
        return v


class WorkerDemoConfig(_M):
    simulated: Literal["all"] | Annotated[int, Field(ge=0, le=1000)] | list[str] = Field(
        "all", description="`hall demo` patrols: every worker account but `people`, the first N of them, or a list")
    people: list[str] = Field(["worker1"], description="worker accounts left for a person to try (never simulated)")
    speed_mps: Annotated[float, Field(gt=0, le=50)] = Field(1.3, description="walking speed of a simulated worker")
    busy_share: Annotated[float, Field(ge=0, le=1)] = 0.2
    off_duty_share: Annotated[float, Field(ge=0, le=1)] = 0.1
    status_minutes: Annotated[float, Field(gt=0, le=1440)] = Field(
        4, description="mean time between a simulated worker's status changes")


class WorkersConfig(_M):
    stale_after_s: Annotated[float, Field(gt=0, le=86_400)] = Field(
        120, description="a position older than this is stale: shown greyed, skipped by the nearest search")
    track_retention_days: Annotated[float, Field(gt=0, le=3650)] = Field(30, description="patrol tracks kept")
    report_every_s: Annotated[float, Field(ge=1, le=3600)] = Field(5, description="a phone reports at most this often")
    report_min_move_m: Annotated[float, Field(ge=0, le=10_000)] = Field(
        20, description="and only after moving this far (or to keep its position fresh)")
    nearest: NearestConfig = NearestConfig()
    demo: WorkerDemoConfig = WorkerDemoConfig()
