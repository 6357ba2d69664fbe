"""`hall demo`'s event flow: reports from every channel keep coming, and the flow's own accounts
(`events.demo.accounts`) move them round the loop at a person's pace, leaving work to the people
trying the hall: the steps of grid workers who have an account, leaders' approvals and supervision,
a share of every other step, and any event a person has acted on."""

from __future__ import annotations

import asyncio
import logging
import random

from ..auth import Identity
from ..errors import HallError
from . import workflow as wf
from .model import Event
from .schemas import ActionIn, ReportIn
from .service import EventService
from .vocab import EventState

log = logging.getLogger("hall.events.demo")

CHANNELS = (("worker", 0.6), ("resident", 0.2), ("department", 0.08), ("camera", 0.06), ("open311", 0.06))
TEXTS = {
    "0101": "Garbage piled up beside the bins", "0102": "Flyers pasted on the bus shelter",
    "0103": "Fruit stall blocking the pavement", "0201": "Water pipe leaking at the corner",
    "0202": "Manhole cover missing on the cycle lane", "0203": "Street light out for three nights",
    "0301": "Car parked on the pavement by the school", "0302": "Pothole in the right lane",
    "0401": "Neighbours arguing over a leaking balcony", "0402": "Loud music after midnight",
    "0501": "Someone burning leaves in the yard", "0502": "Grey water running into the river",
    "0601": "Fire escape blocked with bicycles", "0602": "New cracks in the slope above the path",
    "9001": "River level close to the warning mark", "9002": "Elderly resident alone, no visit this week",
}
# The steps at which the flow may hand an event over to the people (the centre's and departments').
HANDOVER_STEPS = ("accept", "register", "dispatch", "receive", "feedback", "close", "evaluate")


