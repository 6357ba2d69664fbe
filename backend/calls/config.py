"""The `calls:` section of the hall's configuration: who may call, how long a phone rings, how many ring at
once, how long a dropped side may take to come back, and whether calls are recorded."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..roles import CENTRE, Role


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallVideoConfig(_M):
    landscape: tuple[Annotated[int, Field(ge=160, le=1920)], Annotated[int, Field(ge=120, le=1080)]] = Field(
        (640, 360), description="the picture the console sees of the phone (w, h; even numbers)")
    portrait: tuple[Annotated[int, Field(ge=120, le=1080)], Annotated[int, Field(ge=160, le=1920)]] = Field(
        (360, 640), description="the picture a phone sees of the console (w, h; even numbers)")
    bitrate_kbps: Annotated[int, Field(ge=100, le=8000)] = 900

    @field_validator("landscape", "portrait")
    @classmethod
    def _even(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] % 2 or v[1] % 2:
            raise ValueError("width and height must be even (YUV 4:2:0)")
        return v


class CallsConfig(_M):
    callers: list[Role] = Field(sorted(Role(r) for r in CENTRE), description="roles that may start calls")
    ring_timeout_s: Annotated[float, Field(gt=1, le=120)] = Field(
        20, description="a phone that does not answer this long is missed; the next one rings")
    ring_at_once: Annotated[int, Field(ge=2, le=10)] = Field(
        3, description="how many phones 'Ring nearest' rings together (the first to answer gets the call)")
    reconnect_grace_s: Annotated[float, Field(ge=5, le=300)] = Field(
        30, description="a side whose network dropped may come back into the call this long")
    max_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = Field(180, description="a call ends after this long")
    recording: Literal["off", "on_request", "always"] = Field(
        "on_request", description="MP4 recordings (the field side's camera and both voices) under the data directory")
    video: CallVideoConfig = CallVideoConfig()
