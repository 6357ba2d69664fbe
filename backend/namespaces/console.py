"""The `/console` namespace: operators' consoles get every wall change live and can apply layouts."""

from __future__ import annotations

from typing import Any

import socketio

from .. import appkeys
from ..auth import Identity
from ..roles import CONSOLE, INTERCOM_COMMAND, WALL_READ, WALL_WRITE, WORKERS_SEE
from ..schemas import LayoutIn
from .common import admit, authenticate, on_event, parse

NAMESPACE = "/console"
ROOM = "consoles"
WORKERS_ROOM = "consoles:workers"  # consoles of roles.WORKERS_SEE: the workers' live positions (personal data)
INTERCOM_ROOM = "consoles:intercom"  # consoles of roles.INTERCOM_COMMAND: every talkgroup's floor and clips


def user_room(name: str) -> str:
    """Every console of one user: what is theirs alone (their calls)."""
    return f"user:{name}"


def register(sio: socketio.AsyncServer, app: Any) -> None:
    users = app[appkeys.USERS]
    wc = app[appkeys.WALL_CONTROL]
    metrics = app[appkeys.METRICS]

    @sio.on("connect", namespace=NAMESPACE)
    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        ident = await authenticate(users, auth, CONSOLE)
        await admit(sio, sid, NAMESPACE, ident, auth["token"])
        metrics.sockets.labels(NAMESPACE).inc()
        await sio.enter_room(sid, user_room(ident.name), namespace=NAMESPACE)
        await sio.enter_room(sid, ROOM, namespace=NAMESPACE)
        if ident.role in WORKERS_SEE:
            await sio.enter_room(sid, WORKERS_ROOM, namespace=NAMESPACE)
        if ident.role in INTERCOM_COMMAND:
            await sio.enter_room(sid, INTERCOM_ROOM, namespace=NAMESPACE)
        await sio.emit("layout", (await wc.layout()).model_dump(mode="json"), to=sid, namespace=NAMESPACE)
        await sio.emit("presets", {"presets": [p.model_dump(mode="json") for p in await wc.presets()]},
                       to=sid, namespace=NAMESPACE)
        await sio.emit("scenes", {"scenes": [s.model_dump(mode="json") for s in await wc.scenes()]},
                       to=sid, namespace=NAMESPACE)
        if wc.problems:  # stored state the hall could not read: the operators should know at once
            await sio.emit("hall:problems", {"problems": [p.to_dict() for p in wc.problems.values()]},
                           to=sid, namespace=NAMESPACE)

    @sio.on("disconnect", namespace=NAMESPACE)
    async def disconnect(sid: str, *args: Any) -> None:
        metrics.sockets.labels(NAMESPACE).dec()

    @on_event(sio, users, NAMESPACE, "wall:get", WALL_READ)
    async def wall_get(sid: str, who: Identity, data: Any) -> dict:
        return {"ok": True, **await wc.snapshot()}

    @on_event(sio, users, NAMESPACE, "layout:apply", WALL_WRITE)
    async def layout_apply(sid: str, who: Identity, data: Any) -> dict:
        body = parse(LayoutIn, data)
        layout = await wc.replace(body.version, body.windows, body.scene, who.name)
        return {"ok": True, "layout": layout.model_dump(mode="json")}
