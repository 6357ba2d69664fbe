"""The closed loop as a pure state machine: which action is allowed in which state and to whom,
what each does to an event (deadline clocks, overlays) and which counters it moves.

accept/refuse -> verify on site (public reports) -> register/cancel -> dispatch (main handler,
co-handlers; the receiver may return it) -> in progress (postpone, suspend with approval;
resume) -> feedback -> check on site -> close or rework -> evaluate. Grid workers' small
matters take the self-handled short path. Supervision, urgency and escalation are overlays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import roles
from .calendar import Clock, WorkingCalendar, budget_seconds
from .config import LEVELS, EventsConfig, Limit
from .model import Event
from .routing import Area, RoutingError, level_above, next_level, route
from .taxonomy import Taxonomy

# -- states ---------------------------------------------------------------------------
REPORTED = "reported"
VERIFYING = "verifying"
TO_REGISTER = "to_register"
TO_DISPATCH = "to_dispatch"
DISPATCHED = "dispatched"
IN_PROGRESS = "in_progress"
POSTPONE_PENDING = "postpone_pending"
SUSPEND_PENDING = "suspend_pending"
SUSPENDED = "suspended"
TO_CHECK = "to_check"
TO_CLOSE = "to_close"
SELF_HANDLED = "self_handled"
CLOSED = "closed"
EVALUATED = "evaluated"
REFUSED = "refused"
CANCELLED = "cancelled"
DUPLICATE = "duplicate"

STATES: tuple[str, ...] = (REPORTED, VERIFYING, TO_REGISTER, TO_DISPATCH, DISPATCHED, IN_PROGRESS, POSTPONE_PENDING,
                           SUSPEND_PENDING, SUSPENDED, TO_CHECK, TO_CLOSE, SELF_HANDLED, CLOSED, EVALUATED, REFUSED,
                           CANCELLED, DUPLICATE)
FINAL: frozenset[str] = frozenset({EVALUATED, REFUSED, CANCELLED, DUPLICATE})
OPEN: frozenset[str] = frozenset(STATES) - FINAL - {CLOSED}
HANDLING: frozenset[str] = frozenset({IN_PROGRESS, POSTPONE_PENDING, SUSPEND_PENDING, SUSPENDED})

# The node (and its time limit) an event waits at in each state; handling states use the case clock.
NODE_OF: dict[str, str | None] = {
    REPORTED: "accept", VERIFYING: "verify", TO_REGISTER: "register", TO_DISPATCH: "dispatch",
    DISPATCHED: "receive", IN_PROGRESS: "handle", POSTPONE_PENDING: "handle", SUSPEND_PENDING: "handle",
    SUSPENDED: "handle", TO_CHECK: "check", TO_CLOSE: "close", SELF_HANDLED: "confirm", CLOSED: None,
    EVALUATED: None, REFUSED: None, CANCELLED: None, DUPLICATE: None,
}

# -- actions: from-state -> to-state ("*verify*" resolves by channel) -------------------------
_VERIFY_OR_REGISTER = "*"
MOVES: dict[str, dict[str, str]] = {
    "accept": {REPORTED: _VERIFY_OR_REGISTER},
    "refuse": {REPORTED: REFUSED},
    "verify": {VERIFYING: TO_REGISTER},
    "dismiss": {VERIFYING: CANCELLED},
    "register": {TO_REGISTER: TO_DISPATCH},
    "cancel": {TO_REGISTER: CANCELLED, TO_DISPATCH: CANCELLED},
    "dispatch": {TO_DISPATCH: DISPATCHED},
    "receive": {DISPATCHED: IN_PROGRESS},
    "return": {DISPATCHED: TO_DISPATCH},
    "request_postpone": {IN_PROGRESS: POSTPONE_PENDING},
    "approve_postpone": {POSTPONE_PENDING: IN_PROGRESS},
    "deny_postpone": {POSTPONE_PENDING: IN_PROGRESS},
    "request_suspend": {IN_PROGRESS: SUSPEND_PENDING},
    "approve_suspend": {SUSPEND_PENDING: SUSPENDED},
    "deny_suspend": {SUSPEND_PENDING: IN_PROGRESS},
    "resume": {SUSPENDED: IN_PROGRESS},
    "feedback": {IN_PROGRESS: TO_CHECK},
    "check_pass": {TO_CHECK: TO_CLOSE},
    "check_fail": {TO_CHECK: IN_PROGRESS},
    "close": {TO_CLOSE: CLOSED},
    "evaluate": {CLOSED: EVALUATED},
    "confirm": {SELF_HANDLED: CLOSED},
    "decline": {SELF_HANDLED: TO_REGISTER},
    "mark_duplicate": {REPORTED: DUPLICATE, VERIFYING: DUPLICATE, TO_REGISTER: DUPLICATE, TO_DISPATCH: DUPLICATE},
}
OVERLAYS: tuple[str, ...] = ("supervise", "set_urgency", "escalate")  # any open state; state unchanged
ACTIONS: tuple[str, ...] = tuple(MOVES) + OVERLAYS

CENTRE = roles.CENTRE
LEADERS = roles.LEADERS
FIELD = roles.FIELD_STEPS
DEPARTMENT = roles.DEPARTMENT_STEPS
REPORTERS = roles.REPORTERS
SYSTEM = "system"  # the hall itself (timers): may escalate

ROLES_FOR: dict[str, frozenset[str]] = {
    "accept": CENTRE, "refuse": CENTRE,
    "verify": FIELD, "dismiss": FIELD,
    "register": CENTRE, "cancel": CENTRE,
    "dispatch": CENTRE | {SYSTEM},  # the hall itself dispatches in automatic routing mode
    "receive": DEPARTMENT, "return": DEPARTMENT,
    "request_postpone": DEPARTMENT, "request_suspend": DEPARTMENT,
    "approve_postpone": LEADERS, "deny_postpone": LEADERS,
    "approve_suspend": LEADERS, "deny_suspend": LEADERS,
    "resume": DEPARTMENT | LEADERS,
    "feedback": DEPARTMENT,
    "check_pass": FIELD, "check_fail": FIELD,
    "close": CENTRE, "evaluate": CENTRE,
    "confirm": CENTRE, "decline": CENTRE,
    "mark_duplicate": CENTRE,
    "supervise": LEADERS,
    "set_urgency": CENTRE,
    "escalate": CENTRE | {roles.Role.WORKER.value, SYSTEM},  # the hall itself escalates by rule when a deadline passes
}
DEPARTMENT_ACTIONS = frozenset({"receive", "return", "request_postpone", "request_suspend", "feedback", "resume"})
CLOSE_TYPES = ("normal", "overdue", "error", "special")


# -- errors ------------------------------------------------------------------------------
class WorkflowError(Exception):
    pass


class IllegalAction(WorkflowError):
    """The action is not allowed in the event's state (HTTP 409)."""

    def __init__(self, action: str, state: str, allowed: list[str]) -> None:
        self.action, self.state, self.allowed = action, state, allowed
        super().__init__(f"{action!r} is not allowed in state {state!r}; allowed: {', '.join(allowed) or 'none'}")


