"""Open311 GeoReport v2 in the hall's terms: services are the minor classes, requests are events; what a
request may carry (checked strictly) and what the district publishes of each (`events.open311`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .config import Open311Config
from .model import Event
from .taxonomy import Taxonomy
from .vocab import EventState

S = EventState
CLOSED_STATES = frozenset({S.CLOSED, S.EVALUATED, S.REFUSED, S.CANCELLED, S.DUPLICATE})
# What the public reads of each state (status_notes), never the hall's own notes.
PUBLIC_STATUS: dict[EventState, str] = {
    S.REPORTED: "received", S.VERIFYING: "received", S.TO_REGISTER: "received", S.SELF_HANDLED: "in progress",
    S.TO_DISPATCH: "in progress", S.DISPATCHED: "in progress", S.IN_PROGRESS: "in progress",
    S.POSTPONE_PENDING: "in progress", S.SUSPEND_PENDING: "in progress", S.SUSPENDED: "on hold",
    S.TO_CHECK: "in progress", S.TO_CLOSE: "in progress", S.CLOSED: "closed", S.EVALUATED: "closed",
    S.REFUSED: "not accepted", S.CANCELLED: "cancelled", S.DUPLICATE: "closed: reported before",
}
# The GeoReport names of the report's fields, for errors the event service names in its own words.
FIELD_NAMES = {"category": "service_code", "lat": "lat", "lon": "long", "address": "address_string",
               "contact": "email", "reporter_name": "first_name", "description": "description"}

Text = Annotated[str, Field(max_length=100)]


class Open311RequestIn(BaseModel):
    """POST /open311/v2/requests.json, form-encoded (every value text) or JSON (strict types). `api_key` is
    a bearer token (`hall token NAME`) of a user who may report."""
    model_config = ConfigDict(extra="forbid", strict=True)

    api_key: Annotated[str | None, Field(max_length=512)] = None
    jurisdiction_id: Annotated[str | None, Field(max_length=100, description="accepted and ignored")] = None
    service_code: Annotated[str, Field(min_length=1, max_length=16)]
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None
    long: Annotated[float | None, Field(ge=-180, le=180, validate_default=True)] = None
    address_string: Annotated[str | None, Field(max_length=200, validate_default=True)] = None
    address_id: Text | None = None
    description: Annotated[str | None, Field(max_length=2000)] = None
    media_url: Annotated[str | None, Field(max_length=500)] = None
    email: Text | None = None
    phone: Text | None = None
    first_name: Annotated[str | None, Field(max_length=48)] = None
    last_name: Annotated[str | None, Field(max_length=48)] = None
    device_id: Annotated[str | None, Field(max_length=128)] = None
    account_id: Annotated[str | None, Field(max_length=128)] = None

    @field_validator("long")
    @classmethod
    def _with_lat(cls, v: float | None, info: ValidationInfo) -> float | None:
        if "lat" in info.data and (v is None) != (info.data["lat"] is None):
            raise ValueError("give lat and long together")
        return v

    @field_validator("address_string")
    @classmethod
    def _a_location(cls, v: str | None, info: ValidationInfo) -> str | None:
        v = v.strip() or None if v is not None else None  # a blank address is no address
        if v is None and "lat" in info.data and info.data["lat"] is None:
            raise ValueError("give a location: lat and long, or an address (not blank)")
        return v

    @property
    def reporter_name(self) -> str | None:
        return " ".join(n.strip() for n in (self.first_name, self.last_name) if n and n.strip()) or None

    @property
    def external(self) -> dict[str, str]:
        """What GeoReport carries beyond the report itself (identifiers are personal: privacy.py)."""
        return {k: v for k in ("media_url", "device_id", "account_id") if (v := getattr(self, k))}


def services(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    return [{"service_code": c.code, "service_name": c.name, "description": f"{c.major_name}: {c.name}",
             "metadata": False, "type": "realtime", "keywords": c.kind, "group": c.major_name}
            for c in sorted(taxonomy.categories.values(), key=lambda c: c.code)]


def status(ev: Event) -> str:
    return "closed" if ev.state in CLOSED_STATES else "open"


def published(ev: Event, cfg: Open311Config) -> bool:
    """Whether the district publishes this event on its GeoReport endpoint."""
    return ev.channel in cfg.publish_channels


def status_notes(ev: Event, cfg: Open311Config) -> str | None:
    if cfg.status_notes == "none":
        return None
    public = PUBLIC_STATUS.get(EventState(ev.state), "in progress")
    if cfg.status_notes == "result" and ev.result and ev.state in CLOSED_STATES:
        return f"{public}: {ev.result}"
    return public


def request_out(ev: Event, tz: Any, departments: dict[str, str], cfg: Open311Config) -> dict[str, Any]:
    """One published request: GeoReport's fields, none of them personal (no names, contacts or the hall's
    internal notes)."""
    def iso(ts: float | None) -> str | None:
        return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds") if ts else None

    return {"service_request_id": ev.id, "status": status(ev), "status_notes": status_notes(ev, cfg),
            "service_name": ev.category_name, "service_code": ev.category, "description": ev.description,
            "agency_responsible": departments.get(ev.department or "", ev.department), "service_notice": None,
            "requested_datetime": iso(ev.reported_at), "updated_datetime": iso(ev.updated_at),
            "expected_datetime": None, "address": ev.address, "address_id": None, "zipcode": None,
            "lat": ev.lat, "long": ev.lon, "media_url": ev.external.get("media_url")}
