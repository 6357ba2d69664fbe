"""The demo flow moves reports from every channel round the loop on the demo district, as its own
accounts and at a person's pace, leaving work to the people trying the hall."""

from __future__ import annotations

import asyncio

from backend.auth import Identity
from backend.events.demo import EventDemo
from backend.events.schemas import ActionIn
from backend.events.service import EventService
from backend.store import connect
from tests.events_support import CFG

FLOW = CFG.events.demo.accounts
FLOW_NAMES = {FLOW.operator, FLOW.worker, FLOW.department, FLOW.reporter}
PEOPLE = {u.name for u in CFG.users} - FLOW_NAMES
WORKER1_GRIDS = {f["properties"]["id"] for f in CFG.events.grids_geojson["features"]
                 if f["properties"].get("worker") == "worker1"}
FIELD_STEPS = {"verify", "dismiss", "check_pass", "check_fail"}
LEADERS_STEPS = {"approve_postpone", "deny_postpone", "approve_suspend", "deny_suspend", "supervise"}


async def run_flow(svc: EventService, done, seed: int = 7, timeout: float = 120) -> None:
    """Run a fast flow (steps of milliseconds) until `await done()` is true."""
    demo = EventDemo(svc, reports_per_minute=6000, step_seconds=(0.001, 0.004), seed=seed)
    task = asyncio.create_task(demo.run())
    try:
        async with asyncio.timeout(timeout):
            while not await done():
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0.05)


def closed_at_least(svc: EventService, total: int, closed: int):
    async def done() -> bool:
        stats = await svc.stats(svc.period_days("today"))
        states = stats["states"]
        return stats["total"] >= total and states.get("evaluated", 0) + states.get("closed", 0) >= closed
    return done


async def test_the_demo_flow_fills_the_loop(redis_url):
    redis = connect(redis_url)
    svc = EventService(redis, CFG)
    await run_flow(svc, closed_at_least(svc, 150, 20))
    stats = await svc.stats(svc.period_days("today"))
    assert set(stats["channels"]) == {"worker", "resident", "department", "camera", "open311"}
    assert len(stats["states"]) >= 5
    k = stats["kpis"]
    assert k["registration_rate"] is not None and 0 < k["registration_rate"] <= 100
    posts = await svc.posts(svc.period_days("today"))
    assert posts["grid_workers"] and posts["dispatchers"] and posts["departments"]
    assert all(p["grade"] in (None, "A", "B", "C", "D", "E") for p in posts["departments"])
    await redis.aclose()


async def test_the_demo_flow_acts_only_as_its_own_accounts_and_leaves_worker1_and_leaders_their_work(redis_url):
    redis = connect(redis_url)
    svc = EventService(redis, CFG)
    await run_flow(svc, closed_at_least(svc, 200, 20), seed=11)
    audit = await svc.store.audit_all()
    assert audit
    actors = {(a["by"], a["role"]) for a in audit}
    assert {by for by, role in actors if role != "system"} <= FLOW_NAMES, actors
    assert not {by for by, _ in actors} & PEOPLE
    # worker1's grids: the flow reports there, but verifying and checking on site is left to worker1
    events = {e.id: e for e in await svc.store.get_many(sorted({a["event"] for a in audit}))}
    in_worker1s = {eid for eid, e in events.items() if e.grid in WORKER1_GRIDS}
    assert in_worker1s
    assert not [a for a in audit if a["event"] in in_worker1s and a["action"] in FIELD_STEPS | {"escalate"}]
    waiting = [e for e in events.values() if e.grid in WORKER1_GRIDS and e.state in ("verifying", "to_check")]
    assert waiting, "nothing waits for worker1"
    # ...and elsewhere the flow's grid worker does them
    assert [a for a in audit if a["action"] in FIELD_STEPS and a["by"] == FLOW.worker]
    # leaders' approvals and supervision are left to commander1: some requests wait for them
    assert not [a for a in audit if a["action"] in LEADERS_STEPS]
    pending = [e for e in events.values() if e.state in ("postpone_pending", "suspend_pending")]
    assert pending, "no approval waits for a leader"
    await redis.aclose()


async def test_the_demo_flow_leaves_alone_an_event_a_person_acted_on(redis_url):
    redis = connect(redis_url)
    svc = EventService(redis, CFG)
    claimed: list[str] = []

    async def commander_supervises_the_first_report(name: str, data: dict) -> None:
        if name == "event" and data["action"] == "report" and not claimed:
            claimed.append(data["id"])
            await svc.act(data["id"], "supervise", ActionIn(note="I will follow this one"),
                          Identity("commander1", "commander"))

    svc.hooks.append(commander_supervises_the_first_report)
    await run_flow(svc, closed_at_least(svc, 80, 10), seed=3)
    [eid] = claimed
    steps = [(a["action"], a["by"]) for a in await svc.store.audit(eid)]
    assert steps[1:] == [("supervise", "commander1")], steps
    assert steps[0][0] == "report" and steps[0][1] in FLOW_NAMES
    await redis.aclose()


async def test_a_first_start_files_a_few_reports_at_once_then_they_keep_coming(redis_url):
    redis = connect(redis_url)
    svc = EventService(redis, CFG)
    slow = EventDemo(svc, reports_per_minute=0.001, step_seconds=(600, 600), seed=5)
    task = asyncio.create_task(slow.run())
    try:
        async with asyncio.timeout(10):
            while sum((await svc.store.states_now()).values()) < CFG.events.demo.first_reports:
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert sum((await svc.store.states_now()).values()) == CFG.events.demo.first_reports
    # A restart on a hall that has events files one at once, not another burst.
    task = asyncio.create_task(EventDemo(svc, reports_per_minute=0.001, step_seconds=(600, 600)).run())
    await asyncio.sleep(0.5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert sum((await svc.store.states_now()).values()) == CFG.events.demo.first_reports + 1
    await redis.aclose()


async def test_the_demo_flows_accounts_are_configured_and_it_keeps_a_persons_pace(redis_url):
    users = {u.name: u for u in CFG.users}
    for name, role in ((FLOW.operator, "operator"), (FLOW.worker, "worker"), (FLOW.department, "department"),
                       (FLOW.reporter, "integration")):
        assert users[name].role == role and (users[name].display_name or "").startswith("Demo flow")
    assert "admin" not in {users[n].role for n in FLOW_NAMES}
    assert all(FLOW.department in d.users for d in CFG.events.departments)
    lo, hi = CFG.events.demo.step_seconds
    assert 10 <= lo <= hi, "the flow's steps race a person at the console"
    redis = connect(redis_url)
    assert EventDemo(EventService(redis, CFG)).step == (lo, hi)
    await redis.aclose()
