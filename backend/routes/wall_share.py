"""Seat screens: an operator shares their workstation's screen onto the wall (SDP in, SDP out, `Location` to DELETE
when the page stops sharing)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from .. import appkeys
from ..auth import Identity
from ..roles import WALL_WRITE
from . import api

SDP = "application/sdp"
TAG = "seats"  # WebRTC ingest, as WHIP's: tested with real peers (tests/test_seat_share.py), not in the wall's tour


class ShareQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: Literal["next"] | None = Field(None, description="next: shown at once in the wall's next free place")


@api.route("POST", "/api/wall/share", summary="Share your screen to the wall: SDP offer in (one sendonly video), SDP "
           "answer out; a runtime source seat:<user> until you stop (a new share replaces the old)",
           roles=WALL_WRITE, query=ShareQuery, content=SDP, produces=SDP, status=201,
           response_headers=("Location", "X-Hall-Source", "X-Hall-Window"), tag=TAG, errors=(503,))
async def share_my_screen(request: web.Request, ident: Identity, body: str, query: ShareQuery) -> web.Response:
    session_id, answer, placed = await request.app[appkeys.SEATS].share(ident, body, query.place)
    headers = {"Location": f"/api/wall/share/{session_id}", "Cache-Control": "no-store",
               "X-Hall-Source": f"seat:{ident.name}"}
    if placed is not None:
        headers["X-Hall-Window"] = placed.id
    return web.Response(status=201, text=answer, content_type=SDP, headers=headers)


@api.route("DELETE", "/api/wall/share/{session}", summary="Stop sharing your screen (the wall shows ENDED where it "
           "was until the window is removed)", roles=WALL_WRITE, status=204, tag=TAG, errors=(404,))
async def stop_sharing(request: web.Request, ident: Identity) -> None:
    await request.app[appkeys.SEATS].stop(ident, request.match_info["session"])
