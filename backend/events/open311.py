"""Open311 GeoReport v2 in the hall's terms: services are the minor classes, requests are events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Event
from .taxonomy import Taxonomy
from .workflow import CANCELLED, CLOSED, DUPLICATE, EVALUATED, REFUSED

CLOSED_STATES = frozenset({CLOSED, EVALUATED, REFUSED, CANCELLED, DUPLICATE})


def services(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    return [{"service_code": c.code, "service_name": c.name, "description": f"{c.major_name}: {c.name}",
             "metadata": False, "type": "realtime", "keywords": c.kind, "group": c.major_name}
            for c in sorted(taxonomy.categories.values(), key=lambda c: c.code)]


def status(ev: Event) -> str:
    return "closed" if ev.state in CLOSED_STATES else "open"


def request_out(ev: Event, tz: Any, departments: dict[str, str]) -> dict[str, Any]:
    def iso(ts: float | None) -> str | None:
        return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds") if ts else None

    notes = {REFUSED: "not accepted", CANCELLED: "cancelled after verification", DUPLICATE:
             f"duplicate of {ev.duplicate_of}"}.get(ev.state) or ev.result or ev.state.replace("_", " ")
    return {"service_request_id": ev.id, "status": status(ev), "status_notes": notes,
            "service_name": ev.category_name, "service_code": ev.category, "description": ev.description,
            "agency_responsible": departments.get(ev.department or "", ev.department), "service_notice": None,
            "requested_datetime": iso(ev.reported_at), "updated_datetime": iso(ev.updated_at),
            "expected_datetime": None, "address": ev.address, "address_id": None, "zipcode": None,
            "lat": ev.lat, "long": ev.lon, "media_url": ev.external.get("media_url")}
