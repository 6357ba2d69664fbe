"""The `/field` namespace: the field page of grid workers and departments. Workers switch their duty and
report their position; every field user gets `tasks` when an event that concerns them changes (and the
calls meant for them, in their room)."""

from __future__ import annotations

from typing import Any

import socketio

from .. import appkeys
from ..auth import Identity
from ..events.service import EventService
from ..roles import FIELD_PAGE, PATROL, Role
from ..workers.config import WorkersConfig
from ..workers.model import GridWorker
from ..workers.schemas import DutyIn, PositionIn
from .common import admit, authenticate, on_event, parse

NAMESPACE = "/field"


def room(name: str) -> str:
    """Every connection of one field user (their phone, a second tab): tasks, duty and calls for them."""
    return f"worker:{name}"


def duty_message(w: GridWorker, cfg: WorkersConfig) -> dict[str, Any]:
    """What a worker's phone is told of their own duty, with the reporting rule it keeps to."""
    return {"status": w.status, "status_at": w.status_at, "call": w.call, "grids": list(w.grids),
            "report_every_s": cfg.report_every_s, "report_min_move_m": cfg.report_min_move_m,
            "stale_after_s": cfg.stale_after_s}


def register(sio: socketio.AsyncServer, app: Any) -> None:
    users = app[appkeys.USERS]
    metrics = app[appkeys.METRICS]
    registry = app[appkeys.WORKERS]
    cfg = app[appkeys.CONFIG].workers

    @sio.on("connect", namespace=NAMESPACE)
    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        ident = await authenticate(users, auth, FIELD_PAGE)
        await admit(sio, sid, NAMESPACE, ident, auth["token"])
        metrics.sockets.labels(NAMESPACE).inc()
        await sio.enter_room(sid, room(ident.name), namespace=NAMESPACE)
        if ident.role == Role.WORKER:
            w = await registry.get(ident.name)
            if w is not None:
                await sio.emit("duty", duty_message(w, cfg), to=sid, namespace=NAMESPACE)

    @sio.on("disconnect", namespace=NAMESPACE)
    async def disconnect(sid: str, *args: Any) -> None:
        metrics.sockets.labels(NAMESPACE).dec()

    @on_event(sio, users, NAMESPACE, "duty", PATROL)
    async def duty(sid: str, who: Identity, data: Any) -> dict:
        w = await registry.set_status(who.name, parse(DutyIn, data).status)
        return {"ok": True, **duty_message(w, cfg)}

    @on_event(sio, users, NAMESPACE, "position", PATROL)
    async def position(sid: str, who: Identity, data: Any) -> dict:
        body = parse(PositionIn, data)
        w = await registry.report_position(who.name, body.lat, body.lon, body.accuracy, body.at)
        grid = registry.grids.by_id.get(w.grid) if w.grid else None
        return {"ok": True, "status": w.status, "at": w.at, "grid": w.grid, "grid_name": grid.name if grid else None}


def duty_hook(sio: socketio.AsyncServer, cfg: WorkersConfig):
    """A registry hook: a worker's own status (changed on another device, or by a call) to all their phones."""

    async def push(what: str, w: GridWorker) -> None:
        if what in ("status", "call"):
            await sio.emit("duty", duty_message(w, cfg), namespace=NAMESPACE, room=room(w.name))

    return push


def tasks_hook(sio: socketio.AsyncServer, events: EventService):
    """An event-service hook: `tasks` to the field users an event concerns (the workers who see its grid,
    the users of its department), so their list reloads. It says which event, never who reported it."""
    workers_of_grid: dict[str, set[str]] = {}
    for name, grids in events.grids_of_worker.items():
        for g in grids:
            workers_of_grid.setdefault(g, set()).add(name)
    users_of_dept: dict[str, set[str]] = {}
    for name, depts in events.dept_of_user.items():
        for d in depts:
            users_of_dept.setdefault(d, set()).add(name)

    async def push(event: str, data: dict) -> None:
        names = workers_of_grid.get(data.get("grid") or "", set()) | users_of_dept.get(data.get("department") or "",
                                                                                      set())
        if names:
            note = {k: data.get(k) for k in ("id", "state", "action", "light", "kind")}
            await sio.emit("tasks", note, namespace=NAMESPACE, room=sorted(room(n) for n in names))

    return push
