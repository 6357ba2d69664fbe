"""The `/console` namespace: operators' consoles get every wall change live and can apply layouts."""

from __future__ import annotations

from typing import Any

import socketio
from pydantic import ValidationError

from layouts import LayoutError

from .. import appkeys
from ..api import field_errors, layout_errors
from ..auth import Identity
from ..errors import HallError
from ..roles import CONSOLE, WALL_READ, WALL_WRITE, WORKERS_SEE
from ..schemas import LayoutIn
from .common import authenticate, current

NAMESPACE = "/console"
WORKERS_ROOM = "consoles:workers"  # consoles of roles.WORKERS_SEE: the workers' live positions (personal data)


def register(sio: socketio.AsyncServer, app: Any) -> None:
    users = app[appkeys.USERS]
    wc = app[appkeys.WALL_CONTROL]
    metrics = app[appkeys.METRICS]

    @sio.on("connect", namespace=NAMESPACE)
    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        ident = await authenticate(users, auth, CONSOLE)
        await sio.save_session(sid, {"identity": ident, "token": auth["token"]}, namespace=NAMESPACE)
        metrics.sockets.labels(NAMESPACE).inc()
        await sio.enter_room(sid, "consoles", namespace=NAMESPACE)
        if ident.role in WORKERS_SEE:
            await sio.enter_room(sid, WORKERS_ROOM, namespace=NAMESPACE)
        await sio.emit("layout", (await wc.layout()).model_dump(mode="json"), to=sid, namespace=NAMESPACE)
        await sio.emit("presets", {"presets": [p.model_dump(mode="json") for p in await wc.presets()]},
                       to=sid, namespace=NAMESPACE)
        await sio.emit("scenes", {"scenes": [s.model_dump(mode="json") for s in await wc.scenes()]},
                       to=sid, namespace=NAMESPACE)

    @sio.on("disconnect", namespace=NAMESPACE)
    async def disconnect(sid: str, *args: Any) -> None:
        metrics.sockets.labels(NAMESPACE).dec()

    @sio.on("wall:get", namespace=NAMESPACE)
    async def wall_get(sid: str, data: Any = None) -> dict:
        who = await current(sio, users, sid, NAMESPACE, WALL_READ)
        if not isinstance(who, Identity):
            return who
        return {"ok": True, **await wc.snapshot()}

    @sio.on("layout:apply", namespace=NAMESPACE)
    async def layout_apply(sid: str, data: Any = None) -> dict:
        who = await current(sio, users, sid, NAMESPACE, WALL_WRITE)
        if not isinstance(who, Identity):
            return who
        if not isinstance(data, dict):
            return {"ok": False, "status": 422, "error": "invalid", "message": "send an object",
                    "errors": [{"path": "(body)", "message": "must be an object"}]}
        try:
            body = LayoutIn.model_validate(data)
            layout = await wc.replace(body.version, body.windows, body.scene, who.name)
        except ValidationError as exc:
            return {"ok": False, "status": 422, "error": "invalid", "message": "invalid layout",
                    "errors": field_errors(exc)}
        except LayoutError as exc:
            return {"ok": False, "status": 422, "error": "invalid", "message": "invalid layout",
                    "errors": layout_errors(exc)}
        except HallError as exc:
            return {"ok": False, "status": exc.status, **exc.body()}
        return {"ok": True, "layout": layout.model_dump(mode="json")}
