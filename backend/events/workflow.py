"""The closed loop as a pure state machine: which action is allowed in which state and to whom, and
what each does to an event (deadline clocks, overlays, counters): one `Step` per action in `STEPS`.

accept/refuse -> verify on site (public reports) -> register/cancel -> dispatch (main handler,
co-handlers; the receiver may return it) -> in progress (postpone, suspend with approval;
resume) -> feedback -> check on site -> close or rework -> evaluate. Grid workers' small
matters take the self-handled short path. Supervision, urgency and escalation are overlays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import roles
from .calendar import Clock, WorkingCalendar, budget_seconds
from .config import LEVELS, EventsConfig, Limit
from .model import Event
from .routing import Area, RoutingError, level_above, next_level, route
from .taxonomy import Taxonomy
from .vocab import FINAL, OPEN, OVERLAYS, RESIDENT_CHANNELS, Action, Channel, CloseType, EventState

S = EventState
A = Action
STATES: tuple[EventState, ...] = tuple(EventState)
ACTIONS: tuple[Action, ...] = tuple(Action)
HANDLING: frozenset[EventState] = frozenset({S.IN_PROGRESS, S.POSTPONE_PENDING, S.SUSPEND_PENDING, S.SUSPENDED})

# The node (and its time limit) an event waits at in each state; handling states use the case clock.
NODE_OF: dict[EventState, str | None] = {
    S.REPORTED: "accept", S.VERIFYING: "verify", S.TO_REGISTER: "register", S.TO_DISPATCH: "dispatch",
    S.DISPATCHED: "receive", S.IN_PROGRESS: "handle", S.POSTPONE_PENDING: "handle", S.SUSPEND_PENDING: "handle",
    S.SUSPENDED: "handle", S.TO_CHECK: "check", S.TO_CLOSE: "close", S.SELF_HANDLED: "confirm", S.CLOSED: None,
    S.EVALUATED: None, S.REFUSED: None, S.CANCELLED: None, S.DUPLICATE: None,
}

CENTRE = roles.CENTRE
LEADERS = roles.LEADERS
FIELD = roles.FIELD_STEPS
DEPARTMENT = roles.DEPARTMENT_STEPS
REPORTERS = roles.REPORTERS
SYSTEM = "system"  # the hall itself (timers): may escalate

# -- errors ------------------------------------------------------------------------------
class WorkflowError(Exception):
    pass


class IllegalAction(WorkflowError):
    """The action is not allowed in the event's state (HTTP 409)."""

    def __init__(self, action: str, state: str, allowed: list[str]) -> None:
        self.action, self.state, self.allowed = str(action), str(state), [str(a) for a in allowed]
        super().__init__(f"{action!r} is not allowed in state {state!r}; allowed: {', '.join(allowed) or 'none'}")


class NotPermitted(WorkflowError):
    """The actor's role (or department) may not take this action (HTTP 403)."""


class BadParams(WorkflowError):
    """A parameter is missing or wrong (HTTP 422); `path` names the field."""

    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message
        super().__init__(f"{path}: {message}")


# -- who acts, with what, under which rules ------------------------------------------------
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


# -- what each action does ----------------------------------------------------------------
@dataclass
class Change:
    """One action being applied to a copy of an event: what the step functions read and write."""
    ev: Event
    before: EventState
    actor: Actor
    params: Params
    now: float
    rules: Rules
    audit: dict[str, Any]
    counts: list[tuple[str, str, int]] = field(default_factory=list)

    def cohort(self, name: str, delta: int = 1) -> None:
        """A counter of the events reported that day (the KPIs' cohort)."""
        self.counts.append(("cohort", name, delta))

    def post(self, name: str, delta: int = 1) -> None:
        """A counter of what one person or department did that day."""
        self.counts.append(("post", name, delta))

    @property
    def by_worker(self) -> bool:
        """The report came from a grid worker (their valid/invalid reports count for their post)."""
        return self.ev.channel == Channel.WORKER

    def node_on_time(self) -> bool:
        return node_on_time(self.ev, self.rules, self.now)

    def case_on_time(self) -> bool:
        return case_on_time(self.ev, self.rules, self.now)

    def case_clock(self) -> Clock | None:
        return _clock(self.ev.case_clock)


