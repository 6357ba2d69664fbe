"""The `events:` section of the hall's configuration: taxonomy, departments, routing rules,
working calendar, deadlines, escalation rules and the grids' GeoJSON (a separate file)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

Unit = Literal["minutes", "hours", "work_hours", "work_days"]
Level = Literal["grid", "community", "street", "district"]
LEVELS: tuple[str, ...] = ("grid", "community", "street", "district")
Channel = Literal["resident", "worker", "department", "camera", "open311"]
CHANNELS: tuple[str, ...] = ("resident", "worker", "department", "camera", "open311")
Urgency = Literal["normal", "urgent", "critical"]
EVENT_ID = r"^[A-Za-z0-9_.:-]{1,64}$"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Limit(_M):
    """A time limit: natural minutes/hours, or working hours/days over the working calendar."""
    value: Annotated[float, Field(gt=0, le=100_000)]
    unit: Unit = "work_hours"


class MinorClass(_M):
    code: Annotated[str, Field(pattern=r"^\d{4}$", description="major class (2 digits) + minor class (2 digits)")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    kind: Literal["event", "component"] = "event"
    department: str | None = Field(None, description="default responsible department (the routing key); "
                                                     "default: the major class's")
    deadlines: dict[str, Limit] = Field(
        default_factory=lambda: {"default": Limit(value=2, unit="work_days")},
        description="handling limit per case condition; 'default' is required")

    @field_validator("deadlines")
    @classmethod
    def _has_default(cls, v: dict[str, Limit]) -> dict[str, Limit]:
        if "default" not in v:
            raise ValueError("give a 'default' case condition")
        for key in v:
            if not re.match(r"^[a-z0-9_]{1,32}$", key):
                raise ValueError(f"case condition {key!r}: use 1-32 of a-z, 0-9, _")
        return v


class MajorClass(_M):
    code: Annotated[str, Field(pattern=r"^\d{2}$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    department: str | None = None
    minors: list[MinorClass] = []


class Department(_M):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    level: Level = "district"
    users: list[str] = Field([], description="user names (role department) who act for it")


class RoutingRule(_M):
    categories: list[str] = Field([], description="2-digit major or 4-digit minor codes; empty: any")
    areas: list[str] = Field([], description="grid, community or street ids; empty: anywhere")
    department: str
    reason: str | None = None


class RoutingConfig(_M):
    mode: Literal["automatic", "recommended", "manual"] = "recommended"
    top: Annotated[int, Field(ge=1, le=10)] = 3
    rules: list[RoutingRule] = []


class CalendarConfig(_M):
    hours: list[tuple[str, str]] = Field([("08:30", "12:00"), ("13:30", "17:30")],
                                         description="working periods of a working day, local time HH:MM")
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field([1, 2, 3, 4, 5], description="1 = Monday")
    holidays: list[date] = Field([], description="days off that would be working days")
    workdays: list[date] = Field([], description="working days that would be days off (swapped weekends)")

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if not v:
            raise ValueError("give at least one working period")
        last = -1
        for a, b in v:
            for t in (a, b):
                if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", t):
                    raise ValueError(f"{t!r} is not HH:MM")
            sa, sb = _minutes(a), _minutes(b)
            if sb <= sa or sa < last:
                raise ValueError(f"period {a}-{b} must end after it starts and follow the previous one")
            last = sb
        return v

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, v: list[int]) -> list[int]:
        if not v:
            raise ValueError("give at least one working weekday")
        return v


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


Node = Literal["accept", "verify", "register", "dispatch", "receive", "check", "close", "confirm"]
# Limits of the nodes before and after handling (the handling limit comes from the taxonomy).
DEFAULT_LIMITS: dict[str, Limit] = {
    "accept": Limit(value=30, unit="minutes"), "verify": Limit(value=30, unit="minutes"),
    "register": Limit(value=1, unit="hours"), "dispatch": Limit(value=1, unit="hours"),
    "receive": Limit(value=2, unit="hours"), "check": Limit(value=30, unit="minutes"),
    "close": Limit(value=2, unit="hours"), "confirm": Limit(value=2, unit="hours"),
}


class EscalationRule(_M):
    categories: list[str] = Field([], description="codes this rule applies to; empty: all")
    overdue_minutes: Annotated[float, Field(ge=0)] = 0
    level: Literal["community", "street", "district"]


class PhotosConfig(_M):
    max_bytes: Annotated[int, Field(ge=1024, le=50 * 1024 * 1024)] = 5 * 1024 * 1024
    max_per_report: Annotated[int, Field(ge=0, le=50)] = 9


class KpiConfig(_M):
    rework_denominator: Literal["due_to_close", "registered"] = "due_to_close"
    dispatch_target_per_day: Annotated[int, Field(ge=1)] = 20


class DemoFlowAccounts(_M):
    """The users `hall demo`'s event flow acts as: its own, so people trying the hall never race it as themselves."""
    operator: str = Field("flow-operator", description="role operator: accepts, registers, dispatches, closes")
    worker: str = Field("flow-worker", description="role worker: grid workers' reports; verifies and checks "
                                                   "in the grids whose worker has no account")
    department: str = Field("flow-department", description="role department, a user of every department it "
                                                           "handles for")
    reporter: str = Field("flow-reporter", description="role integration: residents' app, cameras, Open311")


