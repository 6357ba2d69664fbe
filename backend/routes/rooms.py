"""Consultation rooms: open one (about an event), invite an expert by a link, take part (SDP in, out), share a
screen, and the host's controls: mute, remove, spotlight, share a wall source or screen, lock, record, close."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from .. import appkeys
from ..auth import Identity
from ..errors import NotFound
from ..roles import CENTRE, ROOM_PEOPLE, WALL_WRITE
from ..rooms.service import Rooms
from . import api

TAG = "rooms"
SDP = "application/sdp"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class OpenRoomIn(_Body):
    title: Annotated[str, Field(min_length=1, max_length=120)]
    event: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class InviteIn(_Body):
    name: Annotated[str, Field(min_length=1, max_length=80, description="the expert's name, shown in the room")]
    hours: Annotated[float, Field(gt=0, le=24 * 14)] | None = None


class MuteIn(_Body):
    muted: bool


class SpotlightIn(_Body):
    participant: Annotated[str, Field(max_length=80)] | None = None


class ShareIn(_Body):
    source: Annotated[str, Field(max_length=128, description="a wall source or a wall screen; null: stop")] | None


class LockIn(_Body):
    locked: bool


class RecordingIn(_Body):
    on: bool


class JoinQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: Literal["large", "small"] = Field("large", description="the picture: large 1280x720, small 640x360 "
                                                                 "(phones)")
    hall: bool = Field(False, description="the hall's own microphone and speakers (the hall's staff): shown as "
                                          "'Hall'")


class RoomsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: Annotated[str, Field(max_length=64)] | None = None
    open: bool = True


class RoomWallIn(_Body):
    screen: Annotated[str, Field(max_length=64)] | None = None
    window: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] | None = None


def _rooms(request: web.Request) -> Rooms:
    return request.app[appkeys.ROOMS]


def _rid(request: web.Request, ident: Identity) -> str:
    rid = request.match_info["id"]
    if not Rooms.in_scope(ident, rid):
        raise NotFound(f"no room {rid!r}")
    return rid


def _sdp(answer: str) -> web.Response:
    return web.Response(status=201, text=answer, content_type=SDP, headers={"Cache-Control": "no-store"})


@api.route("POST", "/api/rooms", summary="Open a consultation room (about an event, whose summary it shows)",
           roles=CENTRE, body=OpenRoomIn, status=201, tag=TAG, errors=(404,))
async def open_room(request: web.Request, ident: Identity, body: OpenRoomIn) -> dict[str, Any]:
    rooms = _rooms(request)
    return {"room": rooms.view(await rooms.create(ident, body.title, body.event), ident)}


@api.route("GET", "/api/rooms", summary="Open rooms (or all of an event's, with open=false)", roles=ROOM_PEOPLE,
           query=RoomsQuery, tag=TAG, scoped=True)
async def list_rooms(request: web.Request, ident: Identity, query: RoomsQuery) -> dict[str, Any]:
    rooms = _rooms(request)
    return {"rooms": [rooms.view(r, ident) for r in await rooms.list(ident, query.event, query.open)]}


@api.route("GET", "/api/rooms/{id}", summary="One room: who is in it, the speaker, what is shared; and what the "
           "room's page needs to take part (ICE servers, how long it may take to come back)", roles=ROOM_PEOPLE,
           tag=TAG, errors=(404,), scoped=True)
async def get_room(request: web.Request, ident: Identity) -> dict[str, Any]:
    rooms = _rooms(request)
    # an invited guest reads nothing else of the hall (GET /api/hall is not theirs): the page's needs come here
    return {"room": rooms.view(await rooms.get_for(_rid(request, ident), ident), ident),
            "ice_servers": [s.for_browser() for s in request.app[appkeys.MEDIA].settings.ice_servers],
            "reconnect_grace_s": rooms.cfg.reconnect_grace_s}


@api.route("POST", "/api/rooms/{id}/invite", summary="A link for an expert from outside: it opens this room only, "
           "for rooms.invite_hours", roles=CENTRE, body=InviteIn, status=201, tag=TAG, errors=(404, 409))
async def invite(request: web.Request, ident: Identity, body: InviteIn) -> dict[str, Any]:
    return await _rooms(request).invite(ident, _rid(request, ident), body.name, body.hours)


@api.route("POST", "/api/rooms/{id}/join", summary="Take part: SDP offer in (the room's picture received first, "
           "voice both ways, the camera if any), SDP answer out; again after a dropped network", roles=ROOM_PEOPLE,
           query=JoinQuery, content=SDP, produces=SDP, status=201, tag=TAG, errors=(404, 409, 503), scoped=True)
async def join_room(request: web.Request, ident: Identity, body: str, query: JoinQuery) -> web.Response:
    return _sdp(await _rooms(request).join(ident, _rid(request, ident), body, query.size, query.hall))


@api.route("POST", "/api/rooms/{id}/share", summary="Share your screen into the room (one sendonly video)",
           roles=ROOM_PEOPLE, content=SDP, produces=SDP, status=201, tag=TAG, errors=(404, 409), scoped=True)
async def share_screen(request: web.Request, ident: Identity, body: str) -> web.Response:
    return _sdp(await _rooms(request).share_screen(ident, _rid(request, ident), body))


@api.route("POST", "/api/rooms/{id}/leave", summary="Leave the room", roles=ROOM_PEOPLE, status=204, tag=TAG,
           errors=(404, 409), scoped=True)
async def leave_room(request: web.Request, ident: Identity) -> None:
    await _rooms(request).leave(ident, _rid(request, ident))


@api.route("POST", "/api/rooms/{id}/participants/{pid}/mute", summary="Mute or unmute (yourself; the host: anyone)",
           roles=ROOM_PEOPLE, body=MuteIn, tag=TAG, errors=(404, 409), scoped=True)
async def mute(request: web.Request, ident: Identity, body: MuteIn) -> dict[str, Any]:
    rooms = _rooms(request)
    record = await rooms.mute(ident, _rid(request, ident), request.match_info["pid"], body.muted)
    return {"room": rooms.view(record, ident)}


@api.route("DELETE", "/api/rooms/{id}/participants/{pid}", summary="Remove a participant (the host; an invited "
           "guest's link stops working)", roles=CENTRE, tag=TAG, errors=(404, 409))
async def remove(request: web.Request, ident: Identity) -> dict[str, Any]:
    rooms = _rooms(request)
    return {"room": rooms.view(await rooms.remove(ident, _rid(request, ident), request.match_info["pid"]), ident)}


@api.route("POST", "/api/rooms/{id}/spotlight", summary="Spotlight a participant for everyone (null: the speaker)",
           roles=CENTRE, body=SpotlightIn, tag=TAG, errors=(404, 409))
async def spotlight(request: web.Request, ident: Identity, body: SpotlightIn) -> dict[str, Any]:
    rooms = _rooms(request)
    return {"room": rooms.view(await rooms.spotlight(ident, _rid(request, ident), body.participant), ident)}


@api.route("POST", "/api/rooms/{id}/share-source", summary="Share a wall source (a camera, a call, a command-centre "
           "feed) or a wall screen into the room", roles=CENTRE, body=ShareIn, tag=TAG, errors=(404, 409))
async def share_source(request: web.Request, ident: Identity, body: ShareIn) -> dict[str, Any]:
    rooms = _rooms(request)
    return {"room": rooms.view(await rooms.share_source(ident, _rid(request, ident), body.source), ident)}


@api.route("POST", "/api/rooms/{id}/lock", summary="Lock the room (nobody new comes in) or open it", roles=CENTRE,
           body=LockIn, tag=TAG, errors=(404, 409))
async def lock(request: web.Request, ident: Identity, body: LockIn) -> dict[str, Any]:
    rooms = _rooms(request)
    return {"room": rooms.view(await rooms.lock(ident, _rid(request, ident), body.locked), ident)}


@api.route("POST", "/api/rooms/{id}/recording", summary="Record the room to MP4 (its picture and its mix), or stop",
           roles=CENTRE, body=RecordingIn, tag=TAG, errors=(404, 409))
async def recording(request: web.Request, ident: Identity, body: RecordingIn) -> dict[str, Any]:
    rooms = _rooms(request)
    return {"room": rooms.view(await rooms.recording(ident, _rid(request, ident), body.on), ident)}


@api.route("GET", "/api/rooms/{id}/recording.mp4", summary="The room's recording (to whoever may see its event)",
           roles=ROOM_PEOPLE, produces="video/mp4", tag=TAG, errors=(404,))
async def recording_file(request: web.Request, ident: Identity) -> web.StreamResponse:
    path = await _rooms(request).recording_file(ident, _rid(request, ident))
    return web.FileResponse(path, headers={"Content-Type": "video/mp4", "Cache-Control": "private, no-store"})


@api.route("POST", "/api/rooms/{id}/wall", summary="The room on the wall (a chosen screen or window, else the next "
           "free place)", roles=WALL_WRITE, body=RoomWallIn, tag=TAG, errors=(404, 409))
async def room_to_wall(request: web.Request, ident: Identity, body: RoomWallIn) -> dict[str, Any]:
    rid = _rid(request, ident)
    await _rooms(request).get_for(rid, ident)
    layout, placed = await request.app[appkeys.WALL_CONTROL].show(f"room:{rid}", ident.name, screen=body.screen,
                                                                  window=body.window)
    return {"layout": layout.model_dump(mode="json"), "window": placed.model_dump(mode="json")}


@api.route("POST", "/api/rooms/{id}/close", summary="Close the room (the host)", roles=CENTRE, tag=TAG,
           errors=(404, 409))
async def close_room(request: web.Request, ident: Identity) -> dict[str, Any]:
    rooms = _rooms(request)
    return {"room": rooms.view(await rooms.close(ident, _rid(request, ident)), ident)}
