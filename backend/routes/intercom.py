"""The intercom: a user's talkgroups, taking part (SDP in, out), the floor (request, release, and the centre's take),
the groups' last transmissions to replay, and the centre's ad hoc groups."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from .. import appkeys
from ..auth import Identity
from ..intercom.service import Intercom
from ..roles import INTERCOM, INTERCOM_COMMAND
from . import api

TAG = "intercom"
SDP = "application/sdp"
USER_NAME = r"^[A-Za-z0-9_.:-]{1,64}$"


class AdhocGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(min_length=1, max_length=80, description="shown in the talkgroup lists")]
    members: Annotated[list[Annotated[str, Field(pattern=USER_NAME)]], Field(
        min_length=1, max_length=500, description="grid workers (in the group while on duty) and departments' "
        "users, by user name")]


def _intercom(request: web.Request) -> Intercom:
    return request.app[appkeys.INTERCOM]


@api.route("GET", "/api/intercom/groups", summary="Your talkgroups (a worker on duty: their grids', streets' and ad "
           "hoc groups; a department's users: theirs; the centre: every group), each with its floor",
           roles=INTERCOM, tag=TAG)
async def list_groups(request: web.Request, ident: Identity) -> dict[str, Any]:
    intercom = _intercom(request)
    return {"groups": await intercom.views(await intercom.groups_for(ident), ident),
            "max_talk_s": intercom.cfg.max_talk_s, "replay_minutes": intercom.cfg.replay_minutes}


@api.route("POST", "/api/intercom/groups", summary="Make an ad hoc talkgroup (the centre)", roles=INTERCOM_COMMAND,
           body=AdhocGroupIn, status=201, tag=TAG)
async def create_group(request: web.Request, ident: Identity, body: AdhocGroupIn) -> dict[str, Any]:
    intercom = _intercom(request)
    group = await intercom.create(ident, body.name, body.members)
    return {"group": await intercom.view(group, ident)}


@api.route("GET", "/api/intercom/groups/{id}", summary="One talkgroup and its floor", roles=INTERCOM, tag=TAG,
           errors=(404,))
async def get_group(request: web.Request, ident: Identity) -> dict[str, Any]:
    intercom = _intercom(request)
    return {"group": await intercom.view(await intercom.group_for(ident, request.match_info["id"]), ident)}


@api.route("DELETE", "/api/intercom/groups/{id}", summary="Delete an ad hoc talkgroup (the centre)",
           roles=INTERCOM_COMMAND, status=204, tag=TAG, errors=(404, 409))
async def delete_group(request: web.Request, ident: Identity) -> None:
    await _intercom(request).delete(ident, request.match_info["id"])


@api.route("POST", "/api/intercom/groups/{id}/join", summary="Take part: SDP offer in (one audio section, sendrecv, "
           "Opus), SDP answer out, Location to DELETE; again after a dropped network", roles=INTERCOM, content=SDP,
           produces=SDP, status=201, response_headers=("Location",), tag=TAG, errors=(404,))
async def join_group(request: web.Request, ident: Identity, body: str) -> web.Response:
    gid = request.match_info["id"]
    session_id, answer = await _intercom(request).join(ident, gid, body)
    return web.Response(status=201, text=answer, content_type=SDP, headers={
        "Location": f"/api/intercom/groups/{gid}/sessions/{session_id}", "Cache-Control": "no-store"})


@api.route("DELETE", "/api/intercom/groups/{id}/sessions/{session}", summary="Leave a talkgroup's audio",
           roles=INTERCOM, status=204, tag=TAG, errors=(404,))
async def leave_group(request: web.Request, ident: Identity) -> None:
    await _intercom(request).leave(ident, request.match_info["id"], request.match_info["session"])


@api.route("POST", "/api/intercom/groups/{id}/floor/request", summary="Push to talk: the floor when it is free, "
           "else a place in the queue -> {floor, position} (0: yours)", roles=INTERCOM, tag=TAG, errors=(404,))
async def request_floor(request: web.Request, ident: Identity) -> dict[str, Any]:
    return await _intercom(request).request(ident, request.match_info["id"])


@api.route("POST", "/api/intercom/groups/{id}/floor/release", summary="Release to stop talking (the next in the "
           "queue gets the floor), or leave the queue", roles=INTERCOM, tag=TAG, errors=(404,))
async def release_floor(request: web.Request, ident: Identity) -> dict[str, Any]:
    return await _intercom(request).release(ident, request.match_info["id"])


@api.route("POST", "/api/intercom/groups/{id}/floor/take", summary="Take the floor at once (the centre): whoever "
           "talks is cut off and told; nobody is queued", roles=INTERCOM_COMMAND, tag=TAG, errors=(404,))
async def take_floor(request: web.Request, ident: Identity) -> dict[str, Any]:
    return await _intercom(request).take(ident, request.match_info["id"])


@api.route("GET", "/api/intercom/groups/{id}/clips", summary="The group's transmissions of the last "
           "intercom.replay_minutes, newest first", roles=INTERCOM, tag=TAG, errors=(404,))
async def list_clips(request: web.Request, ident: Identity) -> dict[str, Any]:
    return {"clips": await _intercom(request).clips(ident, request.match_info["id"])}


@api.route("GET", "/api/intercom/clips/{id}", summary="One transmission (Ogg Opus), to the members of its group",
           roles=INTERCOM, produces="audio/ogg", tag=TAG, errors=(404,))
async def clip_file(request: web.Request, ident: Identity) -> web.StreamResponse:
    path = await _intercom(request).clip_file(ident, request.match_info["id"])
    return web.FileResponse(path, headers={"Content-Type": "audio/ogg", "Cache-Control": "private, no-store"})
