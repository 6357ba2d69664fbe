"""The `/wall` namespace: each screen's kiosk page joins its room and gets its render plan live."""

from __future__ import annotations

from typing import Any

import socketio

from .. import appkeys
from ..roles import SCREEN
from .common import admit, authenticate

NAMESPACE = "/wall"


def room(screen_id: str) -> str:
    return f"screen:{screen_id}"


def register(sio: socketio.AsyncServer, app: Any) -> None:
    users = app[appkeys.USERS]
    wc = app[appkeys.WALL_CONTROL]
    metrics = app[appkeys.METRICS]

    @sio.on("connect", namespace=NAMESPACE)
    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        ident = await authenticate(users, auth, SCREEN)
        if ident.screen is None:
            raise socketio.exceptions.ConnectionRefusedError({"error": "forbidden", "message": "not a screen token"})
        await admit(sio, sid, NAMESPACE, ident, auth["token"])
        metrics.sockets.labels(NAMESPACE).inc()
        await sio.enter_room(sid, room(ident.screen), namespace=NAMESPACE)
        await sio.emit("screen", wc.screen_view(await wc.layout(), ident.screen), to=sid, namespace=NAMESPACE)

    @sio.on("disconnect", namespace=NAMESPACE)
    async def disconnect(sid: str, *args: Any) -> None:
        metrics.sockets.labels(NAMESPACE).dec()
