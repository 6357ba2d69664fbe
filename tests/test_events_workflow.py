"""The closed loop's state machine: every state x every action, every action x every role."""

from __future__ import annotations

import pytest

from backend.events import workflow as wf
from backend.events.calendar import Clock
from backend.events.config import Limit
from backend.events.workflow import (
    ACTIONS,
    STATES,
    Actor,
    BadParams,
    IllegalAction,
    NotPermitted,
    Params,
    allowed_actions,
    check_role,
    next_state,
    transition,
)
from backend.roles import ROLES
from tests.events_support import ADMIN, COMMANDER, DEPT, OPERATOR, WORKER, at, event, rules

# The loop written out a second time, by hand, as DOMAIN.md describes it.
EXPECTED: dict[tuple[str, str], str] = {
    ("reported", "accept"): "verifying|to_register", ("reported", "refuse"): "refused",
    ("reported", "mark_duplicate"): "duplicate",
    ("verifying", "verify"): "to_register", ("verifying", "dismiss"): "cancelled",
    ("verifying", "mark_duplicate"): "duplicate",
    ("to_register", "register"): "to_dispatch", ("to_register", "cancel"): "cancelled",
    ("to_register", "mark_duplicate"): "duplicate",
    ("to_dispatch", "dispatch"): "dispatched", ("to_dispatch", "cancel"): "cancelled",
    ("to_dispatch", "mark_duplicate"): "duplicate",
    ("dispatched", "receive"): "in_progress", ("dispatched", "return"): "to_dispatch",
    ("in_progress", "request_postpone"): "postpone_pending", ("in_progress", "request_suspend"): "suspend_pending",
    ("in_progress", "feedback"): "to_check",
    ("postpone_pending", "approve_postpone"): "in_progress", ("postpone_pending", "deny_postpone"): "in_progress",
    ("suspend_pending", "approve_suspend"): "suspended", ("suspend_pending", "deny_suspend"): "in_progress",
    ("suspended", "resume"): "in_progress",
    ("to_check", "check_pass"): "to_close", ("to_check", "check_fail"): "in_progress",
    ("to_close", "close"): "closed",
    ("closed", "evaluate"): "evaluated",
    ("self_handled", "confirm"): "closed", ("self_handled", "decline"): "to_register",
}
OPEN_STATES = set(STATES) - {"closed", "evaluated", "refused", "cancelled", "duplicate"}
for s in OPEN_STATES:
    for overlay in ("supervise", "set_urgency", "escalate", "attach"):
        EXPECTED[(s, overlay)] = s

EXPECTED_ROLES = {
    "accept": {"admin", "operator", "commander"}, "refuse": {"admin", "operator", "commander"},
    "verify": {"admin", "worker"}, "dismiss": {"admin", "worker"},
    "register": {"admin", "operator", "commander"}, "cancel": {"admin", "operator", "commander"},
    "dispatch": {"admin", "operator", "commander"},
    "receive": {"admin", "department"}, "return": {"admin", "department"},
    "request_postpone": {"admin", "department"}, "request_suspend": {"admin", "department"},
    "approve_postpone": {"admin", "commander"}, "deny_postpone": {"admin", "commander"},
    "approve_suspend": {"admin", "commander"}, "deny_suspend": {"admin", "commander"},
    "resume": {"admin", "department", "commander"}, "feedback": {"admin", "department"},
    "check_pass": {"admin", "worker"}, "check_fail": {"admin", "worker"},
    "close": {"admin", "operator", "commander"}, "evaluate": {"admin", "operator", "commander"},
    "confirm": {"admin", "operator", "commander"}, "decline": {"admin", "operator", "commander"},
    "mark_duplicate": {"admin", "operator", "commander"},
    "supervise": {"admin", "commander"}, "set_urgency": {"admin", "operator", "commander"},
    "escalate": {"admin", "operator", "commander", "worker"},
    "attach": {"admin", "operator", "commander"},
}


def test_the_tables_cover_every_action():
    assert set(ACTIONS) == set(EXPECTED_ROLES)
    assert {a for (_, a) in EXPECTED} == set(ACTIONS)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_and_action(state, action):
    expected = EXPECTED.get((state, action))
    allowed = sorted(a for (s, a) in EXPECTED if s == state)
    assert sorted(allowed_actions(state)) == allowed
    if expected is None:
        with pytest.raises(IllegalAction) as exc:
            next_state(state, action)
        assert sorted(exc.value.allowed) == allowed
        for a in allowed:
            assert a in str(exc.value)
    else:
        got = {next_state(state, action, verify=True), next_state(state, action, verify=False)}
        assert got == set(expected.split("|"))


