"""The deadline timers: soon-due warnings, overdue flags and escalation by rule, polled from sorted sets in
Redis by every hall process (items are leased, so a crash hands them to the next poll; restarts lose none)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from .. import keys
from ..errors import Conflict, Forbidden, Invalid
from . import workflow as wf
from .config import EventsConfig
from .model import Event
from .routing import due_escalation, next_escalation_after
from .store import EventStore, Stale
from .taxonomy import Taxonomy
from .transitions import RETRIES, Transitions
from .vocab import Action, EventState

log = logging.getLogger("hall.events")


class Timers:
    def __init__(self, ecfg: EventsConfig, store: EventStore, rules: wf.Rules, taxonomy: Taxonomy,
                 transitions: Transitions, warn: Callable[[str, Event, dict], Awaitable[None]]) -> None:
        self.ecfg = ecfg
        self.store = store
        self.rules = rules
        self.taxonomy = taxonomy
        self.transitions = transitions
        self.warn = warn  # (kind, event, what else the warning says)

    async def tick(self, now: float | None = None) -> dict[str, int]:
        """One pass over the due timers; safe to run in several processes at once."""
        now = time.time() if now is None else now
        done = {"overdue": 0, "warned": 0, "escalated": 0}
        leased, ids = await self.store.lease(keys.EVENTS_WARN, now)
        for eid in ids:
            ev = await self.store.get(eid)
            if ev is not None and not ev.overdue and ev.state not in wf.FINAL:
                cd = wf.countdown(ev, self.rules, now)
                if cd and cd["light"] != "green":
                    await self.warn("soon_due", ev, {"node": cd["node"], "due_at": cd["due_at"]})
                    done["warned"] += 1
            await self.store.release(keys.EVENTS_WARN, eid, leased)
        leased, ids = await self.store.lease(keys.EVENTS_DUE, now)
        for eid in ids:
            if await self._overdue(eid, now):
                done["overdue"] += 1
            await self.store.release(keys.EVENTS_DUE, eid, leased)
        leased, ids = await self.store.lease(keys.EVENTS_ESCALATE, now)
        for eid in ids:
            if await self._escalate_by_rule(eid, now):
                done["escalated"] += 1
            await self.store.release(keys.EVENTS_ESCALATE, eid, leased)
        return done

    async def _overdue(self, eid: str, now: float) -> bool:
        for _ in range(RETRIES):
            ev = await self.store.get(eid)
            if ev is None:
                return False
            out = wf.mark_overdue(ev, now, self.rules)
            if out is None:
                return False
            try:
                await self.store.apply(out, ev, wf.timers(out.event, self.rules), now,
                                       [["ZADD", keys.EVENTS_ESCALATE, repr(now), eid]])
            except Stale:
                continue
            cd = wf.countdown(out.event, self.rules, now)
            await self.warn("overdue", out.event, {"node": cd["node"] if cd else None})
            return True
        return False

    async def _escalate_by_rule(self, eid: str, now: float) -> bool:
        ev = await self.store.get(eid)
        if ev is None or not ev.overdue or ev.state in wf.FINAL or ev.state == EventState.CLOSED:
            return False
        clock = wf.effective_clock(ev)
        due = clock.due_at(self.rules.calendar) if clock else None
        if due is None:
            return False
        overdue_for = now - due
        target = due_escalation(self.ecfg.escalation, self.taxonomy, ev.category, ev.level, overdue_for)
        escalated = False
        if target is not None:
            try:
                ev = await self.transitions.apply(eid, Action.ESCALATE, wf.Actor("escalation", wf.SYSTEM),
                                                  wf.Params(level=target, note=f"overdue {int(overdue_for // 60)} min"))
                escalated = True
            except (Conflict, Invalid, Forbidden):
                return False
        after = next_escalation_after(self.ecfg.escalation, self.taxonomy, ev.category, ev.level, overdue_for)
        if after is not None:
            await self.store.schedule(keys.EVENTS_ESCALATE, eid, due + after)
        return escalated

    async def run(self, interval: float = 1.0) -> None:
        """The background task: poll the timer sets for ever (they live in Redis, so they survive restarts)."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event timers failed; retrying")
            await asyncio.sleep(interval)
