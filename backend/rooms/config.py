"""The `rooms:` section of the hall's configuration: a room's size, how long an expert's invitation opens, how long
a dropped participant may take to come back, and whether rooms may be recorded."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RoomsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_participants: int = Field(16, ge=2, le=32, description="the room's size (the MCU composes them all)")
    invite_hours: float = Field(24, gt=0, le=24 * 14, description="how long an expert's invitation link opens")
    reconnect_grace_s: float = Field(30, ge=5, le=300, description="a dropped participant may come back this long")
    recording: Literal["off", "on_request"] = "on_request"