def test_public_reports_are_verified_on_site_and_worker_reports_skip_it():
    assert next_state("reported", "accept", verify=True) == "verifying"
    assert next_state("reported", "accept", verify=False) == "to_register"
    r = rules()
    now = at(2025, 6, 2, 9)
    assert transition(event(channel="resident"), "accept", OPERATOR, Params(), now, r).event.state == "verifying"
    assert transition(event(channel="camera"), "accept", OPERATOR, Params(), now, r).event.state == "verifying"
    assert transition(event(channel="worker", reporter="worker1"), "accept", OPERATOR, Params(), now,
                      r).event.state == "to_register"


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_every_action_and_role(action, role):
    if role in EXPECTED_ROLES[action]:
        check_role(action, role)
    else:
        with pytest.raises(NotPermitted) as exc:
            check_role(action, role)
        assert role in str(exc.value)


def test_unknown_action_names_the_field():
    with pytest.raises(BadParams) as exc:
        next_state("reported", "teleport")
    assert exc.value.path == "action"


def test_allowed_actions_for_a_role():
    assert allowed_actions("to_dispatch", "commander") == ["cancel", "dispatch", "mark_duplicate", "supervise",
                                                           "set_urgency", "escalate", "attach"]
    assert allowed_actions("dispatched", "department") == ["receive", "return"]
    assert allowed_actions("evaluated") == []


def run(ev, *steps):
    """Apply (action, actor, params, when) steps; return the outcomes."""
    r = rules()
    outs = []
    for action, actor, params, when in steps:
        out = transition(ev, action, actor, params, when, r)
        ev = out.event
        outs.append(out)
    return outs


def cohort(outs):
    total: dict[str, int] = {}
    for o in outs:
        for scope, f, d in o.counts:
            if scope == "cohort":
                total[f] = total.get(f, 0) + d
    return total


def test_the_whole_loop_of_a_resident_report_counts_each_kpi_once():
    t = at(2025, 6, 2, 9)  # Monday 09:00
    outs = run(event(channel="resident"),
               ("accept", OPERATOR, Params(), t + 60),
               ("verify", WORKER, Params(note="seen"), t + 600),
               ("register", OPERATOR, Params(category="0101"), t + 900),
               ("dispatch", COMMANDER, Params(department="sanitation", co_handlers=["urban-mgmt"]), t + 1200),
               ("receive", DEPT, Params(), t + 1300),
               ("feedback", DEPT, Params(result="cleared", photos=["a" * 64]), t + 3600),
               ("check_pass", WORKER, Params(), t + 4000),
               ("close", OPERATOR, Params(), t + 4200),
               ("evaluate", OPERATOR, Params(rating=5, note="thanks"), t + 9000))
    ev = outs[-1].event
    assert [o.event.state for o in outs] == ["verifying", "to_register", "to_dispatch", "dispatched", "in_progress",
                                             "to_check", "to_close", "closed", "evaluated"]
    assert ev.version == 9 and ev.close_type == "normal" and ev.rating == 5 and ev.co_handlers == ["urban-mgmt"]
    c = cohort(outs)
    assert c["accepted"] == c["registered"] == c["due_to_close"] == c["closed"] == c["closed_on_time"] == 1
    assert c["due_for_handling"] == c["handled"] == c["handled_on_time"] == 1
    assert "reworked" not in c and "redispatched" not in c
    assert [o.audit["action"] for o in outs][:2] == ["accept", "verify"]
    assert outs[1].audit["note"] == "seen"


def test_rework_goes_back_to_the_same_department_and_is_counted_once_per_event():
    t = at(2025, 6, 2, 9)
    ev = event(state="to_check", channel="worker", department="sanitation")
    ev.case_clock = Clock("handle", "work_hours", 4 * 3600, 3600, None).to_dict()
    outs = run(ev, ("check_fail", WORKER, Params(note="still there"), t),
               ("feedback", DEPT, Params(result="again"), t + 60),
               ("check_fail", WORKER, Params(note="no"), t + 120))
    assert outs[0].event.state == "in_progress" and outs[0].event.department == "sanitation"
    assert outs[-1].event.rework_count == 2
    assert cohort(outs)["reworked"] == 1


