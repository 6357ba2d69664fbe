"""The `dashboards:` section of the hall's configuration: what the five wall dashboards count (the dispute
classes, the early-warning rule, periods) and how big their type is on the wall (millimetres)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The five dashboards of the hall (DOMAIN.md), by the name a panel's `dashboard` gives.
DashboardName = Literal["information", "events", "disputes", "warning", "performance"]
DASHBOARDS: tuple[str, ...] = ("information", "events", "disputes", "warning", "performance")
TITLES = {"information": "Information aggregation", "events": "Event management", "disputes": "Dispute mediation",
          "warning": "Analysis and early warning", "performance": "Performance assessment"}


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _class_codes(v: list[str]) -> list[str]:
    for code in v:
        if not re.fullmatch(r"\d{2}|\d{4}", code):
            raise ValueError(f"{code!r}: give 2-digit major or 4-digit minor class codes")
    return v


class TypeConfig(_M):
    """Type sizes on the wall, as letters' height in millimetres (CSS font size): read from the hall floor."""

    figure_mm: Annotated[float, Field(ge=20, le=1000)] = Field(80, description="key figures")
    label_mm: Annotated[float, Field(ge=10, le=500)] = Field(30, description="every other text: labels, axes, lists")
    title_mm: Annotated[float, Field(ge=10, le=500)] = Field(40, description="a dashboard's title")


class DisputesConfig(_M):
    classes: list[str] = Field(["04"], min_length=1, description="the taxonomy's dispute classes (2-digit major or "
                                                                 "4-digit minor codes)")
    settled_close_types: list[Literal["normal", "overdue", "error", "special"]] = Field(
        ["normal", "overdue"], min_length=1,
        description="close types that count as a settled dispute (the mediation success rate: settled / ended)")
    period: Literal["week", "month"] = Field("month", description="the period whose disputes are counted")
    near_deadline: Annotated[int, Field(ge=1, le=50)] = Field(6, description="disputes listed as close to their "
                                                                           "deadline (yellow or red light) at most")

    @field_validator("classes")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        return _class_codes(v)


class WarningConfig(_M):
    """The early-warning rule: a class rises unusually when today's count so far is above the mean of the same
    part of each of the last `weeks` x 7 days by more than `deviations` standard deviations, and at least
    `min_count`."""

    weeks: Annotated[int, Field(ge=1, le=26)] = 4
    deviations: Annotated[float, Field(gt=0, le=10)] = 2.0
    min_count: Annotated[int, Field(ge=1, le=10_000)] = 3
    classes: Literal["major", "minor"] = Field("minor", description="which level of the taxonomy is watched")
    listed: Annotated[int, Field(ge=1, le=50)] = Field(8, description="overdue and soon-due events listed at most")


class DashboardsConfig(_M):
    type: TypeConfig = TypeConfig()
    disputes: DisputesConfig = DisputesConfig()
    warning: WarningConfig = WarningConfig()
    trend_days: Annotated[int, Field(ge=2, le=92)] = Field(14, description="days of the event management trend")
    heat_days: Annotated[int, Field(ge=1, le=92)] = Field(7, description="days of the event management heat map")
    newest: Annotated[int, Field(ge=1, le=100)] = Field(12, description="newest events in the scrolling list")
    reporters: Annotated[int, Field(ge=1, le=20)] = Field(5, description="high-frequency reporters listed")
    patrol_cell_m: Annotated[float, Field(ge=10, le=1000)] = Field(
        50, description="patrol coverage: a grid is cut into squares this wide; a square is covered once a worker's "
                        "track passed through it today")
    rebuild_s: Annotated[float, Field(ge=0.1, le=10)] = Field(
        0.15, description="changes within this time are shown together (slow rebuilds wait longer, up to 0.6 s)")
