"""Request and response bodies of the event API (pydantic; the same models make the OpenAPI document).

Bodies are strict (parsed from JSON by pydantic's parser: a number is not a string, an object is not a name;
floats take integers, the vocabularies their words); queries are lax, as they come as text."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationInfo, WithJsonSchema, field_validator

from .config import Limit
from .vocab import Channel, CloseType, Level, Urgency

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="a photo's SHA-256, from POST /api/events/photos")]
EventId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


def _words(vocabulary: type[StrEnum]) -> WithJsonSchema:
    """The words inline in the OpenAPI document (query parameters have no place for shared schemas)."""
    return WithJsonSchema({"type": "string", "enum": [t.value for t in vocabulary]})


# A word of a vocabulary: its value in JSON (strict bodies included), the enum or its value from Python.
ChannelWord = Annotated[Channel, Strict(False), _words(Channel)]
LevelWord = Annotated[Level, Strict(False), _words(Level)]
UrgencyWord = Annotated[Urgency, Strict(False), _words(Urgency)]
CloseTypeWord = Annotated[CloseType, Strict(False), _words(CloseType)]


class _Body(BaseModel):
    """A JSON request body: strict types, no unknown fields."""
    model_config = ConfigDict(extra="forbid", strict=True)


class _Query(BaseModel):
    """A query string: text parsed into its types, no unknown parameters."""
    model_config = ConfigDict(extra="forbid")


class LimitIn(Limit):
    """How much more time (a postponement), as a body gives it."""
    model_config = ConfigDict(extra="forbid", strict=True)


class ReportIn(_Body):
    channel: ChannelWord
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    category: Annotated[str | None, Field(pattern=r"^\d{4}$", description="minor class code")] = None
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180, validate_default=True)] = None
    address: Annotated[str | None, Field(max_length=200)] = None
    photos: Annotated[list[Sha256], Field(max_length=50)] = []
    urgency: UrgencyWord = Urgency.NORMAL
    contact: Annotated[str | None, Field(max_length=100, description="resident's phone or e-mail")] = None
    reporter_name: Annotated[str | None, Field(max_length=100, description="who reported, for reports filed "
                                                                          "by an integration")] = None
    camera: Annotated[str | None, Field(max_length=64, description="source id of a camera alarm")] = None
    self_handled: bool = Field(False, description="grid worker fixed it at once (short path; give result)")
    result: Annotated[str | None, Field(max_length=2000)] = None
    idempotency_key: Annotated[str | None, Field(min_length=1, max_length=128, description="a retried submission "
                                                 "with the same key returns the first event")] = None

    @field_validator("lon")
    @classmethod
    def _both_coordinates(cls, v: float | None, info: ValidationInfo) -> float | None:
        if "lat" in info.data and (v is None) != (info.data["lat"] is None):
            raise ValueError("give lat and lon together")
        return v


class ActionIn(_Body):
    """Parameters of a transition; which ones an action needs is listed with each route."""
    note: Note | None = None
    version: Annotated[int | None, Field(ge=0, description="the event version this was decided on "
                                                           "(optional optimistic check)")] = None
    department: Annotated[str | None, Field(max_length=64)] = None
    co_handlers: Annotated[list[Annotated[str, Field(max_length=64)]] | None, Field(max_length=10)] = None
    category: Annotated[str | None, Field(pattern=r"^\d{4}$")] = None
    conditions: Annotated[str | None, Field(max_length=32)] = None
    urgency: UrgencyWord | None = None
    close_type: CloseTypeWord | None = None
    rating: Annotated[int | None, Field(ge=1, le=5)] = None
    result: Annotated[str | None, Field(min_length=1, max_length=2000)] = None
    photos: Annotated[list[Sha256] | None, Field(max_length=50)] = None
    extra: LimitIn | None = None
    original: EventId | None = None
    level: LevelWord | None = None


class EventOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    version: int
    state: str
    channel: str
    countdown: dict[str, Any] | None = None
    actions: list[str] = []


class ReportOut(BaseModel):
    event: EventOut
    created: bool = Field(description="false when this idempotency key was seen before (the first event)")


class EventOneOut(BaseModel):
    event: EventOut


class EventsOut(BaseModel):
    events: list[EventOut]
    total: int
    offset: int
    limit: int


class AuditOut(BaseModel):
    audit: list[dict[str, Any]]


class EventsQuery(_Query):
    state: str | None = None
    channel: ChannelWord | None = None
    category: Annotated[str | None, Field(pattern=r"^\d{2}(\d{2})?$")] = None
    grid: Annotated[str | None, Field(max_length=64)] = None
    department: Annotated[str | None, Field(max_length=64)] = None
    level: LevelWord | None = None
    overdue: bool | None = None
    supervised: bool | None = None
    open: Annotated[bool | None, Field(description="true: not yet closed, refused, cancelled or a duplicate")] = None
    needs_me: Annotated[bool | None, Field(description="true: waiting for a step of the loop that the caller's "
                                                        "role takes (for departments: their own departments')")] = None
    since: Annotated[str | None, Field(description="ISO date or date-time (local time if no offset)")] = None
    until: str | None = None
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    limit: Annotated[int, Field(ge=1, le=500)] = 50


class ExportQuery(EventsQuery):
    format: Literal["json", "csv"] = "json"
    limit: Annotated[int, Field(ge=1, le=100_000)] = 10_000


class AuditExportQuery(_Query):
    format: Literal["json", "csv"] = "json"
    count: Annotated[int, Field(ge=1, le=100_000)] = 10_000
    after: Annotated[str | None, Field(pattern=r"^\d+-\d+$", description="stream id to continue after")] = None


class PeriodQuery(_Query):
    period: Literal["today", "week", "month", "custom"] = "today"
    start: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="first day (custom)")] = None
    end: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="last day (custom)")] = None


class FigureQuery(PeriodQuery):
    pass


class PhotoOut(BaseModel):
    sha256: str
    content_type: str
    size: int
    url: str


class TermOut(BaseModel):
    value: str
    label: str


class StateTermOut(TermOut):
    open: bool = Field(description="not yet closed, refused, cancelled or a duplicate")


class ActionTermOut(TermOut):
    overlay: bool = Field(description="taken in any open state, the state stays (supervise, urgency, escalate)")


class VocabularyOut(BaseModel):
    """The events' words for the pages (events/vocab.py), in loop order, each with its label."""
    states: list[StateTermOut]
    actions: list[ActionTermOut]
    channels: list[TermOut]
    levels: list[TermOut]
    urgencies: list[TermOut]
    close_types: list[TermOut]
