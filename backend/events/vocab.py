"""The events' vocabularies, spelled out once: states, actions, channels, levels, urgencies and close types as
typed StrEnums with their human labels; the pages get them from `GET /api/hall` instead of copying them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


class Term(StrEnum):
    """A word of the hall's vocabulary: its value (stored, sent over the API) and its label (shown)."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        term = str.__new__(cls, value)
        term._value_ = value
        term.label = label
        return term

    @classmethod
    def terms(cls) -> list[dict[str, str]]:
        return [{"value": t.value, "label": t.label} for t in cls]


class EventState(Term):
    """Where an event stands in the closed loop (DOMAIN.md), in loop order."""

    REPORTED = "reported", "Reported"
    VERIFYING = "verifying", "To verify on site"
    TO_REGISTER = "to_register", "To register"
    TO_DISPATCH = "to_dispatch", "To dispatch"
    DISPATCHED = "dispatched", "Dispatched"
    IN_PROGRESS = "in_progress", "In progress"
    POSTPONE_PENDING = "postpone_pending", "Postponement asked"
    SUSPEND_PENDING = "suspend_pending", "Suspension asked"
    SUSPENDED = "suspended", "Suspended"
    TO_CHECK = "to_check", "To check on site"
    TO_CLOSE = "to_close", "To close"
    SELF_HANDLED = "self_handled", "Fixed by the worker, to confirm"
    CLOSED = "closed", "Closed"
    EVALUATED = "evaluated", "Evaluated"
    REFUSED = "refused", "Refused"
    CANCELLED = "cancelled", "Cancelled"
    DUPLICATE = "duplicate", "Duplicate"


# Nothing more happens to these; a closed event still waits for its evaluation.
FINAL: frozenset[EventState] = frozenset({EventState.EVALUATED, EventState.REFUSED, EventState.CANCELLED,
                                          EventState.DUPLICATE})
OPEN: frozenset[EventState] = frozenset(EventState) - FINAL - {EventState.CLOSED}


class Action(Term):
    """A step of the loop (or an overlay) someone takes on an event, in loop order."""

    ACCEPT = "accept", "Accept"
    REFUSE = "refuse", "Refuse"
    VERIFY = "verify", "Verified on site"
    DISMISS = "dismiss", "Not found on site"
    REGISTER = "register", "Register"
    CANCEL = "cancel", "Cancel"
    DISPATCH = "dispatch", "Dispatch"
    RECEIVE = "receive", "Receive"
    RETURN = "return", "Return: not ours"
    REQUEST_POSTPONE = "request_postpone", "Ask to postpone"
    APPROVE_POSTPONE = "approve_postpone", "Approve the postponement"
    DENY_POSTPONE = "deny_postpone", "Deny the postponement"
    REQUEST_SUSPEND = "request_suspend", "Ask to suspend"
    APPROVE_SUSPEND = "approve_suspend", "Approve the suspension"
    DENY_SUSPEND = "deny_suspend", "Deny the suspension"
    RESUME = "resume", "Resume"
    FEEDBACK = "feedback", "Send feedback"
    CHECK_PASS = "check_pass", "Check passed"
    CHECK_FAIL = "check_fail", "Check failed"
    CLOSE = "close", "Close"
    EVALUATE = "evaluate", "Evaluate"
    CONFIRM = "confirm", "Confirm"
    DECLINE = "decline", "Decline"
    MARK_DUPLICATE = "mark_duplicate", "Mark as duplicate"
    SUPERVISE = "supervise", "Supervise"
    SET_URGENCY = "set_urgency", "Set urgency"
    ESCALATE = "escalate", "Escalate"
    ATTACH = "attach", "Attach photos"


# The overlays: taken in any open state, the state stays.
OVERLAYS: tuple[Action, ...] = (Action.SUPERVISE, Action.SET_URGENCY, Action.ESCALATE, Action.ATTACH)


class Channel(Term):
    """Where a report came from."""

    RESIDENT = "resident", "Resident app"
    WORKER = "worker", "Grid worker"
    DEPARTMENT = "department", "Department"
    CAMERA = "camera", "Camera alarm"
    OPEN311 = "open311", "Open311 app"


# Channels whose reporter is a resident (their name and contact are personal data: backend/privacy.py).
RESIDENT_CHANNELS: frozenset[Channel] = frozenset({Channel.RESIDENT, Channel.OPEN311})


class Level(Term):
    """The escalation level an event is handled at, lowest first."""

    GRID = "grid", "Grid"
    COMMUNITY = "community", "Community"
    STREET = "street", "Street"
    DISTRICT = "district", "District"


class Urgency(Term):
    NORMAL = "normal", "Normal"
    URGENT = "urgent", "Urgent"
    CRITICAL = "critical", "Critical"


class CloseType(Term):
    NORMAL = "normal", "Normal"
    OVERDUE = "overdue", "Overdue"
    ERROR = "error", "Error"
    SPECIAL = "special", "Special"


def vocabulary() -> dict[str, Any]:
    """What the pages show and offer, for `GET /api/hall` (`events`)."""
    return {
        "states": [{**t, "open": t["value"] in OPEN} for t in EventState.terms()],
        "actions": [{**t, "overlay": t["value"] in OVERLAYS} for t in Action.terms()],
        "channels": Channel.terms(), "levels": Level.terms(), "urgencies": Urgency.terms(),
        "close_types": CloseType.terms(),
    }