def _accept(c: Change) -> None:
    c.cohort("accepted")


def _refuse(c: Change) -> None:
    c.cohort("refused")
    if c.by_worker:
        c.post(f"worker:{c.ev.reporter}:invalid")


def _verified(c: Change) -> None:
    """The on-site verification was done (in time or not), whatever it found."""
    c.post(f"worker:{c.actor.name}:verifications")
    if c.node_on_time():
        c.post(f"worker:{c.actor.name}:verified_on_time")


def _verify(c: Change) -> None:
    _verified(c)


def _dismiss(c: Change) -> None:
    _verified(c)
    c.cohort("cancelled")
    if c.by_worker:
        c.post(f"worker:{c.ev.reporter}:invalid")


def _register(c: Change) -> None:
    ev, p, rules = c.ev, c.params, c.rules
    if p.category is not None:
        if p.category not in rules.taxonomy:
            raise BadParams("category", f"unknown class {p.category!r}")
        ev.category = p.category
    _require(ev.category, "category", "a class of the taxonomy")
    cat = rules.taxonomy.get(ev.category or "")
    if cat is None:
        raise BadParams("category", f"unknown class {ev.category!r}")
    ev.category_name = cat.name
    if p.conditions is not None:
        if p.conditions not in cat.deadlines:
            raise BadParams("conditions", f"class {cat.code} has case conditions {', '.join(cat.deadlines)}")
        ev.conditions = p.conditions
    if p.urgency is not None:
        ev.urgency = p.urgency
    limit, factor = rules.case_limit(ev)
    ev.case_clock = Clock("handle", limit.unit, budget_seconds(limit, factor)).to_dict()  # runs from dispatch
    ev.registered_by = c.actor.name
    ev.registered_at = c.now
    ev.routing = route(rules.cfg.routing, rules.taxonomy, ev.category or "",
                       Area(ev.grid, ev.community, ev.street)).to_dict()
    c.cohort("registered")
    c.cohort("due_to_close")
    c.post(f"lead:{c.actor.name}:registered")
    if c.node_on_time():
        c.post(f"lead:{c.actor.name}:registered_on_time")
    if c.by_worker:
        c.post(f"worker:{ev.reporter}:valid")
    elif ev.channel in RESIDENT_CHANNELS and ev.grid and rules.grid_workers.get(ev.grid):
        c.post(f"worker:{rules.grid_workers[ev.grid]}:missed")  # the public saw it before the grid's worker


def _cancel(c: Change) -> None:
    c.cohort("cancelled")
    if c.before == S.TO_DISPATCH:
        c.cohort("due_to_close", -1)
    if c.by_worker and c.before == S.TO_REGISTER:
        c.post(f"worker:{c.ev.reporter}:invalid")


def _dispatch(c: Change) -> None:
    ev, departments = c.ev, c.rules.departments
    dept = _require(c.params.department, "department", "the main handling department")
    if dept not in departments:
        raise BadParams("department", f"unknown department {dept!r}")
    co = list(dict.fromkeys(c.params.co_handlers or []))
    for i, d in enumerate(co):
        if d not in departments:
            raise BadParams(f"co_handlers[{i}]", f"unknown department {d!r}")
        if d == dept:
            raise BadParams(f"co_handlers[{i}]", "the main handler cannot also be a co-handler")
    c.cohort("dispatched")
    if _mark(ev, "dispatched"):
        c.cohort("due_for_handling")
    if ev.departments_tried and ev.departments_tried[-1] != dept:
        if _mark(ev, "redispatched"):
            c.cohort("redispatched")
        if ev.dispatcher:
            c.post(f"dispatcher:{ev.dispatcher}:redispatched")
    c.post(f"dispatcher:{c.actor.name}:dispatched")
    if c.node_on_time():
        c.post(f"dispatcher:{c.actor.name}:dispatched_on_time")
    c.post(f"department:{dept}:assigned")
    ev.department, ev.co_handlers, ev.dispatcher = dept, co, c.actor.name
    ev.departments_tried.append(dept)
    ev.dispatched_at = ev.dispatched_at or c.now
    clock = c.case_clock()
    if clock is None:
        limit, factor = c.rules.case_limit(ev)
        clock = Clock("handle", limit.unit, budget_seconds(limit, factor))
    ev.case_clock = clock.resume(c.now).to_dict()


