"""Deadline timers in Redis: soon-due and overdue warnings, escalation by rule, and surviving a restart."""

from __future__ import annotations

import time

import pytest

from backend.auth import Identity
from backend.events.schemas import ActionIn, ReportIn
from backend.events.service import EventService
from backend.store import connect
from tests.events_support import CFG


@pytest.fixture
async def redis(redis_url):
    client = connect(redis_url)
    yield client
    await client.aclose()


def who(name: str, role: str) -> Identity:
    return Identity(name, role)


async def in_progress(svc: EventService, category: str = "0301") -> str:
    ev, _ = await svc.report(ReportIn(channel="worker", description="car on the pavement", category=category,
                                      lat=36.662, lon=117.115), who("worker1", "worker"))
    await svc.act(ev.id, "accept", ActionIn(), who("operator1", "operator"))
    await svc.act(ev.id, "register", ActionIn(), who("operator1", "operator"))
    await svc.act(ev.id, "dispatch", ActionIn(department="traffic-police"), who("commander1", "commander"))
    await svc.act(ev.id, "receive", ActionIn(), who("dept1", "department"))
    return ev.id


async def test_warnings_overdue_and_escalation_survive_a_restart(redis):
    first = EventService(redis, CFG)
    eid = await in_progress(first)  # class 0301: 30 natural minutes
    t0 = time.time()
    del first  # the process that scheduled the timers is gone; a new one picks them up from Redis

    svc = EventService(redis, CFG)
    heard: list[tuple[str, dict]] = []

    async def hook(name: str, data: dict) -> None:
        heard.append((name, data))

    svc.hooks.append(hook)
    assert await svc.tick(t0 + 60) == {"overdue": 0, "warned": 0, "escalated": 0}
    done = await svc.tick(t0 + 25 * 60)  # 83% of the limit used
    assert done["warned"] == 1 and heard[-1][0] == "event:warning" and heard[-1][1]["kind"] == "soon_due"
    assert heard[-1][1]["id"] == eid and heard[-1][1]["node"] == "handle"
    assert (await svc.tick(t0 + 26 * 60))["warned"] == 0  # warned once

    done = await svc.tick(t0 + 31 * 60)
    assert done["overdue"] == 1 and done["escalated"] == 1
    ev = await svc.get(eid)
    assert ev.overdue and ev.level == "community"
    kinds = [d.get("kind") for n, d in heard if n == "event:warning"]
    assert kinds == ["soon_due", "overdue"]
    stats = await svc.stats(svc.period_days("today"))
    assert stats["counts"]["overdue_pending"] == 1 and stats["kpis"]["overdue_pending_rate"] == 100.0
    assert (await svc.tick(t0 + 40 * 60)) == {"overdue": 0, "warned": 0, "escalated": 0}

    done = await svc.tick(t0 + (30 + 241) * 60)
    assert done["escalated"] == 1 and (await svc.get(eid)).level == "street"
    await svc.tick(t0 + (30 + 1441) * 60)
    ev = await svc.get(eid)
    assert ev.level == "district"
    audit = await svc.store.audit(eid)
    assert [a["action"] for a in audit][-4:] == ["overdue", "escalate", "escalate", "escalate"]
    assert audit[-1]["by"] == "escalation" and audit[-1]["level"] == {"from": "street", "to": "district"}

    await svc.act(eid, "feedback", ActionIn(result="towed"), who("dept1", "department"))
    stats = await svc.stats(svc.period_days("today"))
    assert stats["counts"]["overdue_pending"] == 0 and stats["counts"]["handled"] == 1


async def test_safety_hazards_escalate_straight_to_the_district(redis):
    svc = EventService(redis, CFG)
    ev, _ = await svc.report(ReportIn(channel="worker", description="cracks in the slope", category="0602",
                                      lat=36.662, lon=117.115), who("worker1", "worker"))
    await svc.act(ev.id, "accept", ActionIn(), who("operator1", "operator"))
    await svc.act(ev.id, "register", ActionIn(), who("operator1", "operator"))
    await svc.act(ev.id, "dispatch", ActionIn(department="water"), who("commander1", "commander"))
    t0 = time.time()
    await svc.tick(t0 + 2 * 3600 + 60)  # the receive node (2 h) went overdue first
    assert (await svc.get(ev.id)).level == "community"
    await svc.tick(t0 + 2 * 3600 + 31 * 60)
    assert (await svc.get(ev.id)).level == "district"


async def test_a_suspended_case_does_not_go_overdue(redis):
    svc = EventService(redis, CFG)
    eid = await in_progress(svc)
    await svc.act(eid, "request_suspend", ActionIn(note="owner abroad"), who("dept1", "department"))
    await svc.act(eid, "approve_suspend", ActionIn(), who("commander1", "commander"))
    assert await svc.tick(time.time() + 86400) == {"overdue": 0, "warned": 0, "escalated": 0}
    ev = await svc.get(eid)
    assert not ev.overdue and ev.state == "suspended"
