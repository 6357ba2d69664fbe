"""Routing to departments (default per class, rules over class and area, three modes) and escalation."""

from __future__ import annotations

import pytest

from backend.events.config import LEVELS, EscalationRule, RoutingConfig, RoutingRule
from backend.events.routing import (
    Area,
    RoutingError,
    due_escalation,
    level_above,
    next_escalation_after,
    next_level,
    route,
)
from backend.events.taxonomy import Taxonomy
from tests.events_support import CFG

TAX = Taxonomy(CFG.events)
WEST = Area("g01", "c-harmony", "s-west")
EAST = Area("g03", "c-riverside", "s-east")


def test_default_department_of_the_class_when_no_rule_applies():
    r = route(CFG.events.routing, TAX, "0301", WEST)
    assert r.candidates[0].department == "traffic-police"
    assert "default department" in r.candidates[0].reason
    assert r.mode == "recommended" and r.department is None


def test_rules_over_class_and_area_refine_the_default():
    r = route(CFG.events.routing, TAX, "0101", EAST)
    assert [c.department for c in r.candidates] == ["street-east", "sanitation"]
    assert r.candidates[0].reason.startswith("East street")
    r = route(CFG.events.routing, TAX, "0201", EAST)
    assert r.candidates[0].department == "water" and "property" in r.candidates[0].reason
    r = route(CFG.events.routing, TAX, "0401", Area("g04", "c-wetland", "s-east"))
    assert r.candidates[0].department == "street-east"
    assert route(CFG.events.routing, TAX, "9002", EAST).candidates[0].department == "street-east"
    assert route(CFG.events.routing, TAX, "9002", WEST).candidates[0].department == "street-west"


def test_more_specific_rules_rank_first():
    cfg = RoutingConfig(mode="automatic", top=3, rules=[
        RoutingRule(categories=["01"], department="urban-mgmt"),
        RoutingRule(categories=["0101"], areas=["s-west"], department="street-west"),
        RoutingRule(categories=["0101"], areas=["g01"], department="housing", reason="grid g01 contract"),
        RoutingRule(areas=["c-harmony"], department="environment"),
    ])
    r = route(cfg, TAX, "0101", WEST)
    assert [c.department for c in r.candidates] == ["housing", "environment", "street-west"]
    assert r.department == "housing" and r.candidates[0].reason == "grid g01 contract"
    assert route(cfg, TAX, "0101", WEST, mode="manual").department is None


@pytest.mark.parametrize("mode", ["automatic", "recommended", "manual"])
def test_modes(mode):
    cfg = RoutingConfig(mode=mode)
    r = route(cfg, TAX, "0203", EAST)
    assert r.candidates[0].department == "urban-mgmt"
    assert r.department == ("urban-mgmt" if mode == "automatic" else None)


def test_unknown_class_is_an_error():
    with pytest.raises(RoutingError):
        route(CFG.events.routing, TAX, "7777", EAST)


def test_escalation_by_hand_goes_one_level_up_until_the_district():
    assert [next_level(lv) for lv in LEVELS[:-1]] == ["community", "street", "district"]
    with pytest.raises(RoutingError):
        next_level("district")
    assert level_above("street", "community") and not level_above("grid", "grid")


def test_escalation_by_rule_when_the_deadline_passes():
    rules = CFG.events.escalation
    assert due_escalation(rules, TAX, "0101", "grid", -1) is None  # not overdue
    assert due_escalation(rules, TAX, "0101", "grid", 0) == "community"
    assert due_escalation(rules, TAX, "0101", "grid", 241 * 60) == "street"
    assert due_escalation(rules, TAX, "0101", "community", 10 * 60) is None
    assert due_escalation(rules, TAX, "0101", "street", 3 * 86400) == "district"
    assert due_escalation(rules, TAX, "0602", "grid", 31 * 60) == "district"  # safety hazards go straight up
    assert due_escalation(rules, TAX, "0601", "district", 99999) is None
    assert next_escalation_after(rules, TAX, "0101", "community", 60) == 240 * 60
    assert next_escalation_after(rules, TAX, "0602", "community", 0) == 30 * 60
    assert next_escalation_after(rules, TAX, "0101", "district", 0) is None
    only = [EscalationRule(categories=["05"], overdue_minutes=10, level="street")]
    assert due_escalation(only, TAX, "0101", "grid", 3600) is None
    assert due_escalation(only, TAX, "0501", "grid", 3600) == "street"