def _receive(c: Change) -> None:
    c.post(f"department:{c.ev.department}:received")


def _return(c: Change) -> None:
    _require(c.params.note, "note", "why the matter is not this department's")
    c.post(f"department:{c.ev.department}:returned")
    if c.ev.registered_by:
        c.post(f"lead:{c.ev.registered_by}:misregistered")
    c.ev.department, c.ev.co_handlers = None, []


def _request_postpone(c: Change) -> None:
    extra = _require(c.params.extra, "extra", "how much more time ({value, unit})")
    _require(c.params.note, "note", "the reason for the postponement")
    clock = c.case_clock()
    if clock is not None and _clock_kind(extra.unit) != _clock_kind(clock.unit):
        raise BadParams("extra.unit", f"count it like the case's limit: {clock.unit}")
    c.ev.pending = {"kind": "postpone", "extra": extra.model_dump(), "by": c.actor.name, "at": c.now,
                    "reason": c.params.note}


def _approve_postpone(c: Change) -> None:
    ev = c.ev
    extra = Limit.model_validate((ev.pending or {}).get("extra") or {"value": 1, "unit": "work_hours"})
    clock = c.case_clock()
    if clock is not None:
        ev.case_clock = clock.extend(budget_seconds(extra)).to_dict()
    c.audit["extra"] = extra.model_dump()
    ev.postpone_count += 1
    ev.pending = None
    if _mark(ev, "postponed"):
        c.cohort("postponed")
    c.post(f"department:{ev.department}:postponed")


def _deny(c: Change) -> None:
    c.ev.pending = None


def _request_suspend(c: Change) -> None:
    _require(c.params.note, "note", "the reason for the suspension")
    c.ev.pending = {"kind": "suspend", "by": c.actor.name, "at": c.now, "reason": c.params.note}


def _approve_suspend(c: Change) -> None:
    clock = c.case_clock()
    if clock is not None:
        c.ev.case_clock = clock.stop(c.rules.calendar, c.now).to_dict()
    c.ev.suspend_count += 1
    c.ev.pending = None


def _resume(c: Change) -> None:
    clock = c.case_clock()
    if clock is not None:
        c.ev.case_clock = clock.resume(c.now).to_dict()


def _feedback(c: Change) -> None:
    ev = c.ev
    ev.result = _require(c.params.result, "result", "what was done")
    ev.result_photos = list(c.params.photos or [])
    on_time = c.case_on_time()
    clock = c.case_clock()
    if clock is not None:
        ev.case_clock = clock.stop(c.rules.calendar, c.now).to_dict()
    ev.handled_at = c.now
    if _mark(ev, "handled"):
        c.cohort("handled")
        if on_time:
            c.cohort("handled_on_time")
    c.post(f"department:{ev.department}:handled")
    if on_time:
        c.post(f"department:{ev.department}:handled_on_time")
    if "overdue_pending" in ev.marks:
        ev.marks.remove("overdue_pending")
        c.cohort("overdue_pending", -1)


def _checked(c: Change) -> None:
    """The on-site check was done (in time or not), whatever it found."""
    c.post(f"worker:{c.actor.name}:checks")
    if c.node_on_time():
        c.post(f"worker:{c.actor.name}:checked_on_time")


def _check_pass(c: Change) -> None:
    _checked(c)


def _check_fail(c: Change) -> None:
    _checked(c)
    _require(c.params.note, "note", "what is still wrong")
    c.ev.rework_count += 1
    if _mark(c.ev, "reworked"):
        c.cohort("reworked")
    c.post(f"department:{c.ev.department}:reworked")
    clock = c.case_clock()
    if clock is not None:
        c.ev.case_clock = clock.resume(c.now).to_dict()


