"""What every namespace does on connect and per event: check who is asking, answer errors the one way
(backend/errors.py), and drop a connection the moment its token is revoked (in every hall process)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel, ValidationError
from socketio.exceptions import ConnectionRefusedError

from ..auth import Identity, Users
from ..errors import Invalid, ack_error, field_errors

log = logging.getLogger("hall.sockets")

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[str, Identity, Any], Awaitable[dict[str, Any]]]


def token_room(token_hash: str) -> str:
    """Every connection sits in the room of its token, so a revocation finds it."""
    return f"token:{token_hash}"


async def authenticate(users: Users, auth: Any, roles: frozenset[str], scoped: bool = False) -> Identity:
    """The identity behind the connect's `auth.token`; refuse the connection otherwise (a guest's scoped token
    only where `scoped`)."""
    token = auth.get("token") if isinstance(auth, dict) else None
    ident = await users.resolve(token) if isinstance(token, str) else None
    if ident is None:
        raise ConnectionRefusedError({"error": "unauthorized", "message": "log in first: connect with auth {token}"})
    if ident.scope is not None and not scoped:
        raise ConnectionRefusedError({"error": "forbidden", "message": f"this link opens {ident.scope} only"})
    if ident.role not in roles:
        raise ConnectionRefusedError({"error": "forbidden",
                                      "message": f"role {ident.role!r} may not use this namespace"})
    return ident


async def admit(sio: socketio.AsyncServer, sid: str, namespace: str, ident: Identity, token: str) -> None:
    """Keep the identity with the connection and put it in its token's room (see `disconnect_revoked`)."""
    await sio.save_session(sid, {"identity": ident, "token": token}, namespace=namespace)
    await sio.enter_room(sid, token_room(ident.token_hash), namespace=namespace)


async def current(sio: socketio.AsyncServer, users: Users, sid: str, namespace: str,
                  roles: frozenset[str]) -> Identity | dict:
    """Re-check the token of a connection at each event (it may have been revoked since connect)."""
    session = await sio.get_session(sid, namespace=namespace)
    ident: Identity | None = session.get("identity")
    token = session.get("token")
    fresh = await users.resolve(token) if token else None
    if ident is None or fresh is None:
        # End the connection only after this answer went out: disconnecting first drops the ack.
        async def end() -> None:
            await sio.sleep(0.2)
            await sio.disconnect(sid, namespace=namespace)

        sio.start_background_task(end)
        return {"ok": False, "status": 401, "error": "unauthorized", "message": "your session has ended; log in again"}
    if fresh.role not in roles:
        return {"ok": False, "status": 403, "error": "forbidden",
                "message": f"role {fresh.role!r} may not do this (allowed: {', '.join(sorted(roles))})"}
    return fresh


def parse(model: type[M], data: Any) -> M:
    """A Socket.IO payload read like a JSON request body (strict types, every field error named)."""
    if not isinstance(data, dict):
        raise Invalid("send an object", errors=[{"path": "(body)", "message": "must be an object"}])
    try:
        return model.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        raise Invalid("invalid payload", errors=field_errors(exc)) from None


def on_event(sio: socketio.AsyncServer, users: Users, namespace: str, event: str,
             roles: frozenset[str]) -> Callable[[Handler], Handler]:
    """Register `fn(sid, who, data)` for a client event with an acknowledgement: the caller is checked
    against `roles` first, and an error is answered as the REST API would (status, error, message, errors)."""
    def deco(fn: Handler) -> Handler:
        async def handler(sid: str, data: Any = None) -> dict[str, Any]:
            who = await current(sio, users, sid, namespace, roles)
            if not isinstance(who, Identity):
                return who
            try:
                return await fn(sid, who, data)
            except Exception as exc:
                ack = ack_error(exc)
                if ack is None:
                    log.exception("socket event failed", extra={"namespace": namespace, "event": event})
                    return {"ok": False, "status": 500, "error": "internal", "message": "internal error (logged)"}
                return ack

        sio.on(event, namespace=namespace)(handler)
        return fn
    return deco


async def disconnect_revoked(sio: socketio.AsyncServer, namespaces: list[str], token_hashes: list[str]) -> int:
    """End this process's connections made with any of these tokens; the number ended."""
    ended = 0
    for ns in namespaces:
        for th in token_hashes:
            sids = [sid for sid, _ in sio.manager.get_participants(ns, token_room(th))]
            for sid in sids:
                try:
                    await sio.emit("session:ended", {"message": "your session has ended; log in again"},
                                   to=sid, namespace=ns)
                    await sio.disconnect(sid, namespace=ns)
                    ended += 1
                except Exception:  # already gone
                    log.debug("revoked socket already gone", extra={"sid": sid})
    return ended
