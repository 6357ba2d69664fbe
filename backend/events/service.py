"""The event service: intake, transitions (retried on a stale read, so concurrent writers serialise),
views with the countdown light, statistics, and the deadline timers that survive restarts."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from .. import keys, roles
from ..auth import Identity
from ..config import HallConfig
from ..errors import Conflict, Forbidden, Invalid, NotFound
from . import kpi
from . import workflow as wf
from .calendar import WorkingCalendar
from .geo import GridIndex
from .model import Event
from .photos import PhotoStore
from .routing import due_escalation, next_escalation_after
from .schemas import ActionIn, ReportIn
from .store import EventStore, Stale, days_between, idempotency_digest
from .taxonomy import Taxonomy

log = logging.getLogger("hall.events")

Hook = Callable[[str, dict], Awaitable[None]]
CHANNELS_BY_ROLE: dict[str, frozenset[str]] = {
    "worker": frozenset({"worker", "open311"}),
    "department": frozenset({"department", "open311"}),
    "integration": frozenset({"resident", "camera", "open311", "department"}),
}
RETRIES = 20
# Who sees a reporter's contact (to call back or meet on site); everyone else gets null.
CONTACT_ROLES = roles.PERSONAL_DATA


class EventService:
    def __init__(self, redis: aioredis.Redis, cfg: HallConfig, data_dir: Callable[[], str] | None = None) -> None:
        self.redis = redis
        self.cfg = cfg
        self.ecfg = cfg.events
        self.calendar = WorkingCalendar(self.ecfg.calendar, cfg.display.timezone)
        self.taxonomy = Taxonomy(self.ecfg)
        self.grids = GridIndex.from_geojson(self.ecfg.grids_geojson) if self.ecfg.grids_geojson else GridIndex([])
        self.rules = wf.Rules(self.ecfg, self.calendar, self.taxonomy,
                              {g.id: g.worker for g in self.grids.grids if g.worker})
        self.store = EventStore(redis, self.calendar.tz, self.ecfg.idempotency_days)
        self._data_dir = data_dir or (lambda: cfg.server.data_dir)
        self.hooks: list[Hook] = []
        # an address for a point (the map's nearest building, else the grid's name), set by the app
        self.place_of: Callable[[float | None, float | None], str | None] | None = None
        self.dept_of_user: dict[str, frozenset[str]] = {}
        self.grids_of_worker: dict[str, frozenset[str]] = {}
        for g in self.grids.grids:
            if g.worker:
                self.grids_of_worker[g.worker] = self.grids_of_worker.get(g.worker, frozenset()) | {g.id}
        for d in self.ecfg.departments:
            for u in d.users:
                self.dept_of_user[u] = self.dept_of_user.get(u, frozenset()) | {d.id}

    @property
    def photos(self) -> PhotoStore:
        return PhotoStore(Path(self._data_dir()) / "photos", self.ecfg.photos.max_bytes)

    def actor(self, ident: Identity) -> wf.Actor:
        return wf.Actor(ident.name, ident.role, self.dept_of_user.get(ident.name, frozenset()))

    # -- views -----------------------------------------------------------------------
    def view(self, ev: Event, who: Identity | str | None = None, now: float | None = None) -> dict:
        """The event as the API returns it to `who` (an identity, or just a role): countdown light, the
        actions open to them (a department user's handling steps only on their departments' events)."""
        now = time.time() if now is None else now
        role = who.role if isinstance(who, Identity) else who
        d = ev.model_dump(mode="json", exclude={"marks", "node_clock", "case_clock"})
        if role not in CONTACT_ROLES:  # a resident's phone or e-mail is not for the wall or other systems
            d["contact"] = None
        d["countdown"] = wf.countdown(ev, self.rules, now)
        actions = wf.allowed_actions(ev.state, role)
        if isinstance(who, Identity) and role == "department" and ev.department not in self.dept_of_user.get(
                who.name, frozenset()):
            actions = [a for a in actions if a not in wf.DEPARTMENT_ACTIONS]
        d["actions"] = actions
        d["reported_at_local"] = _iso(ev.reported_at, self.calendar)
        d["place"] = self.place_of(ev.lat, ev.lon) if self.place_of is not None else None
        return d

    def summary(self, ev: Event, action: str, by: str) -> dict:
        cd = wf.countdown(ev, self.rules, time.time())
        return {"id": ev.id, "version": ev.version, "state": ev.state, "action": action, "by": by,
                "channel": ev.channel, "category": ev.category, "grid": ev.grid, "department": ev.department,
                "level": ev.level, "urgency": ev.urgency, "supervised": ev.supervised, "overdue": ev.overdue,
                "light": cd["light"] if cd else None, "lat": ev.lat, "lon": ev.lon}

    async def _emit(self, name: str, data: dict) -> None:
        for hook in self.hooks:
            try:
                await hook(name, data)
            except Exception:  # a broken listener must not undo an accepted write
                log.exception("event hook failed", extra={"event": name})

    # -- intake ------------------------------------------------------------------------
    async def report(self, body: ReportIn, ident: Identity, *, external: dict | None = None) -> tuple[Event, bool]:
        """File a report; durable once this returns. A known idempotency key returns the first event."""
        allowed = CHANNELS_BY_ROLE.get(ident.role)
        if ident.role not in wf.REPORTERS:
            raise Forbidden(f"role {ident.role!r} may not report events")
        if allowed is not None and body.channel not in allowed:
            raise Invalid("channel not allowed", errors=[{"path": "channel", "message": f"role {ident.role} reports "
                                                          f"through {', '.join(sorted(allowed))}"}])
        errors: list[dict[str, str]] = []
        if body.category is not None and body.category not in self.taxonomy:
            errors.append({"path": "category", "message": f"unknown class {body.category!r}"})
        if body.self_handled and body.channel != "worker":
            errors.append({"path": "self_handled", "message": "only grid workers' reports take the short path"})
        if body.self_handled and not body.result:
            errors.append({"path": "result", "message": "say what was done (self-handled)"})
        if body.self_handled and body.category is None:
            errors.append({"path": "category", "message": "a self-handled report needs its class"})
        if len(body.photos) > self.ecfg.photos.max_per_report:
            errors.append({"path": "photos", "message": f"at most {self.ecfg.photos.max_per_report} photos"})
        if body.camera is not None and body.camera not in {s.id for s in self.cfg.sources}:
            errors.append({"path": "camera", "message": f"unknown source {body.camera!r}"})
        if errors:
            raise Invalid("invalid report", errors=errors)
        if body.photos:
            missing = await self.photos.missing(body.photos)
            if missing:
                raise Invalid("unknown photo", errors=[{"path": f"photos[{i}]", "message": "no such photo: upload it "
                                                        "first (POST /api/events/photos)"} for i in missing])
        reporter = ident.name if not body.reporter_name or ident.role != "integration" else body.reporter_name
        digest = idempotency_digest(ident.name, body.idempotency_key) if body.idempotency_key else None
        # a retried report (same idempotency key) is recognised inside the write script, atomically
        now = time.time()
        grid = self.grids.locate(body.lat, body.lon) if body.lat is not None and body.lon is not None else None
        cat = self.taxonomy.get(body.category) if body.category else None
        ev = Event(id=self._new_id(now), state=wf.SELF_HANDLED if body.self_handled else wf.REPORTED,
                   channel=body.channel, category=body.category, category_name=cat.name if cat else None,
                   description=body.description, lat=body.lat, lon=body.lon, address=body.address,
                   grid=grid.id if grid else None, community=grid.community if grid else None,
                   street=grid.street if grid else None, outside_grid=body.lat is not None and grid is None,
                   photos=list(body.photos), reporter=reporter, reporter_role=ident.role, contact=body.contact,
                   urgency=body.urgency, self_handled=body.self_handled, result=body.result,
                   reported_at=now, updated_at=now, version=1, idempotency_key=body.idempotency_key,
                   external=dict(external or {}, **({"camera": body.camera} if body.camera else {})))
        wf.enter(ev, self.rules, now)
        counts = [("cohort", "reported", 1), ("cohort", f"channel:{ev.channel}", 1),
                  ("cohort", f"grid:{ev.grid or 'outside'}", 1)]
        if ev.category:
            counts.append(("cohort", f"category:{ev.category}", 1))
        if ev.channel == "worker":
            counts.append(("post", f"worker:{ev.reporter}:reports", 1))
        audit = {"action": "report", "by": ident.name, "role": ident.role, "from": "", "to": ev.state, "at": now}
        if body.description:
            audit["note"] = body.description[:200]
        for _ in range(3):
            try:
                eid, created = await self.store.create(ev, digest, audit, counts, wf.timers(ev, self.rules), now)
                break
            except Stale:  # id collision: draw another
                ev.id = self._new_id(now)
        else:
            raise Conflict("could not allocate an event id; retry")
        if not created:
            first = await self.store.get(eid)
            if first is None:
                raise NotFound(f"event {eid} of this idempotency key is gone")
            return first, False
        await self._emit("event", self.summary(ev, "report", ident.name))
        return ev, True

    def _new_id(self, now: float) -> str:
        return f"EV{datetime.fromtimestamp(now, self.calendar.tz):%Y%m%d}-{secrets.token_hex(4)}"

    # -- reads ---------------------------------------------------------------------------
    async def get(self, event_id: str) -> Event:
        ev = await self.store.get(event_id)
        if ev is None:
            raise NotFound(f"no event {event_id!r}")
        return ev

    async def list(self, q: Any, ident: Identity | None = None) -> tuple[list[Event], int]:
        """Events newest first, filtered through their indexes (one Redis round trip for the ids and the
        exact total), within what `ident` may see."""
        since = self._parse_time(q.since, "since") if q.since else None
        until = self._parse_time(q.until, "until", end=True) if q.until else None
        if q.state is not None and q.state not in wf.STATES:
            raise Invalid("unknown state", errors=[{"path": "state", "message": f"one of {', '.join(wf.STATES)}"}])
        by = keys.events_by
        all_of = [keys.events_in_state(q.state)] if q.state else []
        for dim, value in (("channel", q.channel), ("cat", q.category), ("area", q.grid), ("dept", q.department),
                           ("level", q.level)):
            if value is not None:
                all_of.append(by(dim, value))
        for dim, flag in (("overdue", q.overdue), ("supervised", q.supervised)):
            if flag is not None:
                all_of.append(by(dim, str(flag).lower()))
        if getattr(q, "open", None) is not None:
            all_of.append(by("open", str(q.open).lower()))
        scope = self.scope(ident) if ident else None
        if getattr(q, "needs_me", None) and ident is not None:
            all_of.append(by("awaits", ident.role))
            if ident.role == "department":  # what their departments handle now (not co-handle, not once had)
                scope = [by("handler", d) for d in sorted(self.dept_of_user.get(ident.name, ()))]
        ids, total = await self.store.query(all_of, scope, since, until, q.offset, q.limit)
        return await self.store.get_many(ids), total

    # -- who sees what --------------------------------------------------------------------------
    def scope(self, ident: Identity) -> list[str] | None:
        """The indexes whose events `ident` may see (any of them), or None for all events.

        A grid worker sees the events of the grids they look after and their own reports; a department
        user sees what is or was with their departments (main or co-handler) and their own reports. The
        centre, experts, screens and other systems see everything (contacts redacted, see `view`)."""
        by = keys.events_by
        if ident.role == "worker":
            return [*(by("area", g) for g in sorted(self.grids_of_worker.get(ident.name, ()))),
                    by("reporter", ident.name)]
        if ident.role == "department":
            return [*(by("seen", d) for d in sorted(self.dept_of_user.get(ident.name, ()))),
                    by("reporter", ident.name)]
        return None

    def visible(self, ev: Event, ident: Identity) -> bool:
        if ident.role == "worker":
            return ev.reporter == ident.name or ev.grid in self.grids_of_worker.get(ident.name, ())
        if ident.role == "department":
            mine = self.dept_of_user.get(ident.name, frozenset())
            return ev.reporter == ident.name or bool(mine & {ev.department, *ev.co_handlers, *ev.departments_tried})
        return True

    async def photo_visible(self, sha: str, ident: Identity) -> bool:
        """A photo is seen by whoever uploaded it and by whoever may see an event showing it."""
        if self.scope(ident) is None:
            return True
        refs = await self.store.photo_refs(sha)
        if f"user:{ident.name}" in refs:
            return True
        events = await self.store.get_many(sorted(r[6:] for r in refs if r.startswith("event:")))
        return any(self.visible(ev, ident) for ev in events)

    async def get_for(self, event_id: str, ident: Identity) -> Event:
        """The event if `ident` may see it; 404 otherwise (as if absent: its existence is not told)."""
        ev = await self.get(event_id)
        if not self.visible(ev, ident):
            raise NotFound(f"no event {event_id!r}")
        return ev

    def _parse_time(self, s: str, path: str, end: bool = False) -> float:
        try:
            if len(s) == 10:
                d = date.fromisoformat(s) + (timedelta(days=1) if end else timedelta(0))
                return datetime.combine(d, datetime.min.time(), self.calendar.tz).timestamp()
            dt = datetime.fromisoformat(s)
        except ValueError:
            raise Invalid("bad time", errors=[{"path": path, "message": "an ISO date or date-time"}]) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.calendar.tz)
        return dt.timestamp()

    # -- transitions ------------------------------------------------------------------------
    async def act(self, event_id: str, action: str, body: ActionIn, ident: Identity) -> Event:
        actor = self.actor(ident)
        await self.get_for(event_id, ident)
        params = wf.Params(note=body.note, department=body.department, co_handlers=body.co_handlers,
                           category=body.category, conditions=body.conditions, urgency=body.urgency,
                           close_type=body.close_type, rating=body.rating, result=body.result, photos=body.photos,
                           extra=body.extra, original=body.original, level=body.level)
        if body.photos:
            missing = await self.photos.missing(body.photos)
            if missing:
                raise Invalid("unknown photo", errors=[{"path": f"photos[{i}]", "message": "no such photo"}
                                                       for i in missing])
        if action == "mark_duplicate" and body.original:
            if await self.store.get(body.original) is None:
                raise Invalid("unknown original", errors=[{"path": "original",
                                                           "message": f"no event {body.original!r}"}])
        ev = await self._transition(event_id, action, actor, params, expected=body.version)
        if action == "register" and (ev.routing or {}).get("department"):
            # automatic transfer: the rule applies, the hall dispatches at once
            system = wf.Actor("routing", wf.SYSTEM)
            try:
                ev = await self._transition(ev.id, "dispatch", system,
                                            wf.Params(department=ev.routing["department"], note="automatic transfer"))
            except Conflict:
                pass
        return ev

    async def _transition(self, event_id: str, action: str, actor: wf.Actor, params: wf.Params,
                          expected: int | None = None) -> Event:
        for _ in range(RETRIES):
            ev = await self.get(event_id)
            if expected is not None and ev.version != expected:
                raise Conflict(f"event {event_id} is at version {ev.version}, not {expected}; reload it",
                               state=ev.state, version=ev.version, allowed=wf.allowed_actions(ev.state, actor.role))
            now = time.time()
            try:
                out = wf.transition(ev, action, actor, params, now, self.rules)
            except wf.IllegalAction as exc:
                raise Conflict(str(exc), state=exc.state, version=ev.version, allowed=exc.allowed) from None
            except wf.NotPermitted as exc:
                raise Forbidden(str(exc)) from None
            except wf.BadParams as exc:
                raise Invalid(f"invalid {action}", errors=[{"path": exc.path, "message": exc.message}]) from None
            extra: list[list[str]] = []
            if action == "mark_duplicate" and params.original:
                extra.append(["SADD", keys.event_duplicates(params.original), ev.id])
            try:
                await self.store.apply(out, ev, wf.timers(out.event, self.rules), now, extra)
            except Stale:
                continue  # someone else wrote first: decide again on what they wrote
            log.info("event transition", extra={"event": ev.id, "action": action, "by": actor.name,
                                                "from": out.before, "to": out.event.state})
            await self._emit("event", self.summary(out.event, action, actor.name))
            return out.event
        raise Conflict(f"event {event_id} is changing too fast; retry")

    # -- timers (overdue, soon due, escalation) ----------------------------------------------
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
                    await self._emit("event:warning", {"kind": "soon_due", **self.summary(ev, "warning", "system"),
                                                       "node": cd["node"], "due_at": cd["due_at"]})
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
            await self._emit("event:warning", {"kind": "overdue", **self.summary(out.event, "overdue", "system"),
                                               "node": cd["node"] if cd else None})
            return True
        return False

    async def _escalate_by_rule(self, eid: str, now: float) -> bool:
        ev = await self.store.get(eid)
        if ev is None or not ev.overdue or ev.state in wf.FINAL or ev.state == wf.CLOSED:
            return False
        clock = wf.effective_clock(ev)
        due = clock.due_at(self.calendar) if clock else None
        if due is None:
            return False
        overdue_for = now - due
        target = due_escalation(self.ecfg.escalation, self.taxonomy, ev.category, ev.level, overdue_for)
        escalated = False
        if target is not None:
            try:
                ev = await self._transition(eid, "escalate", wf.Actor("escalation", wf.SYSTEM),
                                            wf.Params(level=target, note=f"overdue {int(overdue_for // 60)} min"))
                escalated = True
            except (Conflict, Invalid, Forbidden):
                return False
        after = next_escalation_after(self.ecfg.escalation, self.taxonomy, ev.category, ev.level, overdue_for)
        if after is not None:
            await self.store.schedule(keys.EVENTS_ESCALATE, eid, due + after)
        return escalated

    async def run_timers(self, interval: float = 1.0) -> None:
        """The background task: poll the timer sets for ever (they live in Redis, so they survive restarts)."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event timers failed; retrying")
            await asyncio.sleep(interval)

    # -- statistics -------------------------------------------------------------------------------
    def period_days(self, period: str, start: str | None = None, end: str | None = None,
                    now: float | None = None) -> list[date]:
        today = self.calendar.local_date(time.time() if now is None else now)
        if period == "today":
            return [today]
        if period == "week":
            return days_between(today - timedelta(days=today.weekday()), today)
        if period == "month":
            return days_between(today.replace(day=1), today)
        if not start or not end:
            raise Invalid("custom period", errors=[{"path": "start" if not start else "end",
                                                    "message": "give start and end (YYYY-MM-DD) for a custom period"}])
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError as exc:
            raise Invalid("bad date", errors=[{"path": "start", "message": str(exc)}]) from None
        if last < first:
            raise Invalid("bad period", errors=[{"path": "end", "message": "must not be before start"}])
        if (last - first).days > 366:
            raise Invalid("period too long", errors=[{"path": "end", "message": "at most 367 days"}])
        return days_between(first, last)

    async def stats(self, days: list[date]) -> dict:
        cohort, _posts, per_day = await self.store.sums(days)

        def prefixed(prefix: str) -> dict[str, int]:
            return {k[len(prefix):]: v for k, v in sorted(cohort.items()) if k.startswith(prefix) and v}

        return {
            "period": {"start": days[0].isoformat(), "end": days[-1].isoformat(), "days": len(days),
                       "timezone": self.cfg.display.timezone},
            "total": cohort.get("reported", 0),
            "states": prefixed("state:"),
            "states_now": await self.store.states_now(),
            "channels": prefixed("channel:"),
            "categories": prefixed("category:"),
            "grids": prefixed("grid:"),
            "trend": {"days": [{"day": d.isoformat(), "reported": r.get("reported", 0), "closed": r.get("closed", 0)}
                               for d, r in zip(days, per_day, strict=False)],
                      "hours": [cohort.get(f"hour:{h:02d}", 0) for h in range(24)]},
            "kpis": kpi.kpis(cohort, rework_denominator=self.ecfg.kpi.rework_denominator),
            "counts": {k: v for k, v in sorted(cohort.items()) if ":" not in k},
            "mean_handling_hours": kpi.mean_handling_hours(cohort),
            "top_reporters": await self.store.top_reporters(days),
        }

    async def posts(self, days: list[date]) -> dict:
        _, posts, _ = await self.store.sums(days)
        names = {d.id: d.name for d in self.ecfg.departments}
        out = kpi.posts(posts, dispatch_target=self.ecfg.kpi.dispatch_target_per_day * len(days))
        for d in out["departments"]:
            d["display_name"] = names.get(d["name"], d["name"])
        return {"period": {"start": days[0].isoformat(), "end": days[-1].isoformat()}, **out}


def _iso(ts: float, cal: WorkingCalendar) -> str:
    return datetime.fromtimestamp(ts, cal.tz).isoformat(timespec="seconds")