def _close(c: Change) -> None:
    on_time = c.case_on_time()
    close_type = c.params.close_type or (CloseType.NORMAL if on_time else CloseType.OVERDUE)
    if close_type not in CLOSE_TYPES:
        raise BadParams("close_type", f"one of {', '.join(CLOSE_TYPES)}")
    c.ev.close_type, c.ev.closed_at = close_type, c.now
    c.cohort("closed")
    if on_time:
        c.cohort("closed_on_time")
    c.cohort("handle_seconds", int(c.now - c.ev.reported_at))
    c.post(f"lead:{c.actor.name}:closed")
    if on_time:
        c.post(f"lead:{c.actor.name}:closed_on_time")


def _evaluate(c: Change) -> None:
    rating = _require(c.params.rating, "rating", "1 to 5")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise BadParams("rating", "1 to 5")
    c.ev.rating, c.ev.evaluation = rating, c.params.note
    c.cohort("evaluated")
    c.cohort("rating_sum", rating)


def _confirm(c: Change) -> None:
    ev = c.ev
    cat = c.rules.taxonomy.get(ev.category or "")
    ev.category_name = cat.name if cat else None
    on_time = c.node_on_time()
    ev.registered_by, ev.registered_at, ev.handled_at = c.actor.name, c.now, ev.reported_at
    ev.close_type, ev.closed_at = CloseType.NORMAL, c.now
    for name in ("accepted", "registered", "due_to_close", "closed", "self_handled"):
        c.cohort(name)
    if on_time:
        c.cohort("closed_on_time")
    c.cohort("handle_seconds", int(c.now - ev.reported_at))
    c.post(f"worker:{ev.reporter}:valid")


def _decline(c: Change) -> None:
    c.ev.self_handled = False
    c.cohort("accepted")


def _mark_duplicate(c: Change) -> None:
    original = _require(c.params.original, "original", "the id of the original event")
    if original == c.ev.id:
        raise BadParams("original", "an event cannot duplicate itself")
    c.ev.duplicate_of = original
    c.cohort("duplicates")
    if c.before == S.TO_DISPATCH:
        c.cohort("due_to_close", -1)
    if c.by_worker:
        c.post(f"worker:{c.ev.reporter}:invalid")


MAX_PHOTOS = 50  # an event's own photos, however they came (reports, calls' snapshots)


def _attach(c: Change) -> None:
    """Photos onto the event (a call's snapshot of the scene, a picture taken at the console)."""
    photos = _require(c.params.photos, "photos", "the photos to attach (their SHA-256)")
    new = [p for p in photos if p not in c.ev.photos]
    if len(c.ev.photos) + len(new) > MAX_PHOTOS:
        raise BadParams("photos", f"an event keeps at most {MAX_PHOTOS} photos")
    c.ev.photos = [*c.ev.photos, *new]
    c.audit["photos"] = new


def _supervise(c: Change) -> None:
    c.ev.supervised = True
    c.ev.supervisions.append({"by": c.actor.name, "at": c.now, "note": c.params.note})
    if _mark(c.ev, "supervised"):
        c.cohort("supervised")


def _set_urgency(c: Change) -> None:
    ev, rules = c.ev, c.rules
    urgency = _require(c.params.urgency, "urgency", "normal, urgent or critical")
    if urgency not in rules.cfg.urgency_factors:
        raise BadParams("urgency", f"one of {', '.join(rules.cfg.urgency_factors)}")
    c.audit["urgency"] = {"from": ev.urgency, "to": urgency}
    clock = c.case_clock()
    if clock is not None and ev.category:  # the class limit scales with urgency; postponements stay
        limit, old_factor = rules.case_limit(ev)
        ev.urgency = urgency
        _, new_factor = rules.case_limit(ev)
        ev.case_clock = clock.extend(budget_seconds(limit, new_factor) - budget_seconds(limit, old_factor)).to_dict()
    ev.urgency = urgency


