"""Video delivery over WebRTC: WHEP egress of each screen, WHIP ingest of published sources (RFC 9725 style).

SDP in, SDP out (`application/sdp`), `201 Created` with the session's URL in `Location`;
`DELETE` on that URL ends the session. No trickle ICE: the answer carries every candidate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from media.server import MediaServer
from media.sources.whip import WhipSource
from media.webrtc import OfferRejected

from .. import appkeys
from ..auth import Identity, bearer
from ..errors import BadRequest, Forbidden, NotFound, Unauthorized
from ..roles import CONSOLE, WHEP_WATCH, WHIP_PUBLISH
from . import api

# Who may watch a screen: the screen itself (its own token only), consoles (previews), and
# other systems (an upper-level centre pulling our wall); who may publish to any WHIP source
# besides the source's own token: roles.WHEP_WATCH, roles.WHIP_PUBLISH.
WATCH = WHEP_WATCH
PUBLISH = WHIP_PUBLISH
SDP = "application/sdp"
# The npm `whip-whep` browser client (ES modules whip.js, whep.js), served locally for pages that publish or play.
WHIP_WHEP_JS = Path(__file__).resolve().parents[2] / "node_modules" / "whip-whep"


@api.on_setup
def _setup(app: web.Application) -> None:
    if WHIP_WHEP_JS.is_dir():  # before pages' /vendor/ (registered later), which would shadow it
        app.router.add_static("/vendor/whip-whep/", WHIP_WHEP_JS)


def _media(request: web.Request) -> MediaServer:
    return request.app[appkeys.MEDIA]


def _answer(answer_sdp: str, location: str) -> web.Response:
    return web.Response(status=201, text=answer_sdp, content_type=SDP,
                        headers={"Location": location, "Cache-Control": "no-store"})


def _refused(exc: OfferRejected) -> BadRequest:
    """400 naming the problem, and the part of the SDP at fault when it is known."""
    errors = [{"path": exc.field, "message": str(exc)}] if exc.field else None
    return BadRequest(str(exc), errors=errors)


# -- WHEP: watch a screen ---------------------------------------------------------------------
def _check_screen(request: web.Request, ident: Identity, screen_id: str) -> None:
    try:
        request.app[appkeys.WALL].screen(screen_id)
    except KeyError:
        raise NotFound(f"no screen {screen_id!r}") from None
    if ident.role == "screen" and ident.screen != screen_id:
        raise Forbidden(f"this token is the token of screen {ident.screen!r}, not of {screen_id!r}")


@api.route("POST", "/whep/screens/{id}", summary="Watch a screen over WebRTC (WHEP): SDP offer in, SDP answer out",
           roles=WATCH, content=SDP, produces=SDP, status=201, response_headers=("Location",), tag="media",
           errors=(404, 503))
async def whep_watch_screen(request: web.Request, ident: Identity, body: str) -> web.StreamResponse:
    screen_id = request.match_info["id"]
    _check_screen(request, ident, screen_id)
    try:
        session, answer_sdp = await _media(request).whep.start(screen_id, body, ident.name)
    except OfferRejected as exc:
        raise _refused(exc) from None
    return _answer(answer_sdp, f"/whep/screens/{screen_id}/sessions/{session.id}")


@api.route("DELETE", "/whep/screens/{id}/sessions/{session}", summary="End a WHEP session (stop watching)",
           roles=WATCH, tag="media", errors=(404,))
async def whep_end_session(request: web.Request, ident: Identity) -> web.StreamResponse:
    screen_id, sid = request.match_info["id"], request.match_info["session"]
    _check_screen(request, ident, screen_id)
    egress = _media(request).whep
    session = egress.sessions.get(sid)
    if session is None or session.key != screen_id:
        raise NotFound("no such session (it may have ended already)")
    if session.owner != ident.name and ident.role != "admin":
        raise Forbidden("only who started a session (or an admin) may end it")
    await egress.end(sid)
    return web.Response(status=200)


# -- WHIP: publish a source ---------------------------------------------------------------------
def _whip_source(request: web.Request, ident: Identity | None, source_id: str) -> WhipSource:
    cfg = next((s for s in request.app[appkeys.CONFIG].sources if s.id == source_id), None)
    if cfg is None or cfg.kind != "whip":
        raise NotFound(f"no source {source_id!r} published over WHIP (configure it with a whip:// URL)")
    source = _media(request).source(source_id)
    if not isinstance(source, WhipSource):
        raise NotFound(f"source {source_id!r} is not a WHIP source")
    if ident is not None and ident.role in PUBLISH:
        return source
    token = bearer(request.headers.get("Authorization"))
    if source.accepts_token(token):
        return source
    if token is None:
        raise Unauthorized("send Authorization: Bearer <token> (a publishing user's or this source's token)")
    raise Forbidden(f"this token may not publish to {source_id!r} (roles: {', '.join(sorted(PUBLISH))}, "
                    "or the source's own token)")


@api.route("POST", "/whip/{source}", summary="Publish video to a whip:// source (WHIP): SDP offer in, SDP answer "
           "out; token: a user of role integration/admin/operator, or the source's own token",
           roles=None, content=SDP, produces=SDP, status=201, response_headers=("Location",), tag="media",
           errors=(401, 403, 404, 503))
async def whip_publish(request: web.Request, ident: Identity | None, body: str) -> web.StreamResponse:
    source_id = request.match_info["source"]
    source = _whip_source(request, ident, source_id)
    try:
        session, answer_sdp = await _media(request).whip.start(source, body,
                                                               ident.name if ident else f"token:{source_id}")
    except OfferRejected as exc:
        raise _refused(exc) from None
    return _answer(answer_sdp, f"/whip/{source_id}/sessions/{session.id}")


@api.route("DELETE", "/whip/{source}/sessions/{session}", summary="End a WHIP session (stop publishing)",
           roles=None, tag="media", errors=(401, 403, 404))
async def whip_end_session(request: web.Request, ident: Identity | None) -> web.StreamResponse:
    source_id, sid = request.match_info["source"], request.match_info["session"]
    _whip_source(request, ident, source_id)
    ingest = _media(request).whip
    session = ingest.sessions.get(sid)
    if session is None or session.key != source_id:
        raise NotFound("no such session (it may have ended already)")
    await ingest.end(sid)
    return web.Response(status=200)


# -- figures ------------------------------------------------------------------------------------
class DeliveryStats(BaseModel):
    encoders: list[dict]
    encoders_started: int  # encoders made since start (a refused offer makes none)
    whep_sessions: int
    whip_sessions: int


@api.route("GET", "/api/media/delivery", summary="Encoders per screen (one each, however many viewers) and sessions",
           roles=CONSOLE, response=DeliveryStats, tag="media")
async def delivery_stats(request: web.Request, ident: Identity) -> DeliveryStats:
    return DeliveryStats(**_media(request).delivery())


# -- snapshots: thumbnails of sources and previews of screens (JPEG) ---------------------------------
class SnapshotQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    width: Annotated[int, Field(ge=32, le=1920)] = 320


async def _snapshot(request: web.Request, id: str, width: int) -> web.Response:
    try:
        jpeg = await _media(request).snapshot_jpeg(id, width)
    except KeyError:
        raise NotFound(f"no source or screen {id!r}") from None
    return web.Response(body=jpeg, content_type="image/jpeg", headers={"Cache-Control": "no-store"})


@api.route("GET", "/api/sources/{id}/snapshot.jpg", summary="The newest picture of a source (JPEG thumbnail)",
           roles=CONSOLE, query=SnapshotQuery, produces="image/jpeg", tag="media", errors=(404, 503))
async def source_snapshot(request: web.Request, ident: Identity, query: SnapshotQuery) -> web.Response:
    sid = request.match_info["id"]
    if not any(s.id == sid for s in request.app[appkeys.CONFIG].sources):
        raise NotFound(f"no source {sid!r}")
    return await _snapshot(request, sid, query.width)


@api.route("GET", "/api/screens/{id}/snapshot.jpg", summary="What a screen shows now (JPEG preview)",
           roles=CONSOLE, query=SnapshotQuery, produces="image/jpeg", tag="media", errors=(404, 503))
async def screen_snapshot(request: web.Request, ident: Identity, query: SnapshotQuery) -> web.Response:
    sid = request.match_info["id"]
    try:
        request.app[appkeys.WALL].screen(sid)
    except KeyError:
        raise NotFound(f"no screen {sid!r}") from None
    return await _snapshot(request, sid, query.width)


@api.route("GET", "/api/media/health", summary="Health of every source, screen and other output (calls, rooms) of "
           "this process's media server",
           roles=CONSOLE, tag="media", errors=(503,))
async def media_health(request: web.Request, ident: Identity) -> dict:
    return _media(request).health()
