"""An event as stored and returned: one JSON document per event (pydantic)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Event(BaseModel):
    id: str
    version: int = 0
    state: str
    channel: str
    category: str | None = None
    category_name: str | None = None
    conditions: str = "default"
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    grid: str | None = None
    community: str | None = None
    street: str | None = None
    outside_grid: bool = False
    photos: list[str] = []
    reporter: str
    reporter_role: str
    reporter_alias: str | None = Field(None, description="a resident reporter's pseudonym (backend/privacy.py)")
    contact: str | None = None
    urgency: str = "normal"
    level: str = "grid"
    supervised: bool = False
    supervisions: list[dict[str, Any]] = []
    duplicate_of: str | None = None
    department: str | None = None
    co_handlers: list[str] = []
    dispatcher: str | None = None
    departments_tried: list[str] = []
    routing: dict[str, Any] | None = None
    self_handled: bool = False
    registered_by: str | None = None
    reported_at: float
    updated_at: float
    registered_at: float | None = None
    dispatched_at: float | None = None
    handled_at: float | None = None
    closed_at: float | None = None
    close_type: str | None = None
    rating: int | None = None
    evaluation: str | None = None
    result: str | None = None
    result_photos: list[str] = []
    rework_count: int = 0
    postpone_count: int = 0
    suspend_count: int = 0
    pending: dict[str, Any] | None = None
    node_clock: dict[str, Any] | None = None
    case_clock: dict[str, Any] | None = None
    overdue: bool = False
    overdue_since: float | None = None
    marks: list[str] = Field([], description="one-time counters already counted for this event")
    idempotency_key: str | None = None
    external: dict[str, Any] = {}