def _escalate(c: Change) -> None:
    ev, level = c.ev, c.params.level
    if level is not None:
        if level not in LEVELS:
            raise BadParams("level", f"one of {', '.join(LEVELS)}")
        if not level_above(level, ev.level):
            raise BadParams("level", f"must be above the current level {ev.level!r}")
        target = level
    else:
        try:
            target = next_level(ev.level)
        except RoutingError as exc:
            raise BadParams("level", str(exc)) from None
    c.audit["level"] = {"from": ev.level, "to": target}
    ev.level = target
    if _mark(ev, "escalated"):
        c.cohort("escalated")


# -- the table: one step per action --------------------------------------------------------
VERIFY_OR_REGISTER = None  # accept leads on to verification or registration, by the report's channel


@dataclass(frozen=True)
class Step:
    """An action: the moves it makes (from-state -> to-state; empty for an overlay, which keeps the state
    in any open one), who may take it, and what it does to the event."""
    moves: dict[EventState, EventState | None]
    roles: frozenset[str]
    effect: Callable[[Change], None]


STEPS: dict[Action, Step] = {
    A.ACCEPT: Step({S.REPORTED: VERIFY_OR_REGISTER}, CENTRE, _accept),
    A.REFUSE: Step({S.REPORTED: S.REFUSED}, CENTRE, _refuse),
    A.VERIFY: Step({S.VERIFYING: S.TO_REGISTER}, FIELD, _verify),
    A.DISMISS: Step({S.VERIFYING: S.CANCELLED}, FIELD, _dismiss),
    A.REGISTER: Step({S.TO_REGISTER: S.TO_DISPATCH}, CENTRE, _register),
    A.CANCEL: Step({S.TO_REGISTER: S.CANCELLED, S.TO_DISPATCH: S.CANCELLED}, CENTRE, _cancel),
    # the hall itself dispatches in automatic routing mode
    A.DISPATCH: Step({S.TO_DISPATCH: S.DISPATCHED}, CENTRE | {SYSTEM}, _dispatch),
    A.RECEIVE: Step({S.DISPATCHED: S.IN_PROGRESS}, DEPARTMENT, _receive),
    A.RETURN: Step({S.DISPATCHED: S.TO_DISPATCH}, DEPARTMENT, _return),
    A.REQUEST_POSTPONE: Step({S.IN_PROGRESS: S.POSTPONE_PENDING}, DEPARTMENT, _request_postpone),
    A.APPROVE_POSTPONE: Step({S.POSTPONE_PENDING: S.IN_PROGRESS}, LEADERS, _approve_postpone),
    A.DENY_POSTPONE: Step({S.POSTPONE_PENDING: S.IN_PROGRESS}, LEADERS, _deny),
    A.REQUEST_SUSPEND: Step({S.IN_PROGRESS: S.SUSPEND_PENDING}, DEPARTMENT, _request_suspend),
    A.APPROVE_SUSPEND: Step({S.SUSPEND_PENDING: S.SUSPENDED}, LEADERS, _approve_suspend),
    A.DENY_SUSPEND: Step({S.SUSPEND_PENDING: S.IN_PROGRESS}, LEADERS, _deny),
    A.RESUME: Step({S.SUSPENDED: S.IN_PROGRESS}, DEPARTMENT | LEADERS, _resume),
    A.FEEDBACK: Step({S.IN_PROGRESS: S.TO_CHECK}, DEPARTMENT, _feedback),
    A.CHECK_PASS: Step({S.TO_CHECK: S.TO_CLOSE}, FIELD, _check_pass),
    A.CHECK_FAIL: Step({S.TO_CHECK: S.IN_PROGRESS}, FIELD, _check_fail),
    A.CLOSE: Step({S.TO_CLOSE: S.CLOSED}, CENTRE, _close),
    A.EVALUATE: Step({S.CLOSED: S.EVALUATED}, CENTRE, _evaluate),
    A.CONFIRM: Step({S.SELF_HANDLED: S.CLOSED}, CENTRE, _confirm),
    A.DECLINE: Step({S.SELF_HANDLED: S.TO_REGISTER}, CENTRE, _decline),
    A.MARK_DUPLICATE: Step({s: S.DUPLICATE for s in (S.REPORTED, S.VERIFYING, S.TO_REGISTER, S.TO_DISPATCH)},
                           CENTRE, _mark_duplicate),
    A.SUPERVISE: Step({}, LEADERS, _supervise),
    A.SET_URGENCY: Step({}, CENTRE, _set_urgency),
    # the hall itself escalates by rule when a deadline passes
    A.ESCALATE: Step({}, CENTRE | {roles.Role.WORKER.value, SYSTEM}, _escalate),
    A.ATTACH: Step({}, CENTRE, _attach),
}
assert set(STEPS) == set(Action) and all(not STEPS[a].moves for a in OVERLAYS)

