"""`hall demo`'s event flow: reports from every channel at a configurable rate, and the centre,
grid workers and departments moving them round the loop (some returned, reworked, postponed,
supervised, escalated by hand, and some left to run overdue so the rules escalate them)."""

from __future__ import annotations

import asyncio
import logging
import random

from ..auth import Identity
from ..errors import HallError
from .schemas import ActionIn, ReportIn
from .service import EventService

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


class EventDemo:
    def __init__(self, svc: EventService, reports_per_minute: float, step_seconds: tuple[float, float] = (3, 15),
                 seed: int | None = None) -> None:
        self.svc = svc
        self.rate = reports_per_minute
        self.step = step_seconds
        self.rng = random.Random(seed)
        self.tasks: set[asyncio.Task] = set()
        self.operator = Identity("operator1", "operator")
        self.commander = Identity("commander1", "commander")
        self.integration = Identity("integration", "integration")
        self.admin = Identity("admin", "admin")
        self.dept_users = {d.id: d.users[0] for d in svc.ecfg.departments if d.users}

    def _worker(self, grid: str | None) -> Identity:
        g = self.svc.grids.by_id.get(grid or "")
        return Identity((g.worker if g and g.worker else "worker1"), "worker")

    def _dept(self, dept: str | None) -> Identity:
        user = self.dept_users.get(dept or "")
        return Identity(user, "department") if user else self.admin

    async def run(self) -> None:
        if not self.svc.taxonomy.categories or not self.svc.grids.grids:
            log.warning("event demo: no taxonomy or grids configured; nothing to do")
            return
        log.info("event demo started", extra={"reports_per_minute": self.rate})
        try:
            while True:
                await asyncio.sleep(self.rng.expovariate(self.rate / 60.0))
                task = asyncio.create_task(self._one())
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        finally:
            for t in list(self.tasks):
                t.cancel()

    async def _pause(self, factor: float = 1.0) -> None:
        await asyncio.sleep(self.rng.uniform(*self.step) * factor)

    async def _do(self, eid: str, action: str, who: Identity, **params) -> bool:
        try:
            await self.svc.act(eid, action, ActionIn(**params), who)
            return True
        except HallError as exc:  # someone (a person at the console) got there first: leave it
            log.debug("demo step skipped", extra={"event": eid, "action": action, "error": exc.message})
            return False

    async def _one(self) -> None:
        rng = self.rng
        channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        code = rng.choice(sorted(self.svc.taxonomy.categories))
        grid = rng.choice(self.svc.grids.grids)
        x0, y0, x1, y1 = grid.bbox
        lat, lon = rng.uniform(y0, y1), rng.uniform(x0, x1)
        if rng.random() < 0.03:
            lat += 0.05  # now and then a report from outside every grid
        worker = Identity(grid.worker or "worker1", "worker")
        small = code in ("0101", "0102", "0103", "0203") and channel == "worker" and rng.random() < 0.3
        reporter = {"worker": worker, "department": self._dept(self.svc.taxonomy.get(code).department)}.get(
            channel, self.integration)
        if reporter.role == "admin":
            reporter = self.operator
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
        await self._pause()
        if small:
            await self._do(eid, "confirm", self.operator)
            return
        if rng.random() < 0.04:
            await self._do(eid, "refuse", self.operator, note="Not a governance matter (advice given)")
            return
        if not await self._do(eid, "accept", self.operator):
            return
        if ev.channel in self.svc.ecfg.verify_channels:
            await self._pause()
            if rng.random() < 0.05:
                await self._do(eid, "dismiss", self._worker(ev.grid), note="Nothing found on site")
                return
            await self._do(eid, "verify", self._worker(ev.grid), note="Confirmed on site")
        await self._pause()
        if not await self._do(eid, "register", self.operator, category=ev.category or code):
            return
        ev = await self.svc.get(eid)
        if rng.random() < 0.05:
            await self._do(eid, "supervise", self.commander, note="Leader's attention: report back today")
        cands = [c["department"] for c in (ev.routing or {}).get("candidates", [])] or ["sanitation"]
        dept = cands[0]
        if ev.state == "to_dispatch":
            wrong = len(cands) > 1 and rng.random() < 0.08
            await self._pause()
            if not await self._do(eid, "dispatch", self.commander, department=cands[1] if wrong else dept):
                return
            if wrong:
                await self._pause()
                await self._do(eid, "return", self._dept(cands[1]), note="Not ours: wrong attribution")
                await self._pause(0.5)
                await self._do(eid, "dispatch", self.commander, department=dept)
        ev = await self.svc.get(eid)
        dept = ev.department or dept
        await self._pause()
        await self._do(eid, "receive", self._dept(dept))
        if rng.random() < self.svc.ecfg.demo.overdue_share:
            if rng.random() < 0.5:
                await self._do(eid, "escalate", self._worker(ev.grid), note="Beyond the grid: community help")
            return  # left in progress: it runs overdue and the rules escalate it
        if rng.random() < 0.05:
            await self._do(eid, "request_postpone", self._dept(dept), note="Waiting for spare parts",
                           extra=_extra(ev.case_clock))
            await self._pause(0.5)
            await self._do(eid, "approve_postpone", self.commander)
        await self._pause(2)
        for attempt in range(3):
            if not await self._do(eid, "feedback", self._dept(dept), result="Done; photos attached"):
                return
            await self._pause()
            if attempt < 2 and rng.random() < 0.08:
                await self._do(eid, "check_fail", self._worker(ev.grid), note="Still not right")
                await self._pause()
                continue
            await self._do(eid, "check_pass", self._worker(ev.grid))
            break
        await self._pause(0.5)
        if await self._do(eid, "close", self.operator) and rng.random() < 0.6:
            await self._pause()
            await self._do(eid, "evaluate", self.operator, rating=rng.choices([5, 4, 3, 2], [0.6, 0.25, 0.1, 0.05])[0],
                           note="Return visit by phone")


def _extra(case_clock: dict | None) -> dict:
    unit = (case_clock or {}).get("unit", "work_hours")
    return {"value": 1, "unit": {"minutes": "hours", "hours": "hours"}.get(unit, unit)}
