"""The cascade: the targets this hall publishes to (other centres' WHIP endpoints), their health, and starting
and stopping them from the console (backend/cascade.py keeps the choice)."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from .. import appkeys
from ..auth import Identity
from ..cascade import CascadeControl
from ..errors import NotFound
from ..roles import CENTRE, CONSOLE
from . import api


class CascadeTargetOut(BaseModel):
    name: str
    url: str  # the other centre's WHIP endpoint (no secret in it: the token is in the environment)
    publish: str  # the screen or source sent
    output: str  # the output encoded for it (the screen itself, or one made for the source)
    enabled: bool  # wanted: the configuration's, or the console's last start/stop
    changed_by: str | None
    changed_at: str | None
    started: bool  # publishing (or trying to) in this process
    state: str  # stopped, connecting, live, failed
    since: float | None  # UTC epoch seconds of the last change of state
    error: str | None  # the last failure (kept while retrying)
    bitrate_kbps: float
    reconnects: int
    next_attempt_s: float | None  # while failed: seconds to the next attempt


class CascadeTargetsOut(BaseModel):
    targets: list[CascadeTargetOut]
    may_switch: bool  # whether the caller may start and stop targets (the console shows the buttons)


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    publish: Annotated[str, Field(min_length=1, max_length=128, description="a wall screen, or a source the wall "
                                  "can show (a camera, a call, a consultation room's picture room:<id>)")]


def _control(request: web.Request) -> CascadeControl:
    return request.app[appkeys.WALL_MEDIA].cascade


async def _target(control: CascadeControl, name: str) -> dict:
    for t in await control.targets():
        if t["name"] == name:
            return t
    raise NotFound(f"no cascade target {name!r} (configured: {', '.join(control.names) or 'none'})")


@api.route("GET", "/api/cascade/targets", summary="The other centres this hall publishes to (WHIP), with each link's "
           "state, bitrate and last error", roles=CONSOLE, response=CascadeTargetsOut, tag="cascade")
async def cascade_targets(request: web.Request, ident: Identity) -> dict:
    return {"targets": await _control(request).targets(), "may_switch": ident.role in CENTRE}


async def _switch(request: web.Request, ident: Identity, enabled: bool) -> dict:
    control, name = _control(request), request.match_info["name"]
    await _target(control, name)  # 404 before anything is written
    await control.set_enabled(name, enabled, ident.name)
    return await _target(control, name)


@api.route("POST", "/api/cascade/targets/{name}/start", summary="Start publishing to a target (kept across restarts)",
           roles=CENTRE, response=CascadeTargetOut, tag="cascade", errors=(404,))
async def start_cascade_target(request: web.Request, ident: Identity) -> dict:
    return await _switch(request, ident, True)


@api.route("POST", "/api/cascade/targets/{name}/stop", summary="Stop publishing to a target: its session ends at the "
           "other centre (kept across restarts)", roles=CENTRE, response=CascadeTargetOut, tag="cascade", errors=(404,))
async def stop_cascade_target(request: web.Request, ident: Identity) -> dict:
    return await _switch(request, ident, False)


@api.route("POST", "/api/cascade/targets/{name}/publish", summary="Publish another screen or source to a target "
           "(a room's picture, a call, a camera) and start it (kept across restarts)", roles=CENTRE, body=PublishIn,
           response=CascadeTargetOut, tag="cascade", errors=(404,))
async def publish_to_cascade_target(request: web.Request, ident: Identity, body: PublishIn) -> dict:
    control, name = _control(request), request.match_info["name"]
    await _target(control, name)
    wall = request.app[appkeys.WALL_CONTROL]
    if body.publish not in {s.id for s in wall.wall.screens} | await wall.known_sources():
        raise NotFound(f"no screen or source {body.publish!r} to publish", errors=[
            {"path": "publish", "message": "a wall screen's id or a source the wall can show"}])
    await control.set_enabled(name, True, ident.name, body.publish)
    return await _target(control, name)
