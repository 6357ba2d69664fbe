"""What every namespace does on connect and per event: check who is asking."""

from __future__ import annotations

from typing import Any

import socketio
from socketio.exceptions import ConnectionRefusedError

from ..auth import Identity, Users


async def authenticate(users: Users, auth: Any, roles: frozenset[str]) -> Identity:
    """The identity behind the connect's `auth.token`; refuse the connection otherwise."""
    token = auth.get("token") if isinstance(auth, dict) else None
    ident = await users.resolve(token) if isinstance(token, str) else None
    if ident is None:
        raise ConnectionRefusedError({"error": "unauthorized", "message": "log in first: connect with auth {token}"})
    if ident.role not in roles:
        raise ConnectionRefusedError({"error": "forbidden",
                                      "message": f"role {ident.role!r} may not use this namespace"})
    return ident


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
