"""The `/room` namespace: everyone in a consultation room hears of its changes (joins, leaves, reconnects, the
speaker, the host's actions). A guest's link opens its own room only."""

from __future__ import annotations

from typing import Any

import socketio
from socketio.exceptions import ConnectionRefusedError

from .. import appkeys
from ..roles import ROOM_PEOPLE
from ..rooms.service import Rooms
from .common import admit, authenticate

NAMESPACE = "/room"


def room(room_id: str) -> str:
    return f"room:{room_id}"


def register(sio: socketio.AsyncServer, app: Any) -> None:
    users = app[appkeys.USERS]
    metrics = app[appkeys.METRICS]

    @sio.on("connect", namespace=NAMESPACE)
    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        ident = await authenticate(users, auth, ROOM_PEOPLE, scoped=True)
        room_id = auth.get("room") if isinstance(auth, dict) else None
        if not isinstance(room_id, str) or not Rooms.in_scope(ident, room_id):
            raise ConnectionRefusedError({"error": "not_found", "message": "no such room"})
        rooms: Rooms = app[appkeys.ROOMS]
        try:
            record = await rooms.get_for(room_id, ident)
        except Exception:
            raise ConnectionRefusedError({"error": "not_found", "message": "no such room"}) from None
        await admit(sio, sid, NAMESPACE, ident, auth["token"])
        metrics.sockets.labels(NAMESPACE).inc()
        await sio.enter_room(sid, room(room_id), namespace=NAMESPACE)
        await sio.emit("room:state", rooms.view(record, ident), to=sid, namespace=NAMESPACE)

    @sio.on("disconnect", namespace=NAMESPACE)
    async def disconnect(sid: str, *args: Any) -> None:
        metrics.sockets.labels(NAMESPACE).dec()