class DemoFlowConfig(_M):
    reports_per_minute: Annotated[float, Field(gt=0, le=60_000)] = 2
    step_seconds: tuple[Annotated[float, Field(ge=0, le=3600)], Annotated[float, Field(ge=0, le=3600)]] = Field(
        (20, 90), description="the pause before each of the flow's steps on an event: [shortest, longest]")
    first_reports: Annotated[int, Field(ge=0, le=100)] = Field(
        6, description="reports filed at once when the hall has no events yet")
    overdue_share: Annotated[float, Field(ge=0, le=1)] = 0.1
    handover_share: Annotated[float, Field(ge=0, le=1)] = Field(
        0.25, description="share of the flow's events it leaves to the people at a step drawn at random")
    request_share: Annotated[float, Field(ge=0, le=1)] = Field(
        0.1, description="share of events in handling whose department asks a leader to postpone or suspend")
    accounts: DemoFlowAccounts = DemoFlowAccounts()

    @model_validator(mode="after")
    def _ordered(self) -> DemoFlowConfig:
        if self.step_seconds[0] > self.step_seconds[1]:
            raise ValueError("step_seconds: give [shortest, longest]")
        return self


class EventsConfig(_M):
    grids: str | None = Field(None, description="GeoJSON FeatureCollection of the grids (path, relative to the "
                                                "configuration file); properties: id, name, community, street, worker")
    urgency_factors: dict[Urgency, Annotated[float, Field(gt=0, le=1)]] = {"normal": 1.0, "urgent": 0.5,
                                                                            "critical": 0.25}
    verify_channels: list[Channel] = Field(["resident", "camera", "open311"],
                                           description="reports from these channels are verified on site")
    soon_due: Annotated[float, Field(gt=0, lt=1)] = Field(0.8, description="share of a limit used that turns "
                                                                             "the light yellow (soon-due warning)")
    idempotency_days: Annotated[int, Field(ge=1, le=3650)] = 30
    calendar: CalendarConfig = CalendarConfig()
    limits: dict[Node, Limit] = Field({}, description="per-node limits; unset nodes keep their defaults")
    departments: list[Department] = []
    taxonomy: list[MajorClass] = []
    routing: RoutingConfig = RoutingConfig()
    escalation: list[EscalationRule] = [EscalationRule(overdue_minutes=0, level="community"),
                                        EscalationRule(overdue_minutes=240, level="street"),
                                        EscalationRule(overdue_minutes=1440, level="district")]
    photos: PhotosConfig = PhotosConfig()
    kpi: KpiConfig = KpiConfig()
    demo: DemoFlowConfig = DemoFlowConfig()

    _grids: dict[str, Any] | None = PrivateAttr(None)

    def node_limit(self, node: str) -> Limit:
        return self.limits.get(node) or DEFAULT_LIMITS[node]  # type: ignore[call-overload]

    @property
    def grids_geojson(self) -> dict[str, Any] | None:
        return self._grids

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> EventsConfig:
        problems: list[str] = []
        dept_ids = [d.id for d in self.departments]
        if len(set(dept_ids)) != len(dept_ids):
            problems.append("departments: duplicate department id")
        known = set(dept_ids)
        codes: set[str] = set()
        for i, major in enumerate(self.taxonomy):
            if major.code in codes:
                problems.append(f"taxonomy[{i}].code: duplicate major class {major.code}")
            codes.add(major.code)
            if major.department is not None and major.department not in known:
                problems.append(f"taxonomy[{i}].department: unknown department {major.department!r}")
            for j, minor in enumerate(major.minors):
                where = f"taxonomy[{i}].minors[{j}]"
                if not minor.code.startswith(major.code):
                    problems.append(f"{where}.code: {minor.code} must start with its major class {major.code}")
                if minor.code in codes:
                    problems.append(f"{where}.code: duplicate class {minor.code}")
                codes.add(minor.code)
                if minor.department is not None and minor.department not in known:
                    problems.append(f"{where}.department: unknown department {minor.department!r}")
                if minor.department is None and major.department is None:
                    problems.append(f"{where}.department: give a default department here or on the major class")
        for i, rule in enumerate(self.routing.rules):
            if rule.department not in known:
                problems.append(f"routing.rules[{i}].department: unknown department {rule.department!r}")
            for k, c in enumerate(rule.categories):
                if c not in codes:
                    problems.append(f"routing.rules[{i}].categories[{k}]: unknown class {c!r}")
        for i, rule in enumerate(self.escalation):
            for k, c in enumerate(rule.categories):
                if c not in codes:
                    problems.append(f"escalation[{i}].categories[{k}]: unknown class {c!r}")
        if self.grids is not None:
            base = Path((info.context or {}).get("config_dir") or ".")
            path = Path(self.grids)
            path = path if path.is_absolute() else base / path
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                problems.append(f"grids: cannot read {path}: {exc.strerror}")
                data = None
            except ValueError as exc:
                problems.append(f"grids: {path} is not JSON: {exc}")
                data = None
            if data is not None:
                from .geo import GeoError, GridIndex  # pure; imported here to keep config import light

                try:
                    index = GridIndex.from_geojson(data)
                except GeoError as exc:
                    problems.append(f"grids: {path}: {exc}")
                else:
                    self._grids = data
                    areas = index.area_ids()
                    for i, rule in enumerate(self.routing.rules):
                        for k, a in enumerate(rule.areas):
                            if a not in areas:
                                problems.append(f"routing.rules[{i}].areas[{k}]: unknown grid, community or "
                                                f"street {a!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self
