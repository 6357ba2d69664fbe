"""Intake: a report from any channel checked (who may report through which channel, class, camera, photos),
placed in its grid and written durably; a retried report (same idempotency key) returns the first event."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from .. import privacy, roles
from ..auth import Identity
from ..config import HallConfig
from ..errors import Conflict, Forbidden, Invalid, NotFound
from . import workflow as wf
from .access import Access
from .geo import GridIndex
from .model import Event
from .photos import PhotoStore
from .schemas import ReportIn
from .store import EventStore, Stale, idempotency_digest
from .taxonomy import Taxonomy
from .vocab import Channel, EventState

Role = roles.Role
# The channels each reporting role files through (the centre files through any).
CHANNELS_BY_ROLE: dict[str, frozenset[Channel]] = {
    Role.WORKER: frozenset({Channel.WORKER, Channel.OPEN311}),
    Role.DEPARTMENT: frozenset({Channel.DEPARTMENT, Channel.OPEN311}),
    Role.INTEGRATION: frozenset({Channel.RESIDENT, Channel.CAMERA, Channel.OPEN311, Channel.DEPARTMENT}),
}


class Intake:
    def __init__(self, cfg: HallConfig, store: EventStore, rules: wf.Rules, taxonomy: Taxonomy, grids: GridIndex,
                 access: Access, pseudonyms: privacy.Pseudonyms, photos: Callable[[], PhotoStore],
                 announce: Callable[[Event, str, str], Awaitable[None]]) -> None:
        self.cfg = cfg
        self.ecfg = cfg.events
        self.store = store
        self.rules = rules
        self.taxonomy = taxonomy
        self.grids = grids
        self.access = access
        self.pseudonyms = pseudonyms
        self.photos = photos
        self.announce = announce

    def _check(self, body: ReportIn, ident: Identity) -> None:
        allowed = CHANNELS_BY_ROLE.get(ident.role)
        if ident.role not in wf.REPORTERS:
            raise Forbidden(f"role {ident.role!r} may not report events")
        if allowed is not None and body.channel not in allowed:
            raise Invalid("channel not allowed", errors=[{"path": "channel", "message": f"role {ident.role} reports "
                                                          f"through {', '.join(sorted(allowed))}"}])
        errors: list[dict[str, str]] = []
        if body.category is not None and body.category not in self.taxonomy:
            errors.append({"path": "category", "message": f"unknown class {body.category!r}"})
        if body.self_handled and body.channel != Channel.WORKER:
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

    async def report(self, body: ReportIn, ident: Identity, *, external: dict | None = None) -> tuple[Event, bool]:
        """File a report; durable once this returns. A known idempotency key returns the first event."""
        self._check(body, ident)
        if body.photos:
            await self.access.check_photos(body.photos, ident, self.photos())
        # an integration files for a resident, whom it names; everyone else reports in their own name
        reporter = body.reporter_name if body.reporter_name and ident.role == Role.INTEGRATION else ident.name
        alias = await self.pseudonyms.of(reporter, body.contact) if privacy.is_resident_report(body.channel) else None
        digest = idempotency_digest(ident.name, body.idempotency_key) if body.idempotency_key else None
        # a retried report (same idempotency key) is recognised inside the write script, atomically
        now = time.time()
        grid = self.grids.locate(body.lat, body.lon) if body.lat is not None and body.lon is not None else None
        cat = self.taxonomy.get(body.category) if body.category else None
        ev = Event(id=self._new_id(now), state=EventState.SELF_HANDLED if body.self_handled else EventState.REPORTED,
                   channel=body.channel, category=body.category, category_name=cat.name if cat else None,
                   description=body.description, lat=body.lat, lon=body.lon, address=body.address,
                   grid=grid.id if grid else None, community=grid.community if grid else None,
                   street=grid.street if grid else None, outside_grid=body.lat is not None and grid is None,
                   photos=list(body.photos), reporter=reporter, reporter_role=ident.role, reporter_alias=alias,
                   contact=body.contact, urgency=body.urgency, self_handled=body.self_handled, result=body.result,
                   reported_at=now, updated_at=now, version=1, idempotency_key=body.idempotency_key,
                   external=dict(external or {}, **({"camera": body.camera} if body.camera else {})))
        wf.enter(ev, self.rules, now)
        counts = [("cohort", "reported", 1), ("cohort", f"channel:{ev.channel}", 1),
                  ("cohort", f"grid:{ev.grid or 'outside'}", 1)]
        if ev.category:
            counts.append(("cohort", f"category:{ev.category}", 1))
        if ev.channel == Channel.WORKER:
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
        await self.announce(ev, "report", ident.name)
        return ev, True

    def _new_id(self, now: float) -> str:
        return f"EV{datetime.fromtimestamp(now, self.rules.calendar.tz):%Y%m%d}-{secrets.token_hex(4)}"
