"""A call as it is kept and shown: who called whom about which event, who was rung and what each did, the
times, the outcome, and what happened during it (instructions, snapshots, the wall, the recording)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class CallState(StrEnum):
    RINGING = "ringing"      # phones are ringing; the caller's side may already be connected
    CONNECTED = "connected"  # a worker answered
    ENDED = "ended"


class Outcome(StrEnum):
    ANSWERED = "answered"    # a worker answered (the call took place)
    DECLINED = "declined"    # every worker rung declined
    MISSED = "missed"        # nobody answered in time, or nobody could be rung
    FAILED = "failed"        # the media never came up, or a side did not come back in time
    CANCELLED = "cancelled"  # the caller hung up before anyone answered


class Mode(StrEnum):
    NEAREST = "nearest"  # ring the nearest available worker; the next when missed or declined
    RING = "ring"        # ring the nearest few at once; the first to answer gets the call
    WORKER = "worker"    # ring one chosen worker


RungOutcome = Literal["ringing", "answered", "declined", "missed", "cancelled"]
SideState = Literal["waiting", "connecting", "connected", "reconnecting", "left"]


class Person(BaseModel):
    name: str
    display_name: str


class Rung(BaseModel):
    """One worker whose phone rang."""

    name: str
    display_name: str
    distance_m: float | None = None
    at: float
    until: float
    outcome: RungOutcome = "ringing"
    answered_at: float | None = None


class EventBrief(BaseModel):
    """What the phone shows of the event it is called about (nothing personal)."""

    id: str
    category_name: str | None = None
    description: str = ""
    place: str | None = None
    address: str | None = None
    urgency: str = "normal"
    lat: float | None = None
    lon: float | None = None


class Text(BaseModel):
    at: float
    by: str
    text: str


class Recording(BaseModel):
    state: Literal["recording", "done", "failed"]
    file: str = Field(description="the MP4's path under the data directory (not shown: GET .../recording.mp4)")
    started_at: float
    ended_at: float | None = None
    seconds: float | None = None
    bytes: int | None = None
    error: str | None = None


class CallRecord(BaseModel):
    id: str
    mode: Mode
    state: CallState = CallState.RINGING
    outcome: Outcome | None = None
    reason: str | None = Field(None, description="why it ended, or why nobody could be rung")
    event: EventBrief | None = None
    caller: Person
    callee: Person | None = None
    rung: list[Rung] = []
    skipped: list[dict[str, object]] = Field([], description="workers not rung and why (the nearest search's)")
    started_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    sides: dict[str, SideState] = {"caller": "waiting", "callee": "waiting"}
    texts: list[Text] = []
    snapshots: list[str] = []
    muted: dict[str, bool] = {"caller": False, "callee": False}
    source: str = Field(description="the runtime source of the field side's camera: put it on the wall")
    on_wall: str | None = Field(None, description="the wall window that shows the call, if any")
    recording: Recording | None = None

    @property
    def duration_s(self) -> float | None:
        if self.answered_at is None:
            return None
        return round((self.ended_at or self.answered_at) - self.answered_at, 1)

    def ringing(self) -> list[Rung]:
        return [r for r in self.rung if r.outcome == "ringing"]