# The table read two ways, for the routes, the indexes and the tests.
MOVES: dict[Action, dict[EventState, EventState | None]] = {a: s.moves for a, s in STEPS.items() if s.moves}
ROLES_FOR: dict[Action, frozenset[str]] = {a: s.roles for a, s in STEPS.items()}
# A department user takes these only on their own departments' events.
DEPARTMENT_ACTIONS = frozenset({A.RECEIVE, A.RETURN, A.REQUEST_POSTPONE, A.REQUEST_SUSPEND, A.FEEDBACK, A.RESUME})
CLOSE_TYPES: tuple[CloseType, ...] = tuple(CloseType)


# -- the pure state machine -----------------------------------------------------------------
def allowed_actions(state: str, role: str | None = None) -> list[str]:
    """Actions possible in `state` (for `role`, if given), in loop order."""
    out = [a for a, step in STEPS.items() if state in step.moves or (not step.moves and state in OPEN)]
    if role is not None:
        out = [a for a in out if role in STEPS[a].roles]
    return out


def _step(action: str) -> Step:
    try:
        return STEPS[Action(action)]
    except ValueError:
        raise BadParams("action", f"unknown action {action!r}; one of {', '.join(ACTIONS)}") from None


def next_state(state: str, action: str, *, verify: bool = False) -> EventState:
    """The state after `action`; IllegalAction naming the allowed ones otherwise."""
    moves = _step(action).moves
    if not moves:  # an overlay
        if state in OPEN:
            return EventState(state)
        raise IllegalAction(action, state, allowed_actions(state))
    if state not in moves:
        raise IllegalAction(action, state, allowed_actions(state))
    to = moves[EventState(state)]
    if to is VERIFY_OR_REGISTER:
        return S.VERIFYING if verify else S.TO_REGISTER
    return to


def check_role(action: str, role: str) -> None:
    allowed = _step(action).roles
    if role not in allowed:
        raise NotPermitted(f"role {role!r} may not {action} (allowed: {', '.join(sorted(allowed - {SYSTEM}))})")


# -- one transition ------------------------------------------------------------------------
def transition(ev_in: Event, action: str, actor: Actor, params: Params, now: float, rules: Rules) -> Outcome:
    """Apply one action to an event: checks state, role, department and parameters, then the action's
    effect; pure."""
    step = _step(action)
    ev = ev_in.model_copy(deep=True)
    before = EventState(ev.state)
    check_role(action, actor.role)
    to = next_state(before, action, verify=ev.channel in rules.cfg.verify_channels)
    if action in DEPARTMENT_ACTIONS and actor.role == roles.Role.DEPARTMENT and ev.department not in actor.departments:
        raise NotPermitted(f"{actor.name} does not act for department {ev.department!r}")
    audit: dict[str, Any] = {"action": action, "by": actor.name, "role": actor.role, "from": before, "to": to,
                             "at": now}
    if params.note:
        audit["note"] = params.note
    change = Change(ev, before, actor, params, now, rules, audit)
    step.effect(change)
    ev.state = to
    if to != before:
        enter(ev, rules, now)
    ev.version += 1
    ev.updated_at = now
    return Outcome(ev, before, audit, change.counts)


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
    if clock is None or ev.state in FINAL or ev.state == S.CLOSED:
        return None, None
    due = None if ev.overdue else clock.due_at(rules.calendar)
    warn = clock.warn_at(rules.calendar, rules.cfg.soon_due)
    return due, warn


def _iso(ts: float, cal: WorkingCalendar) -> str:
    return datetime.fromtimestamp(ts, cal.tz).isoformat(timespec="seconds")