class NotPermitted(WorkflowError):
    """The actor's role (or department) may not take this action (HTTP 403)."""


class BadParams(WorkflowError):
    """A parameter is missing or wrong (HTTP 422); `path` names the field."""

    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message
        super().__init__(f"{path}: {message}")


# -- the pure state machine -----------------------------------------------------------------
def allowed_actions(state: str, role: str | None = None) -> list[str]:
    """Actions possible in `state` (for `role`, if given), in loop order."""
    out = [a for a, moves in MOVES.items() if state in moves]
    if state in OPEN:
        out += list(OVERLAYS)
    if role is not None:
        out = [a for a in out if role in ROLES_FOR[a]]
    return out


def next_state(state: str, action: str, *, verify: bool = False) -> str:
    """The state after `action`; IllegalAction naming the allowed ones otherwise."""
    if action in OVERLAYS:
        if state in OPEN:
            return state
        raise IllegalAction(action, state, allowed_actions(state))
    moves = MOVES.get(action)
    if moves is None:
        raise BadParams("action", f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if state not in moves:
        raise IllegalAction(action, state, allowed_actions(state))
    to = moves[state]
    if to == _VERIFY_OR_REGISTER:
        to = VERIFYING if verify else TO_REGISTER
    return to


def check_role(action: str, role: str) -> None:
    roles = ROLES_FOR.get(action)
    if roles is None:
        raise BadParams("action", f"unknown action {action!r}")
    if role not in roles:
        raise NotPermitted(f"role {role!r} may not {action} (allowed: {', '.join(sorted(roles - {SYSTEM}))})")


# -- transitions on whole events ------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    departments: frozenset[str] = frozenset()


@dataclass
class Params:
    note: str | None = None
    department: str | None = None
    co_handlers: list[str] | None = None
    category: str | None = None
    conditions: str | None = None
    urgency: str | None = None
    close_type: str | None = None
    rating: int | None = None
    result: str | None = None
    photos: list[str] | None = None
    extra: Limit | None = None  # postponement asked for
    original: str | None = None
    level: str | None = None


@dataclass
class Rules:
    """What the transitions need from configuration (built once per process)."""
    cfg: EventsConfig
    calendar: WorkingCalendar
    taxonomy: Taxonomy
    grid_workers: dict[str, str] = field(default_factory=dict)  # grid id -> its worker

    @property
    def departments(self) -> dict[str, Any]:
        return {d.id: d for d in self.cfg.departments}

    def node_limit(self, node: str) -> Limit:
        return self.cfg.node_limit(node)

    def case_limit(self, ev: Event) -> tuple[Limit, float]:
        cat = self.taxonomy.get(ev.category or "")
        limit = cat.limit(ev.conditions) if cat else Limit(value=2, unit="work_days")
        return limit, self.cfg.urgency_factors.get(ev.urgency, 1.0)


@dataclass
class Outcome:
    event: Event
    before: str
    audit: dict[str, Any]
    counts: list[tuple[str, str, int]]  # (scope: "cohort" | "post", field, delta)


def _clock(d: dict | None) -> Clock | None:
    return Clock.from_dict(d)


def effective_clock(ev: Event) -> Clock | None:
    """The clock the countdown light shows: the case clock while handling, else the node's own."""
    if ev.state in HANDLING:
        return _clock(ev.case_clock)
    return _clock(ev.node_clock)


def enter(ev: Event, rules: Rules, now: float) -> None:
    node = NODE_OF[ev.state]
    if node is None or node == "handle":
        ev.node_clock = None
    else:
        ev.node_clock = Clock.start(node, rules.node_limit(node), now).to_dict()
    ev.overdue = False
    ev.overdue_since = None
    if ev.state in HANDLING:
        clock = effective_clock(ev)
        if clock is not None and clock.overdue(rules.calendar, now):
            ev.overdue = True
            ev.overdue_since = now


def node_on_time(ev: Event, rules: Rules, now: float) -> bool:
    clock = _clock(ev.node_clock)
    return clock is None or not clock.overdue(rules.calendar, now)


def case_on_time(ev: Event, rules: Rules, now: float) -> bool:
    """Finished by the combined handling deadline (postponements included, suspensions not counted)."""
    clock = _clock(ev.case_clock)
    return clock is None or not clock.overdue(rules.calendar, now)


def _clock_kind(unit: str) -> str:
    return "natural" if unit in ("minutes", "hours") else unit


def _mark(ev: Event, name: str) -> bool:
    """True the first time `name` is marked on this event (for counters counted once per event)."""
    if name in ev.marks:
        return False
    ev.marks.append(name)
    return True


def _require(value: Any, path: str, what: str) -> Any:
    if value is None or value == "" or value == []:
        raise BadParams(path, f"required: {what}")
    return value


def transition(ev_in: Event, action: str, actor: Actor, params: Params, now: float, rules: Rules) -> Outcome:
    """Apply one action to an event: checks state, role, department and parameters; pure."""
    ev = ev_in.model_copy(deep=True)
    before = ev.state
    check_role(action, actor.role)
    to = next_state(before, action, verify=ev.channel in rules.cfg.verify_channels)
    if action in DEPARTMENT_ACTIONS and actor.role == "department" and ev.department not in actor.departments:
        raise NotPermitted(f"{actor.name} does not act for department {ev.department!r}")
    cal = rules.calendar
    counts: list[tuple[str, str, int]] = []
    audit: dict[str, Any] = {"action": action, "by": actor.name, "role": actor.role, "from": before, "to": to,
                             "at": now}
    if params.note:
        audit["note"] = params.note

    def c(f: str, d: int = 1) -> None:
        counts.append(("cohort", f, d))

    def p(f: str, d: int = 1) -> None:
        counts.append(("post", f, d))

    reporter_is_worker = ev.channel == "worker"

    if action == "accept":
        c("accepted")
    elif action == "refuse":
        c("refused")
        if reporter_is_worker:
            p(f"worker:{ev.reporter}:invalid")
    elif action in ("verify", "dismiss"):
        p(f"worker:{actor.name}:verifications")
        if node_on_time(ev, rules, now):
            p(f"worker:{actor.name}:verified_on_time")
        if action == "dismiss":
            c("cancelled")
            if reporter_is_worker:
                p(f"worker:{ev.reporter}:invalid")
    elif action == "register":
        if params.category is not None:
            if params.category not in rules.taxonomy:
                raise BadParams("category", f"unknown class {params.category!r}")
            ev.category = params.category
        _require(ev.category, "category", "a class of the taxonomy")
        cat = rules.taxonomy.get(ev.category or "")
        if cat is None:
            raise BadParams("category", f"unknown class {ev.category!r}")
        ev.category_name = cat.name
        if params.conditions is not None:
            if params.conditions not in cat.deadlines:
                raise BadParams("conditions", f"class {cat.code} has case conditions {', '.join(cat.deadlines)}")
            ev.conditions = params.conditions
        if params.urgency is not None:
            ev.urgency = params.urgency
        limit, factor = rules.case_limit(ev)
        ev.case_clock = Clock("handle", limit.unit, budget_seconds(limit, factor)).to_dict()  # runs from dispatch
        ev.registered_by = actor.name
        ev.registered_at = now
        area = Area(ev.grid, ev.community, ev.street)
        ev.routing = route(rules.cfg.routing, rules.taxonomy, ev.category or "", area).to_dict()
        c("registered")
        c("due_to_close")
        p(f"lead:{actor.name}:registered")
        if node_on_time(ev, rules, now):
            p(f"lead:{actor.name}:registered_on_time")
        if reporter_is_worker:
            p(f"worker:{ev.reporter}:valid")
        elif ev.channel in ("resident", "open311") and ev.grid and rules.grid_workers.get(ev.grid):
            p(f"worker:{rules.grid_workers[ev.grid]}:missed")
    elif action == "cancel":
        c("cancelled")
        if before == TO_DISPATCH:
            c("due_to_close", -1)
        if reporter_is_worker and before == TO_REGISTER:
            p(f"worker:{ev.reporter}:invalid")
    elif action == "dispatch":
        dept = _require(params.department, "department", "the main handling department")
        if dept not in rules.departments:
            raise BadParams("department", f"unknown department {dept!r}")
        co = list(dict.fromkeys(params.co_handlers or []))
        for i, d in enumerate(co):
            if d not in rules.departments:
                raise BadParams(f"co_handlers[{i}]", f"unknown department {d!r}")
            if d == dept:
                raise BadParams(f"co_handlers[{i}]", "the main handler cannot also be a co-handler")
        c("dispatched")
        if _mark(ev, "dispatched"):
            c("due_for_handling")
        if ev.departments_tried and ev.departments_tried[-1] != dept:
            if _mark(ev, "redispatched"):
                c("redispatched")
            if ev.dispatcher:
                p(f"dispatcher:{ev.dispatcher}:redispatched")
        p(f"dispatcher:{actor.name}:dispatched")
        if node_on_time(ev, rules, now):
            p(f"dispatcher:{actor.name}:dispatched_on_time")
        p(f"department:{dept}:assigned")
        ev.department, ev.co_handlers, ev.dispatcher = dept, co, actor.name
        ev.departments_tried.append(dept)
        ev.dispatched_at = ev.dispatched_at or now
        clock = _clock(ev.case_clock)
        if clock is None:
            limit, factor = rules.case_limit(ev)
            clock = Clock("handle", limit.unit, budget_seconds(limit, factor))
        ev.case_clock = clock.resume(now).to_dict()
    elif action == "receive":
        p(f"department:{ev.department}:received")
    elif action == "return":
        _require(params.note, "note", "why the matter is not this department's")
        p(f"department:{ev.department}:returned")
        if ev.registered_by:
            p(f"lead:{ev.registered_by}:misregistered")
        ev.department, ev.co_handlers = None, []
    elif action == "request_postpone":
        extra = _require(params.extra, "extra", "how much more time ({value, unit})")
        _require(params.note, "note", "the reason for the postponement")
        clock = _clock(ev.case_clock)
        if clock is not None and _clock_kind(extra.unit) != _clock_kind(clock.unit):
            raise BadParams("extra.unit", f"count it like the case's limit: {clock.unit}")
        ev.pending = {"kind": "postpone", "extra": extra.model_dump(), "by": actor.name, "at": now,
                      "reason": params.note}
    elif action == "approve_postpone":
        extra = Limit.model_validate((ev.pending or {}).get("extra") or {"value": 1, "unit": "work_hours"})
        clock = _clock(ev.case_clock)
        if clock is not None:
            ev.case_clock = clock.extend(budget_seconds(extra)).to_dict()
        audit["extra"] = extra.model_dump()
        ev.postpone_count += 1
        ev.pending = None
        if _mark(ev, "postponed"):
            c("postponed")
        p(f"department:{ev.department}:postponed")
    elif action in ("deny_postpone", "deny_suspend"):
        ev.pending = None
    elif action == "request_suspend":
        _require(params.note, "note", "the reason for the suspension")
        ev.pending = {"kind": "suspend", "by": actor.name, "at": now, "reason": params.note}
    elif action == "approve_suspend":
        clock = _clock(ev.case_clock)
        if clock is not None:
            ev.case_clock = clock.stop(cal, now).to_dict()
        ev.suspend_count += 1
        ev.pending = None
    elif action == "resume":
        clock = _clock(ev.case_clock)
        if clock is not None:
            ev.case_clock = clock.resume(now).to_dict()
    elif action == "feedback":
        ev.result = _require(params.result, "result", "what was done")
        ev.result_photos = list(params.photos or [])
        on_time = case_on_time(ev, rules, now)
        clock = _clock(ev.case_clock)
        if clock is not None:
            ev.case_clock = clock.stop(cal, now).to_dict()
        ev.handled_at = now
        if _mark(ev, "handled"):
            c("handled")
            if on_time:
                c("handled_on_time")
        p(f"department:{ev.department}:handled")
        if on_time:
            p(f"department:{ev.department}:handled_on_time")
        if "overdue_pending" in ev.marks:
            ev.marks.remove("overdue_pending")
            c("overdue_pending", -1)
    elif action in ("check_pass", "check_fail"):
        p(f"worker:{actor.name}:checks")
        if node_on_time(ev, rules, now):
            p(f"worker:{actor.name}:checked_on_time")
        if action == "check_fail":
            _require(params.note, "note", "what is still wrong")
            ev.rework_count += 1
            if _mark(ev, "reworked"):
                c("reworked")
            p(f"department:{ev.department}:reworked")
            clock = _clock(ev.case_clock)
            if clock is not None:
                ev.case_clock = clock.resume(now).to_dict()
    elif action == "close":
        on_time = case_on_time(ev, rules, now)
        close_type = params.close_type or ("normal" if on_time else "overdue")
        if close_type not in CLOSE_TYPES:
            raise BadParams("close_type", f"one of {', '.join(CLOSE_TYPES)}")
        ev.close_type, ev.closed_at = close_type, now
        c("closed")
        if on_time:
            c("closed_on_time")
        c("handle_seconds", int(now - ev.reported_at))
        p(f"lead:{actor.name}:closed")
        if on_time:
            p(f"lead:{actor.name}:closed_on_time")
    elif action == "evaluate":
        rating = _require(params.rating, "rating", "1 to 5")
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise BadParams("rating", "1 to 5")
        ev.rating, ev.evaluation = rating, params.note
        c("evaluated")
        c("rating_sum", rating)
    elif action == "confirm":
        cat = rules.taxonomy.get(ev.category or "")
        ev.category_name = cat.name if cat else None
        on_time = node_on_time(ev, rules, now)
        ev.registered_by, ev.registered_at, ev.handled_at = actor.name, now, ev.reported_at
        ev.close_type, ev.closed_at = "normal", now
        for f in ("accepted", "registered", "due_to_close", "closed", "self_handled"):
            c(f)
        if on_time:
            c("closed_on_time")
        c("handle_seconds", int(now - ev.reported_at))
        p(f"worker:{ev.reporter}:valid")
    elif action == "decline":
        ev.self_handled = False
        c("accepted")
    elif action == "mark_duplicate":
        original = _require(params.original, "original", "the id of the original event")
        if original == ev.id:
            raise BadParams("original", "an event cannot duplicate itself")
        ev.duplicate_of = original
        c("duplicates")
        if before == TO_DISPATCH:
            c("due_to_close", -1)
        if reporter_is_worker:
            p(f"worker:{ev.reporter}:invalid")
    elif action == "supervise":
        ev.supervised = True
        ev.supervisions.append({"by": actor.name, "at": now, "note": params.note})
        if _mark(ev, "supervised"):
            c("supervised")
    elif action == "set_urgency":
        urgency = _require(params.urgency, "urgency", "normal, urgent or critical")
        if urgency not in rules.cfg.urgency_factors:
            raise BadParams("urgency", f"one of {', '.join(rules.cfg.urgency_factors)}")
        audit["urgency"] = {"from": ev.urgency, "to": urgency}
        clock = _clock(ev.case_clock)
        if clock is not None and ev.category:  # the class limit scales with urgency; postponements stay
            limit, old_factor = rules.case_limit(ev)
            ev.urgency = urgency
            _, new_factor = rules.case_limit(ev)
            ev.case_clock = clock.extend(budget_seconds(limit, new_factor) - budget_seconds(limit,
                                                                                            old_factor)).to_dict()
        ev.urgency = urgency
    elif action == "escalate":
        if params.level is not None:
            if params.level not in LEVELS:
                raise BadParams("level", f"one of {', '.join(LEVELS)}")
            if not level_above(params.level, ev.level):
                raise BadParams("level", f"must be above the current level {ev.level!r}")
            target = params.level
        else:
            try:
                target = next_level(ev.level)
            except RoutingError as exc:
                raise BadParams("level", str(exc)) from None
        audit["level"] = {"from": ev.level, "to": target}
        ev.level = target
        if _mark(ev, "escalated"):
            c("escalated")

    ev.state = to
    if to != before:
        enter(ev, rules, now)
    ev.version += 1
    ev.updated_at = now
    return Outcome(ev, before, audit, counts)


def mark_overdue(ev_in: Event, now: float, rules: Rules) -> Outcome | None:
    """The timer found the current node's limit passed: flag it (once); None if nothing to do."""
    clock = effective_clock(ev_in)
    if ev_in.overdue or clock is None or not clock.overdue(rules.calendar, now):
        return None
    ev = ev_in.model_copy(deep=True)
    ev.overdue, ev.overdue_since = True, now
    counts: list[tuple[str, str, int]] = []
    if ev.state in HANDLING and _mark(ev, "overdue_pending"):
        counts.append(("cohort", "overdue_pending", 1))
    ev.version += 1
    ev.updated_at = now
    audit = {"action": "overdue", "by": SYSTEM, "role": SYSTEM, "from": ev.state, "to": ev.state, "at": now,
             "node": clock.node}
    return Outcome(ev, ev.state, audit, counts)


def countdown(ev: Event, rules: Rules, now: float) -> dict[str, Any] | None:
    """The countdown light of the node the event waits at (part of every event the API returns)."""
    clock = effective_clock(ev)
    if clock is None:
        return None
    cal = rules.calendar
    due = clock.due_at(cal)
    return {"node": clock.node, "unit": clock.unit, "limit_s": clock.budget_s, "used_s": round(clock.used(cal, now), 1),
            "fraction": round(clock.fraction(cal, now), 4), "light": clock.light(cal, now, rules.cfg.soon_due),
            "due_at": _iso(due, cal) if due is not None else None, "running": clock.running_since is not None}


def timers(ev: Event, rules: Rules) -> tuple[float | None, float | None]:
    """(overdue at, soon-due warning at) of the current clock, for the timer sorted sets."""
    clock = effective_clock(ev)
    if clock is None or ev.state in FINAL or ev.state == CLOSED:
        return None, None
    due = None if ev.overdue else clock.due_at(rules.calendar)
    warn = clock.warn_at(rules.calendar, rules.cfg.soon_due)
    return due, warn


def _iso(ts: float, cal: WorkingCalendar) -> str:
    return datetime.fromtimestamp(ts, cal.tz).isoformat(timespec="seconds")