def test_check_fail_without_a_note_names_the_field():
    with pytest.raises(BadParams) as exc:
        run(event(state="to_check", department="sanitation"), ("check_fail", WORKER, Params(), at(2025, 6, 2, 9)))
    assert exc.value.path == "note"


def test_redispatch_to_another_department_is_not_an_accurate_dispatch():
    t = at(2025, 6, 2, 9)
    outs = run(event(state="to_dispatch"),
               ("dispatch", COMMANDER, Params(department="water"), t),
               ("return", DEPT, Params(note="not our pipe"), t + 60),
               ("dispatch", COMMANDER, Params(department="sanitation"), t + 120))
    c = cohort(outs)
    assert c["dispatched"] == 2 and c["due_for_handling"] == 1 and c["redispatched"] == 1
    posts = [f for o in outs for s, f, _ in o.counts if s == "post"]
    assert "dispatcher:commander1:redispatched" in posts
    assert outs[1].event.department is None and outs[1].event.state == "to_dispatch"


def test_return_needs_a_reason_and_dispatch_needs_a_known_department():
    t = at(2025, 6, 2, 9)
    with pytest.raises(BadParams) as exc:
        run(event(state="to_dispatch"), ("dispatch", COMMANDER, Params(department="nasa"), t))
    assert exc.value.path == "department"
    with pytest.raises(BadParams) as exc:
        run(event(state="to_dispatch"), ("dispatch", COMMANDER, Params(department="water", co_handlers=["water"]), t))
    assert exc.value.path == "co_handlers[0]"
    with pytest.raises(BadParams) as exc:
        run(event(state="dispatched", department="water"), ("return", DEPT, Params(), t))
    assert exc.value.path == "note"


def test_a_department_acts_only_on_its_own_events():
    other = Actor("dept9", "department", frozenset({"housing"}))
    with pytest.raises(NotPermitted):
        run(event(state="dispatched", department="water"), ("receive", other, Params(), at(2025, 6, 2, 9)))
    run(event(state="dispatched", department="water"), ("receive", ADMIN, Params(), at(2025, 6, 2, 9)))


def test_postponement_moves_the_deadline_after_approval():
    r = rules()
    t = at(2025, 6, 2, 9)  # Monday 09:00; class 0101: 4 working hours
    ev = run(event(state="to_dispatch", category="0101"),
             ("dispatch", COMMANDER, Params(department="sanitation"), t))[-1].event
    assert wf.timers(ev, r)[0] == t + 2 * 3600  # dispatched: the receive node's own limit (2 h)
    ev = transition(ev, "receive", DEPT, Params(), t, r).event
    due_before = wf.timers(ev, r)[0]
    assert due_before == at(2025, 6, 2, 14, 30)  # 3 h before lunch, 1 h after 13:30
    ev = transition(ev, "request_postpone", DEPT, Params(extra=Limit(value=2, unit="work_hours"), note="parts"),
                    t + 60, r).event
    assert ev.state == "postpone_pending" and wf.timers(ev, r)[0] == due_before
    out = transition(ev, "approve_postpone", COMMANDER, Params(), t + 120, r)
    assert wf.timers(out.event, r)[0] == at(2025, 6, 2, 16, 30)
    assert out.event.postpone_count == 1 and ("cohort", "postponed", 1) in out.counts
    ev2 = transition(ev, "deny_postpone", COMMANDER, Params(), t + 120, r).event
    assert wf.timers(ev2, r)[0] == due_before and ev2.pending is None


def test_postponement_in_another_kind_of_time_is_refused():
    t = at(2025, 6, 2, 9)
    ev = run(event(state="to_dispatch", category="0101"), ("dispatch", COMMANDER, Params(department="sanitation"), t),
             ("receive", DEPT, Params(), t))[-1].event
    with pytest.raises(BadParams) as exc:
        run(ev, ("request_postpone", DEPT, Params(extra=Limit(value=1, unit="work_days"), note="x"), t))
    assert exc.value.path == "extra.unit"