class EventDemo:
    def __init__(self, svc: EventService, reports_per_minute: float | None = None,
                 step_seconds: tuple[float, float] | None = None, seed: int | None = None) -> None:
        self.svc = svc
        self.cfg = svc.ecfg.demo
        self.rate = reports_per_minute or self.cfg.reports_per_minute
        self.step = tuple(step_seconds or self.cfg.step_seconds)
        self.rng = random.Random(seed)
        self.tasks: set[asyncio.Task] = set()
        accounts = self.cfg.accounts
        self.operator = Identity(accounts.operator, "operator")
        self.worker = Identity(accounts.worker, "worker")
        self.department = Identity(accounts.department, "department")
        self.reporter = Identity(accounts.reporter, "integration")
        self.accounts = {i.name for i in (self.operator, self.worker, self.department, self.reporter)}
        users = {u.name: u.role for u in svc.cfg.users}
        for ident in (self.operator, self.worker, self.department, self.reporter):
            if users.get(ident.name) != ident.role:
                log.warning("event demo: %s is not a %s user of the configuration", ident.name, ident.role)
        without = [d.id for d in svc.ecfg.departments if self.department.name not in d.users]
        if without:
            log.warning("event demo: %s cannot handle for %s", self.department.name, ", ".join(without))
        from ..workers.demo import simulated_workers

        # the workers `hall demo` walks on patrol are no people at a phone: the flow stands in for them too
        people = set(users) - self.accounts - set(simulated_workers(svc.cfg))
        # A grid looked after by a person (worker1) keeps its field steps for them; the flow's grid worker
        # stands in for the workers the grid data names but who have no account, so it may see their grids.
        self.people_grids = frozenset(g.id for g in svc.grids.grids if people & set(g.workers))
        stand_in = frozenset(g.id for g in svc.grids.grids) - self.people_grids
        svc.grids_of_worker[self.worker.name] = svc.grids_of_worker.get(self.worker.name, frozenset()) | stand_in

    async def run(self) -> None:
        if not self.svc.taxonomy.categories or not self.svc.grids.grids:
            log.warning("event demo: no taxonomy or grids configured; nothing to do")
            return
        log.info("event demo started", extra={"reports_per_minute": self.rate, "step_seconds": self.step})
        try:
            # A hall with no events yet gets a few reports at once, so the lists and panels are alive at first sight.
            first = self.cfg.first_reports if not sum((await self.svc.store.states_now()).values()) else 1
            for _ in range(first):
                self._start()
            while True:
                await asyncio.sleep(self.rng.expovariate(self.rate / 60.0))
                self._start()
        finally:
            for t in list(self.tasks):
                t.cancel()

    def _start(self) -> None:
        task = asyncio.create_task(self._one())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _pause(self, factor: float = 1.0) -> None:
        await asyncio.sleep(self.rng.uniform(*self.step) * factor)

    async def _ours(self, eid: str) -> Event | None:
        """The event, if nobody but the flow and the hall itself (timers, routing) has acted on it."""
        ev = await self.svc.get(eid)
        for entry in await self.svc.store.audit(eid):
            if entry.get("role") != wf.SYSTEM and entry.get("by") not in self.accounts:
                return None
        return ev

    async def _step(self, eid: str, action: str, who: Identity, handover: str | None, factor: float = 1.0,
                    **params) -> Event | None:
        """Take one step after a person's pause, unless it is the people's; the event after it, or None
        when the flow leaves the event from here on."""
        if action == handover:
            return None
        await self._pause(factor)
        ev = await self._ours(eid)
        if ev is None:  # a person has acted on it: it is theirs now
            return None
        if who is self.worker and ev.grid in self.people_grids:
            return None  # that grid's worker is a person: verifying and checking there is their work
        try:
            # decided on this version: a person acting in between makes it a conflict, not a second step
            return await self.svc.act(eid, action, ActionIn(version=ev.version, **params), who)
        except HallError as exc:
            log.debug("demo step skipped", extra={"event": eid, "action": action, "error": exc.message})
            return None

    async def _one(self) -> None:
        rng = self.rng
        channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        code = rng.choice(sorted(self.svc.taxonomy.categories))
        grid = rng.choice(self.svc.grids.grids)
        x0, y0, x1, y1 = grid.bbox
        lat, lon = rng.uniform(y0, y1), rng.uniform(x0, x1)
        if rng.random() < 0.03:
            lat += 0.05  # now and then a report from outside every grid
        small = code in ("0101", "0102", "0103", "0203") and channel == "worker" and rng.random() < 0.3
        reporter = {"worker": self.worker, "department": self.department}.get(channel, self.reporter)
        body = ReportIn(channel=channel, description=TEXTS.get(code, "Matter found on patrol"),
                        category=code if channel in ("worker", "department", "camera") or rng.random() < 0.5 else None,
                        lat=round(lat, 6), lon=round(lon, 6), self_handled=small,
                        result="Handled on the spot" if small else None,
                        reporter_name=f"resident-{rng.randint(1, 40)}" if channel in ("resident", "open311") else None,
                        urgency=rng.choices(["normal", "urgent", "critical"], [0.85, 0.12, 0.03])[0])
        try:
            ev, _ = await self.svc.report(body, reporter)
        except HallError as exc:
            log.warning("demo report refused", extra={"error": exc.message})
            return
        eid = ev.id
        handover = rng.choice(HANDOVER_STEPS) if rng.random() < self.cfg.handover_share else None

        async def step(action: str, who: Identity, factor: float = 1.0, **params) -> Event | None:
            return await self._step(eid, action, who, handover, factor, **params)

        if small:
            await step("confirm", self.operator)
            return
        if rng.random() < 0.04:
            await step("refuse", self.operator, note="Not a governance matter (advice given)")
            return
        after = await step("accept", self.operator)
        if after is None:
            return
        if after.state == EventState.VERIFYING:
            if rng.random() < 0.05:
                await step("dismiss", self.worker, note="Nothing found on site")
                return
            if await step("verify", self.worker, note="Confirmed on site") is None:
                return
        after = await step("register", self.operator, category=ev.category or code)
        if after is None:
            return
        cands = [c["department"] for c in (after.routing or {}).get("candidates", [])] or ["sanitation"]
        if after.state == EventState.TO_DISPATCH:  # else the routing rule has dispatched it already
            wrong = len(cands) > 1 and rng.random() < 0.08
            after = await step("dispatch", self.operator, department=cands[1] if wrong else cands[0])
            if after is None:
                return
            if wrong:
                if await step("return", self.department, note="Not ours: wrong attribution") is None:
                    return
                after = await step("dispatch", self.operator, 0.5, department=cands[0])
                if after is None:
                    return
        if await step("receive", self.department) is None:
            return
        if rng.random() < self.cfg.overdue_share:
            if rng.random() < 0.5:
                await step("escalate", self.worker, note="Beyond the grid: community help")
            return  # left in progress: it runs overdue and the rules escalate it
        if rng.random() < self.cfg.request_share:  # a leader decides: the flow has no leader's account
            if rng.random() < 0.5:
                await step("request_postpone", self.department, 0.5, note="Waiting for spare parts",
                           extra=_extra(after.case_clock))
            else:
                await step("request_suspend", self.department, 0.5, note="Site closed for flood control")
            return
        for attempt in range(3):
            if await step("feedback", self.department, 2, result="Done; photos attached") is None:
                return
            if attempt < 2 and rng.random() < 0.08:
                if await step("check_fail", self.worker, note="Still not right") is None:
                    return
                continue
            if await step("check_pass", self.worker) is None:
                return
            break
        if await step("close", self.operator, 0.5) is not None and rng.random() < 0.6:
            await step("evaluate", self.operator, rating=rng.choices([5, 4, 3, 2], [0.6, 0.25, 0.1, 0.05])[0],
                       note="Return visit by phone")


def _extra(case_clock: dict | None) -> dict:
    unit = (case_clock or {}).get("unit", "work_hours")
    return {"value": 1, "unit": {"minutes": "hours", "hours": "hours"}.get(unit, unit)}
