"""Calls between the console and the grid workers' phones: start one (nearest, ring a few, or one worker),
answer or decline it, join its media (SDP offer in, answer out), instructions, snapshot, the wall, hang up."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from .. import appkeys
from ..auth import Identity
from ..calls.model import Mode
from ..calls.service import CallService
from ..errors import Invalid
from ..roles import CENTRE, PATROL, WALL_WRITE
from . import api

TAG = "calls"
SDP = "application/sdp"
PARTIES = CENTRE | PATROL  # the console side and the phone side (each checked against the call itself)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class StartCallIn(_Body):
    mode: Mode = Field(Mode.NEAREST, description="nearest: one at a time, nearest first; ring: the nearest few at "
                                                 "once (calls.ring_at_once), the first to answer; worker: one chosen")
    event: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(None, description="the event it is about")
    worker: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(None, description="mode worker: whom")
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None


class TextIn(_Body):
    text: Annotated[str, Field(min_length=1, max_length=500)]


class MuteIn(_Body):
    muted: bool


class CallListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: Annotated[str, Field(max_length=64)] | None = None
    active: bool | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _calls(request: web.Request) -> CallService:
    return request.app[appkeys.CALLS]


def _id(request: web.Request) -> str:
    return request.match_info["id"]


@api.route("POST", "/api/calls", summary="Start a call: the nearest available grid worker of an event (or place) "
           "rings, or the nearest few at once, or one chosen worker; 409 names what is short when nobody fits",
           roles=CENTRE, body=StartCallIn, status=201, tag=TAG, errors=(404, 409))
async def start_call(request: web.Request, ident: Identity, body: StartCallIn) -> dict[str, Any]:
    if body.mode == Mode.WORKER and body.worker is None:
        raise Invalid("whom to call", errors=[{"path": "worker", "message": "mode worker names the worker"}])
    svc = _calls(request)
    record = await svc.start(ident, mode=body.mode, event_id=body.event, worker=body.worker, lat=body.lat,
                             lon=body.lon)
    return {"call": svc.view(record)}


@api.route("GET", "/api/calls", summary="Calls, newest first (a worker: the calls that rang for them)",
           roles=PARTIES, query=CallListQuery, tag=TAG)
async def list_calls(request: web.Request, ident: Identity, query: CallListQuery) -> dict[str, Any]:
    svc = _calls(request)
    records = await svc.list(ident, event=query.event, active=query.active, limit=query.limit)
    return {"calls": [svc.view(r) for r in records]}


@api.route("GET", "/api/calls/{id}", summary="One call: state, who was rung, times, outcome", roles=PARTIES,
           tag=TAG, errors=(404,))
async def get_call(request: web.Request, ident: Identity) -> dict[str, Any]:
    svc = _calls(request)
    return {"call": svc.view(await svc.get_for(_id(request), ident))}


@api.route("POST", "/api/calls/{id}/answer", summary="Answer a call ringing on your phone (the first wins)",
           roles=PATROL, status=200, tag=TAG, errors=(404, 409))
async def answer_call(request: web.Request, ident: Identity) -> dict[str, Any]:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    return {"call": svc.view(await svc.answer(ident, _id(request)))}


@api.route("POST", "/api/calls/{id}/decline", summary="Decline a call ringing on your phone (the next one rings)",
           roles=PATROL, status=200, tag=TAG, errors=(404, 409))
async def decline_call(request: web.Request, ident: Identity) -> dict[str, Any]:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    return {"call": svc.view(await svc.decline(ident, _id(request)))}


@api.route("POST", "/api/calls/{id}/join", summary="Join the call's media: SDP offer in (its sections: the video it "
           "receives first, audio both ways, its camera), SDP answer out; again after a dropped network",
           roles=PARTIES, content=SDP, produces=SDP, status=201, tag=TAG, errors=(404, 409))
async def join_call(request: web.Request, ident: Identity, body: str) -> web.Response:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    answer = await svc.join(ident, _id(request), body)
    return web.Response(status=201, text=answer, content_type=SDP, headers={"Cache-Control": "no-store"})


@api.route("POST", "/api/calls/{id}/hangup", summary="Hang up (either side; before an answer it cancels the ringing)",
           roles=PARTIES, status=200, tag=TAG, errors=(404, 409))
async def hangup_call(request: web.Request, ident: Identity) -> dict[str, Any]:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    return {"call": svc.view(await svc.hangup(ident, _id(request)))}


@api.route("POST", "/api/calls/{id}/text", summary="An instruction shown on the worker's screen", roles=CENTRE,
           body=TextIn, status=200, tag=TAG, errors=(404, 409))
async def call_text(request: web.Request, ident: Identity, body: TextIn) -> dict[str, Any]:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    return {"call": svc.view(await svc.text(ident, _id(request), body.text))}


@api.route("POST", "/api/calls/{id}/mute", summary="Mute or unmute your own voice in the call", roles=PARTIES,
           body=MuteIn, status=200, tag=TAG, errors=(404, 409))
async def call_mute(request: web.Request, ident: Identity, body: MuteIn) -> dict[str, Any]:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    return {"call": svc.view(await svc.mute(ident, _id(request), body.muted))}


@api.route("POST", "/api/calls/{id}/snapshot", summary="A still of the worker's camera, attached to the call's event "
           "as a photo", roles=CENTRE, status=201, tag=TAG, errors=(404, 409))
async def call_snapshot(request: web.Request, ident: Identity) -> dict[str, Any]:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    sha = await svc.snapshot(ident, _id(request))
    return {"sha256": sha, "url": f"/api/events/photos/{sha}"}


class CallWallIn(_Body):
    screen: Annotated[str, Field(max_length=64)] | None = None
    window: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] | None = None


@api.route("POST", "/api/calls/{id}/wall", summary="Put the call on the wall (a chosen screen or window, else the "
           "next free place)", roles=WALL_WRITE, body=CallWallIn, status=200, tag=TAG, errors=(404, 409))
async def call_to_wall(request: web.Request, ident: Identity, body: CallWallIn) -> dict[str, Any]:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    placed = await svc.to_wall(ident, _id(request), screen=body.screen, window=body.window)
    return {"layout": placed["layout"].model_dump(mode="json"), "window": placed["window"].model_dump(mode="json")}



class RecordingIn(_Body):
    on: bool


@api.route("POST", "/api/calls/{id}/recording", summary="Start or stop recording the call to MP4 (calls.recording: "
           "on_request)", roles=CENTRE, body=RecordingIn, status=200, tag=TAG, errors=(404, 409))
async def call_recording(request: web.Request, ident: Identity, body: RecordingIn) -> dict[str, Any]:
    svc = _calls(request)
    await svc.get_for(_id(request), ident)
    return {"call": svc.view(await svc.recording(ident, _id(request), body.on))}


@api.route("GET", "/api/calls/{id}/recording.mp4", summary="The call's recording (to whoever may see its event)",
           roles=PARTIES, produces="video/mp4", tag=TAG, errors=(404,))
async def call_recording_file(request: web.Request, ident: Identity) -> web.StreamResponse:
    path = await _calls(request).recording_file(ident, _id(request))
    return web.FileResponse(path, headers={"Content-Type": "video/mp4", "Cache-Control": "private, no-store",
                                           "Content-Disposition": f'attachment; filename="call-{_id(request)}.mp4"'})
