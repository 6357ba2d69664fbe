"""Moving events round the loop: an action checked against what its actor may see and attach, decided by the
pure workflow on the event as read, and written only if nobody wrote first (else decided again)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from .. import keys
from ..auth import Identity
from ..errors import Conflict, Forbidden, Invalid
from . import workflow as wf
from .access import Access
from .model import Event
from .photos import PhotoStore
from .schemas import ActionIn
from .store import EventStore, Stale
from .vocab import Action

log = logging.getLogger("hall.events")

RETRIES = 20


class Transitions:
    def __init__(self, store: EventStore, rules: wf.Rules, access: Access, photos: Callable[[], PhotoStore],
                 announce: Callable[[Event, str, str], Awaitable[None]]) -> None:
        self.store = store
        self.rules = rules
        self.access = access
        self.photos = photos
        self.announce = announce

    async def act(self, event_id: str, action: str, body: ActionIn, ident: Identity) -> Event:
        actor = self.access.actor(ident)
        await self.access.get_for(event_id, ident)
        params = wf.Params(note=body.note, department=body.department, co_handlers=body.co_handlers,
                           category=body.category, conditions=body.conditions, urgency=body.urgency,
                           close_type=body.close_type, rating=body.rating, result=body.result, photos=body.photos,
                           extra=body.extra, original=body.original, level=body.level)
        if body.photos:
            await self.access.check_photos(body.photos, ident, self.photos())
        if action == Action.MARK_DUPLICATE and body.original:
            if await self.store.get(body.original) is None:
                raise Invalid("unknown original", errors=[{"path": "original",
                                                           "message": f"no event {body.original!r}"}])
        ev = await self.apply(event_id, action, actor, params, expected=body.version)
        if action == Action.REGISTER and (ev.routing or {}).get("department"):
            # automatic transfer: the rule applies, the hall dispatches at once
            system = wf.Actor("routing", wf.SYSTEM)
            try:
                ev = await self.apply(ev.id, Action.DISPATCH, system,
                                      wf.Params(department=ev.routing["department"], note="automatic transfer"))
            except Conflict:
                pass
        return ev

    async def apply(self, event_id: str, action: str, actor: wf.Actor, params: wf.Params,
                    expected: int | None = None) -> Event:
        """One transition, retried on a stale read so concurrent writers serialise."""
        for _ in range(RETRIES):
            ev = await self.access.get(event_id)
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
            if action == Action.MARK_DUPLICATE and params.original:
                extra.append(["SADD", keys.event_duplicates(params.original), ev.id])
            try:
                await self.store.apply(out, ev, wf.timers(out.event, self.rules), now, extra)
            except Stale:
                continue  # someone else wrote first: decide again on what they wrote
            log.info("event transition", extra={"event": ev.id, "action": action, "by": actor.name,
                                                "from": out.before, "to": out.event.state})
            await self.announce(out.event, action, actor.name)
            return out.event
        raise Conflict(f"event {event_id} is changing too fast; retry")
