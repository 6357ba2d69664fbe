"""KPI formulas exactly as DOMAIN.md states them, and the per-post A-E grades."""

from __future__ import annotations

import pytest

from backend.events import kpi


def test_centre_kpis_follow_the_formulas():
    c = {"accepted": 200, "registered": 180, "due_to_close": 170, "closed": 150, "closed_on_time": 120,
         "due_for_handling": 160, "handled": 152, "handled_on_time": 140, "reworked": 17, "postponed": 8,
         "overdue_pending": 4, "redispatched": 16}
    k = kpi.kpis(c)
    assert k["closure_rate"] == pytest.approx(100 * 150 / 170, abs=0.01)
    assert k["on_time_closure_rate"] == pytest.approx(100 * 120 / 170, abs=0.01)
    assert k["handling_rate"] == 95.0
    assert k["on_time_handling_rate"] == 87.5
    assert k["rework_rate"] == 10.0
    assert k["postponement_rate"] == 5.0
    assert k["overdue_pending_rate"] == 2.5
    assert k["registration_rate"] == 90.0
    assert k["accurate_dispatch_rate"] == 90.0
    assert kpi.kpis(c, rework_denominator="registered")["rework_rate"] == pytest.approx(100 * 17 / 180, abs=0.01)


def test_nothing_due_is_none_not_zero():
    k = kpi.kpis({})
    assert all(v is None for v in k.values())
    assert kpi.mean_handling_hours({}) is None
    assert kpi.mean_handling_hours({"closed": 2, "handle_seconds": 7200}) == 1.0


@pytest.mark.parametrize("score, letter", [(100, "A"), (90, "A"), (89.99, "B"), (75, "B"), (74.9, "C"), (60, "C"),
                                           (59.9, "D"), (40, "D"), (39.9, "E"), (0, "E"), (None, None)])
def test_grades(score, letter):
    assert kpi.grade(score) == letter


def test_grid_worker_composite():
    s = kpi.grid_worker("w", {"valid": 9, "invalid": 1, "missed": 1, "verifications": 4, "verified_on_time": 3,
                              "checks": 5, "checked_on_time": 5})
    # 90*0.4 + (100-10)*0.2 + 75*0.2 + 100*0.2 = 36 + 18 + 15 + 20
    assert s.score == 89.0 and s.grade == "B"
    assert s.components["missed_report"] == 90.0


def test_shift_lead_and_dispatcher_composites():
    lead = kpi.shift_lead("l", {"registered": 10, "registered_on_time": 8, "misregistered": 1, "closed": 4,
                                "closed_on_time": 4})
    assert lead.score == pytest.approx(80 * 0.25 + 90 * 0.40 + 100 * 0.35) and lead.grade == "A"
    d = kpi.dispatcher("d", {"dispatched": 10, "dispatched_on_time": 5, "redispatched": 5}, target=20)
    assert d.score == pytest.approx(50 * 0.2 + 50 * 0.4 + 50 * 0.4) and d.grade == "D"
    assert kpi.dispatcher("d", {}, target=20).score is None


def test_missing_components_are_reweighted():
    s = kpi.grid_worker("w", {"valid": 4, "invalid": 0})  # no verifications, checks or missed yet
    assert s.components["on_time_check"] is None
    assert s.score == 100.0 and s.grade == "A"


def test_posts_group_flat_counters():
    out = kpi.posts({"worker:worker1:valid": 3, "department:water:received": 2, "department:water:handled": 2,
                     "department:water:handled_on_time": 1, "dispatcher:commander1:dispatched": 20,
                     "dispatcher:commander1:dispatched_on_time": 20, "lead:operator1:registered": 1},
                    dispatch_target=20)
    assert out["grid_workers"][0]["name"] == "worker1"
    dept = out["departments"][0]
    assert dept["components"] == {"handling": 100.0, "on_time_handling": 50.0, "no_rework": 100.0}
    assert dept["score"] == 80.0 and dept["grade"] == "B"
    assert out["dispatchers"][0]["grade"] == "A"
