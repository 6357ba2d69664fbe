"""The `/wall` namespace: each screen's kiosk page joins its room and gets its render plan live; the panels it
draws are pushed to it as they change (`panel`, after `panels:watch`), and its maps hear the events and the grid
workers move (`event`, `workers:positions` in room `wall:map`)."""

from __future__ import annotations

from typing import Any

import socketio
from pydantic import BaseModel, ConfigDict, Field

from .. import appkeys
from ..auth import Identity
from ..errors import Invalid
from ..roles import SCREEN
from .common import admit, authenticate, on_event, parse

NAMESPACE = "/wall"
MAP_ROOM = "wall:map"  # kiosks drawing a map: event notices and workers' positions (roles.MAP_WORKERS)


def room(screen_id: str) -> str:
    return f"screen:{screen_id}"


def panel_room(panel_id: str) -> str:
    return f"panel:{panel_id}"


class WatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    panels: list[str] = Field([], max_length=64, description="the panels this kiosk draws (each pushed as it changes)")
    map: bool = Field(False, description="this kiosk draws a map: send it the events and the workers as they move")


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

    @on_event(sio, users, NAMESPACE, "panels:watch", SCREEN)
    async def watch(sid: str, who: Identity, data: Any) -> dict[str, Any]:
        """The panels the kiosk draws now (the whole set, each time it changes): their documents at once, then
        each change pushed; and the screen's millimetres per pixel, which its type sizes follow."""
        body = parse(WatchIn, data)
        dashboards = app[appkeys.DASHBOARDS]
        unknown = [{"path": f"panels[{i}]", "message": f"no live panel {p!r}"} for i, p in enumerate(body.panels)
                   if p not in dashboards.panels]
        if unknown:
            raise Invalid("unknown panels", errors=unknown)
        wanted = {panel_room(p) for p in body.panels} | ({MAP_ROOM} if body.map else set())
        for r in sio.rooms(sid, namespace=NAMESPACE):
            if (r.startswith("panel:") or r == MAP_ROOM) and r not in wanted:
                await sio.leave_room(sid, r, namespace=NAMESPACE)
        for r in wanted:
            await sio.enter_room(sid, r, namespace=NAMESPACE)
        screen = app[appkeys.WALL].screen(who.screen)
        mm_per_px = screen.canvas.w / app[appkeys.WALL].px_per_mm / screen.resolution[0]
        return {"ok": True, "mm_per_px": mm_per_px, "type": app[appkeys.CONFIG].dashboards.type.model_dump(),
                "panels": {p: await dashboards.doc(p) for p in body.panels}}