def test_suspension_stops_the_clock_and_resume_restarts_it():
    r = rules()
    t = at(2025, 6, 2, 9)
    ev = run(event(state="to_dispatch", category="0101"), ("dispatch", COMMANDER, Params(department="sanitation"), t),
             ("receive", DEPT, Params(), t))[-1].event
    ev = transition(ev, "request_suspend", DEPT, Params(note="waiting for the owner"), t + 3600, r).event
    ev = transition(ev, "approve_suspend", COMMANDER, Params(), t + 3600, r).event
    assert ev.state == "suspended" and wf.timers(ev, r) == (None, None)
    assert wf.countdown(ev, r, t + 10 * 86400)["used_s"] == 3600  # the clock stood still for ten days
    ev = transition(ev, "resume", DEPT, Params(), at(2025, 6, 3, 9), r).event
    assert wf.timers(ev, r)[0] == at(2025, 6, 3, 12, 0)  # the 3 h left run from Tuesday 09:00


def test_countdown_light_green_yellow_red():
    r = rules()
    t = at(2025, 6, 2, 9)
    ev = run(event(state="to_dispatch", category="0101"), ("dispatch", COMMANDER, Params(department="sanitation"), t),
             ("receive", DEPT, Params(), t))[-1].event  # 4 working hours from Monday 09:00
    assert wf.countdown(ev, r, t + 3 * 3600)["light"] == "green"  # 75% used
    assert wf.countdown(ev, r, at(2025, 6, 2, 13, 45))["light"] == "yellow"  # 3h15 = 81%
    assert wf.countdown(ev, r, at(2025, 6, 2, 14, 30))["light"] == "yellow"  # exactly 100%
    assert wf.countdown(ev, r, at(2025, 6, 2, 14, 31))["light"] == "red"
    assert wf.countdown(ev, r, t)["node"] == "handle"
    new = event()
    cd = wf.countdown(transition(new, "accept", OPERATOR, Params(), t, r).event, r, t + 25 * 60)
    assert cd["node"] == "verify" and cd["light"] == "yellow"


def test_closing_late_is_an_overdue_closure_and_not_on_time():
    t = at(2025, 6, 2, 9)
    ev = event(state="to_close", category="0101")
    ev.case_clock = Clock("handle", "work_hours", 4 * 3600, 5 * 3600, None).to_dict()
    out = run(ev, ("close", OPERATOR, Params(), t))[-1]
    assert out.event.close_type == "overdue"
    assert ("cohort", "closed_on_time", 1) not in out.counts
    with pytest.raises(BadParams) as exc:
        run(ev, ("close", OPERATOR, Params(close_type="whenever"), t))
    assert exc.value.path == "close_type"
    assert run(ev, ("close", OPERATOR, Params(close_type="special"), t))[-1].event.close_type == "special"


def test_self_handled_short_path():
    t = at(2025, 6, 2, 9)
    ev = event(state="self_handled", channel="worker", reporter="worker1", self_handled=True)
    out = run(ev, ("confirm", OPERATOR, Params(), t + 600))[-1]
    assert out.event.state == "closed" and out.event.close_type == "normal"
    c = cohort([out])
    assert c["self_handled"] == c["closed"] == c["registered"] == 1
    assert ("post", "worker:worker1:valid", 1) in out.counts
    back = run(ev, ("decline", OPERATOR, Params(note="too big"), t))[-1].event
    assert back.state == "to_register" and not back.self_handled


def test_supervision_urgency_and_escalation_are_overlays():
    t = at(2025, 6, 2, 9)
    ev = run(event(state="to_dispatch", category="0101"), ("dispatch", COMMANDER, Params(department="sanitation"), t),
             ("receive", DEPT, Params(), t))[-1].event
    r = rules()
    out = transition(ev, "supervise", COMMANDER, Params(note="press it"), t, r)
    assert out.event.state == "in_progress" and out.event.supervised and out.event.supervisions[0]["note"] == "press it"
    urgent = transition(ev, "set_urgency", OPERATOR, Params(urgency="urgent"), t, r).event
    assert urgent.case_clock["budget_s"] == 2 * 3600  # half of 4 working hours
    levels = []
    for _ in range(3):
        ev = transition(ev, "escalate", WORKER, Params(), t, r).event
        levels.append(ev.level)
    assert levels == ["community", "street", "district"]
    with pytest.raises(BadParams) as exc:
        transition(ev, "escalate", COMMANDER, Params(), t, r)
    assert exc.value.path == "level" and "district" in exc.value.message
    with pytest.raises(BadParams):
        transition(event(state="reported"), "escalate", COMMANDER, Params(level="grid"), t, r)
    assert transition(event(), "escalate", COMMANDER, Params(level="street"), t, r).event.level == "street"
    with pytest.raises(IllegalAction):
        transition(event(state="evaluated"), "supervise", COMMANDER, Params(), t, r)


