"""The `rules:` section of the hall's configuration: alarm rules (an event or another system's warning switches a
region of the wall to a focus scene, then back) and schedules (presets or scenes at times of day and weekdays, in
the district's time zone)."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..events.vocab import Level, Urgency

RULE_NAME = r"^[A-Za-z0-9_.-]{1,48}$"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventMatch(_M):
    """Which events set the alarm off: every list given must hold the event's value (empty: any)."""

    categories: list[str] = Field([], description="2-digit major or 4-digit minor class codes")
    urgencies: list[Urgency] = []
    levels: list[Level] = Field([], description="escalation levels")
    areas: list[str] = Field([], description="grid, community or street ids")

    @field_validator("categories")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        for code in v:
            if not re.fullmatch(r"\d{2}|\d{4}", code):
                raise ValueError(f"{code!r}: give 2-digit major or 4-digit minor class codes")
        return v


class WarningMatch(_M):
    """Which warnings of another system set the alarm off: a connector with an `alert`, at these levels."""

    connector: str = Field(description="a connector id (its `alert` names the level field)")
    levels: list[str] = Field([], description="the alert levels that count (empty: every alert level)")


class AlarmRule(_M):
    name: Annotated[str, Field(pattern=RULE_NAME)]
    events: EventMatch | None = None
    warnings: WarningMatch | None = None
    screens: list[str] = Field(min_length=1, description="the region switched to the focus scene")
    map_panel: str = Field(description="the map panel (kind map) drawn centred on the event or warning")
    cameras: Annotated[int, Field(ge=0, le=9)] = Field(3, description="the nearest cameras shown beside the map")
    radius_m: Annotated[float, Field(gt=0, le=50_000)] = Field(400, description="how far round the place the map "
                                                                               "shows")
    revert_after_s: Annotated[float, Field(ge=10, le=86_400)] = Field(
        600, description="the region goes back to what it showed before after this long (or by hand)")

    @model_validator(mode="after")
    def _something(self) -> AlarmRule:
        if self.events is None and self.warnings is None:
            raise ValueError("events: give events, warnings or both (what sets the alarm off)")
        return self


class ScheduleRule(_M):
    name: Annotated[str, Field(pattern=RULE_NAME)]
    at: str = Field(description="local time of day HH:MM (display.timezone)")
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field([1, 2, 3, 4, 5, 6, 7], min_length=1,
                                                              description="1 = Monday ... 7 = Sunday")
    preset: str | None = Field(None, description="a saved preset to apply")
    scene: str | None = Field(None, description="a saved scene to apply")
    late_s: Annotated[float, Field(ge=10, le=86_400)] = Field(
        600, description="a hall started up to this long after the time still applies it (once)")

    @field_validator("at")
    @classmethod
    def _time(cls, v: str) -> str:
        if not re.fullmatch(r"\d{2}:\d{2}", v):
            raise ValueError("give the time as HH:MM")
        try:
            time.fromisoformat(v)
        except ValueError:
            raise ValueError(f"{v!r} is no time of day") from None
        return v

    @model_validator(mode="after")
    def _what(self) -> ScheduleRule:
        if (self.preset is None) == (self.scene is None):
            raise ValueError("preset: give a preset or a scene (one of them)")
        return self

    @property
    def time_of_day(self) -> time:
        return time.fromisoformat(self.at)


class RulesConfig(_M):
    alarms: list[AlarmRule] = []
    schedules: list[ScheduleRule] = []

    @model_validator(mode="after")
    def _unique(self) -> RulesConfig:
        problems = []
        for field in ("alarms", "schedules"):
            seen: set[str] = set()
            for i, r in enumerate(getattr(self, field)):
                if r.name in seen:
                    problems.append(f"{field}[{i}].name: duplicate rule {r.name!r}")
                seen.add(r.name)
        if problems:
            raise ValueError("; ".join(problems))
        return self
