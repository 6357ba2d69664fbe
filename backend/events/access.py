"""Who sees what of the events: each reader's scope, one event or photo checked against it, the indexed lists
within it, and every event as its reader may read it (countdown, open actions, personal data redacted)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from .. import keys, privacy, roles
from ..auth import Identity
from ..errors import Invalid, NotFound
from . import workflow as wf
from .calendar import WorkingCalendar
from .config import EventsConfig
from .geo import GridIndex
from .model import Event
from .photos import PhotoStore
from .store import EventStore

Role = roles.Role


class Access:
    def __init__(self, ecfg: EventsConfig, store: EventStore, rules: wf.Rules, grids: GridIndex,
                 calendar: WorkingCalendar) -> None:
        self.store = store
        self.rules = rules
        self.calendar = calendar
        # an address for a point (the map's nearest building, else the grid's name), set by the app
        self.place_of: Callable[[float | None, float | None], str | None] | None = None
        self.dept_of_user: dict[str, frozenset[str]] = {}
        self.grids_of_worker: dict[str, frozenset[str]] = {}
        for name, grid_ids in grids.workers.items():  # every grid a worker looks after, not only as its main one
            self.grids_of_worker[name] = frozenset(grid_ids)
        for d in ecfg.departments:
            for u in d.users:
                self.dept_of_user[u] = self.dept_of_user.get(u, frozenset()) | {d.id}

    def actor(self, ident: Identity) -> wf.Actor:
        return wf.Actor(ident.name, ident.role, self.dept_of_user.get(ident.name, frozenset()))

    # -- scope ----------------------------------------------------------------------------------
    def scope(self, ident: Identity) -> list[str] | None:
        """The indexes whose events `ident` may see (any of them), or None for all events.

        A grid worker sees the events of the grids they look after and their own reports; a department
        user sees what is or was with their departments (main or co-handler) and their own reports. The
        centre, experts, screens and other systems see everything (personal data redacted, see `view`)."""
        by = keys.events_by
        if ident.role == Role.WORKER:
            return [*(by("area", g) for g in sorted(self.grids_of_worker.get(ident.name, ()))),
                    by("reporter", ident.name)]
        if ident.role == Role.DEPARTMENT:
            return [*(by("seen", d) for d in sorted(self.dept_of_user.get(ident.name, ()))),
                    by("reporter", ident.name)]
        return None

    def visible(self, ev: Event, ident: Identity) -> bool:
        if ident.role == Role.WORKER:
            return ev.reporter == ident.name or ev.grid in self.grids_of_worker.get(ident.name, ())
        if ident.role == Role.DEPARTMENT:
            mine = self.dept_of_user.get(ident.name, frozenset())
            return ev.reporter == ident.name or bool(mine & {ev.department, *ev.co_handlers, *ev.departments_tried})
        return True

    async def get(self, event_id: str) -> Event:
        ev = await self.store.get(event_id)
        if ev is None:
            raise NotFound(f"no event {event_id!r}")
        return ev

    async def get_for(self, event_id: str, ident: Identity) -> Event:
        """The event if `ident` may see it; 404 otherwise (as if absent: its existence is not told)."""
        ev = await self.get(event_id)
        if not self.visible(ev, ident):
            raise NotFound(f"no event {event_id!r}")
        return ev

    # -- photos -----------------------------------------------------------------------------------
    async def photo_visible(self, sha: str, ident: Identity) -> bool:
        """A photo is seen by whoever uploaded it and by whoever may see an event showing it."""
        if self.scope(ident) is None:
            return True
        refs = await self.store.photo_refs(sha)
        if f"user:{ident.name}" in refs:
            return True
        events = await self.store.get_many(sorted(r[6:] for r in refs if r.startswith("event:")))
        return any(self.visible(ev, ident) for ev in events)

    async def check_photos(self, shas: list[str], ident: Identity, photos: PhotoStore) -> None:
        """Only photos one uploaded or may already see can be attached (naming a hash reveals nothing):
        422 naming photos[i] otherwise, the same for a photo that is not stored at all."""
        missing = set(await photos.missing(shas))
        for i, sha in enumerate(shas):
            if i not in missing and not await self.photo_visible(sha, ident):
                missing.add(i)
        if missing:
            raise Invalid("unknown photo", errors=[{"path": f"photos[{i}]", "message": "no such photo: upload it "
                                                    "first (POST /api/events/photos)"} for i in sorted(missing)])

    # -- lists ---------------------------------------------------------------------------------------
    async def list(self, q: Any, ident: Identity | None = None) -> tuple[list[Event], int]:
        """Events newest first, filtered through their indexes (one Redis round trip for the ids and the
        exact total), within what `ident` may see."""
        since = self.parse_time(q.since, "since") if q.since else None
        until = self.parse_time(q.until, "until", end=True) if q.until else None
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
            if ident.role == Role.DEPARTMENT:  # what their departments handle now (not co-handle, not once had)
                scope = [by("handler", d) for d in sorted(self.dept_of_user.get(ident.name, ()))]
        ids, total = await self.store.query(all_of, scope, since, until, q.offset, q.limit)
        return await self.store.get_many(ids), total

    def parse_time(self, s: str, path: str, end: bool = False) -> float:
        """An ISO date (the whole local day; its end with `end`) or date-time (local time if no offset)."""
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

    # -- what goes out ---------------------------------------------------------------------------------
    def view(self, ev: Event, who: Identity | str | None = None, now: float | None = None) -> dict:
        """The event as the API returns it to `who` (an identity, or just a role): countdown light, the
        actions open to them (a department user's handling steps only on their departments' events), and
        personal data only for those who call back (privacy.py)."""
        now = time.time() if now is None else now
        role = who.role if isinstance(who, Identity) else who
        d = ev.model_dump(mode="json", exclude={"marks", "node_clock", "case_clock"})
        d["countdown"] = wf.countdown(ev, self.rules, now)
        actions = wf.allowed_actions(ev.state, role)
        if isinstance(who, Identity) and role == Role.DEPARTMENT and ev.department not in self.dept_of_user.get(
                who.name, frozenset()):
            actions = [a for a in actions if a not in wf.DEPARTMENT_ACTIONS]
        d["actions"] = actions
        d["reported_at_local"] = datetime.fromtimestamp(ev.reported_at, self.calendar.tz).isoformat(
            timespec="seconds")
        d["place"] = self.place_of(ev.lat, ev.lon) if self.place_of is not None else None
        return privacy.event(d, role)

    def summary(self, ev: Event, action: str, by: str) -> dict:
        """The short notice of a change (Socket.IO `event`, `event:warning`): enough to decide whether to
        fetch the event, which the reader then gets through `view`."""
        cd = wf.countdown(ev, self.rules, time.time())
        return {"id": ev.id, "version": ev.version, "state": ev.state, "action": action, "by": by,
                "channel": ev.channel, "category": ev.category, "grid": ev.grid, "department": ev.department,
                "level": ev.level, "urgency": ev.urgency, "supervised": ev.supervised, "overdue": ev.overdue,
                "light": cd["light"] if cd else None, "lat": ev.lat, "lon": ev.lon, "open": ev.state in wf.OPEN}