def test_duplicate_is_linked_to_its_original():
    t = at(2025, 6, 2, 9)
    out = run(event(), ("mark_duplicate", OPERATOR, Params(original="ev-1"), t))[-1]
    assert out.event.state == "duplicate" and out.event.duplicate_of == "ev-1"
    with pytest.raises(BadParams) as exc:
        run(event(), ("mark_duplicate", OPERATOR, Params(original="ev-test"), t))
    assert exc.value.path == "original"
    with pytest.raises(BadParams):
        run(event(), ("mark_duplicate", OPERATOR, Params(), t))


def test_register_sets_class_deadline_and_routing_candidates():
    t = at(2025, 6, 2, 9)
    out = run(event(state="to_register", category=None, grid="g03", community="c-riverside", street="s-east"),
              ("register", OPERATOR, Params(category="0101", conditions="large", urgency="urgent"), t))[-1]
    ev = out.event
    assert ev.category_name == "Exposed garbage" and ev.conditions == "large" and ev.urgency == "urgent"
    assert ev.case_clock["unit"] == "work_days" and ev.case_clock["budget_s"] == 0.5 * 86400
    assert ev.routing["candidates"][0]["department"] == "street-east"
    with pytest.raises(BadParams) as exc:
        run(event(state="to_register", category=None), ("register", OPERATOR, Params(), t))
    assert exc.value.path == "category"
    with pytest.raises(BadParams) as exc:
        run(event(state="to_register"), ("register", OPERATOR, Params(conditions="huge"), t))
    assert exc.value.path == "conditions"


def test_overdue_is_flagged_once_and_counted_pending_until_handled():
    r = rules()
    t = at(2025, 6, 2, 9)
    ev = run(event(state="to_dispatch", category="0301"), ("dispatch", COMMANDER, Params(department="traffic-police"),
                                                           t),
             ("receive", DEPT, Params(), t))[-1].event  # 30 natural minutes
    assert wf.mark_overdue(ev, t + 10 * 60, r) is None
    out = wf.mark_overdue(ev, t + 31 * 60, r)
    assert out.event.overdue and ("cohort", "overdue_pending", 1) in out.counts
    assert wf.mark_overdue(out.event, t + 40 * 60, r) is None
    fb = transition(out.event, "feedback", DEPT, Params(result="towed"), t + 45 * 60, r)
    assert ("cohort", "overdue_pending", -1) in fb.counts and ("cohort", "handled_on_time", 1) not in fb.counts


def test_a_transition_never_changes_its_input():
    ev = event()
    before = ev.model_dump()
    transition(ev, "accept", OPERATOR, Params(), at(2025, 6, 2, 9), rules())
    assert ev.model_dump() == before


def test_each_action_is_one_step_of_the_table_with_its_moves_roles_and_effect():
    assert list(wf.STEPS) == list(ACTIONS)
    for action, step in wf.STEPS.items():
        assert callable(step.effect) and step.roles, action
        assert set(step.moves) == {s for (s, a) in EXPECTED if a == action} or not step.moves, action
        assert (not step.moves) == (action in ("supervise", "set_urgency", "escalate", "attach")), action
        assert step.roles - {wf.SYSTEM} == EXPECTED_ROLES[action], action


def test_attach_adds_photos_once_and_keeps_the_state():
    r, t = rules(), at(2025, 6, 2, 10)
    ev = event(state="in_progress", photos=["a" * 64])
    out = transition(ev, "attach", COMMANDER, Params(photos=["a" * 64, "b" * 64], note="snapshot of the call"), t, r)
    assert out.event.state == "in_progress" and out.event.photos == ["a" * 64, "b" * 64]
    assert out.audit["photos"] == ["b" * 64] and out.audit["note"] == "snapshot of the call"
    with pytest.raises(BadParams):
        transition(ev, "attach", COMMANDER, Params(), t, r)
    with pytest.raises(NotPermitted):
        transition(ev, "attach", WORKER, Params(photos=["c" * 64]), t, r)
