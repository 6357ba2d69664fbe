"""Seat screens on the wall: an operator's workstation screen (the seats' management systems, any application on a
console PC) shared from the console (getDisplayMedia) into the hall as a runtime wall source `seat:<user>`, placed
like any source. It ends when the operator stops sharing, or when the page's connection closes or fails: a window
showing it keeps an ENDED slate until removed, as an ended call's does. One share per user at a time: a new one
replaces the old in the same source (the windows showing it go live again)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from media.sdp import read_offer
from media.sources.base import SourceConfigLite
from media.sources.track import TrackSource
from media.webrtc import OfferRejected, PeerSession
from media.whip import WhipIngest

from . import keys
from .auth import Identity
from .errors import BadRequest, Forbidden, NotFound
from .roles import ADMIN

if TYPE_CHECKING:
    from media.server import MediaServer

    from .wall_control import WallControl

log = logging.getLogger("hall.seats")

KIND, GROUP = "seat", "Seats"  # the runtime source's kind and its group in the console's source list


def seat_source_id(user: str) -> str:
    return f"seat:{user}"


def check_share_offer(offer_sdp: str) -> None:
    """A shared screen's offer, read before anything is made: a video section it sends (H.264 or VP8), with ICE
    credentials and a DTLS fingerprint."""
    try:
        offer = read_offer(offer_sdp)
    except ValueError as exc:
        raise OfferRejected(str(exc), "v=") from None
    video = [m for m in offer.media if m.kind == "video" and m.port != 0 and m.direction in ("sendonly", "sendrecv")]
    if not video:
        raise OfferRejected("the offer sends no video (share a screen: one sendonly video section)", "m=video")
    if not {"H264", "VP8"} & set(video[0].codecs):
        raise OfferRejected("the offer's video is neither H.264 nor VP8", "a=rtpmap")
    if not offer.ice_credentials or not offer.fingerprint:
        raise OfferRejected("the offer has no ICE credentials or DTLS fingerprint", "a=ice-ufrag")


class SeatScreens:
    """The operators' shared screens this process receives (it runs the media)."""

    def __init__(self, media: MediaServer, wall: WallControl) -> None:
        self.media = media
        self.wall = wall
        self.ingest = WhipIngest(media.peers("seat"))  # a publish into a source, as WHIP's: one session per source
        self.sources: dict[str, TrackSource] = {}  # user -> their screen's source (live, or ended while shown)
        self.current: dict[str, PeerSession] = {}  # user -> the session of their live share

    async def share(self, ident: Identity, offer_sdp: str, place: str | None = None) -> tuple[str, str, Any]:
        """The user's screen onto the wall's sources (replacing their earlier share): (session id, answer SDP,
        the window it was placed in when `place` is "next", else None)."""
        try:
            check_share_offer(offer_sdp)
        except OfferRejected as exc:
            raise _refused(exc) from None
        user = ident.name
        sid = seat_source_id(user)
        display = ident.display_name or (await self.wall.redis.hget(keys.user(user), "display_name")) or user
        name = f"{display}'s screen"
        source = self.sources.get(user)
        if source is None:
            source = TrackSource(SourceConfigLite(sid, f"seat:{user}", name=name))
            self.media.add_source(source, name)  # 503 when this process runs no media engine
            self.sources[user] = source
        self.current.pop(user, None)  # the earlier share is replaced: its end must not end the source
        try:
            session, answer = await self.ingest.start(source, offer_sdp, user)
        except OfferRejected as exc:
            await self._end(user)  # the earlier share, if any, is gone too
            raise _refused(exc) from None
        self.current[user] = session
        session.on_end.append(lambda: self._stopped(user, session))
        await self.wall.register_source(sid, name, KIND, GROUP, user)
        placed = None
        if place == "next":
            _, placed = await self.wall.show(sid, user)
        log.info("seat screen shared", extra={"user": user, "session": session.id, "placed": bool(placed)})
        return session.id, answer, placed

    async def stop(self, ident: Identity, session_id: str) -> None:
        """The page stopped sharing (its track ended): the source ends."""
        session = self.ingest.sessions.get(session_id)
        if session is None:
            raise NotFound("no such share (it may have ended already)")
        if session.owner != ident.name and ident.role not in ADMIN:
            raise Forbidden("only who shares a screen (or an admin) stops it")
        await session.end()

    async def _stopped(self, user: str, session: PeerSession) -> None:
        """A share's session ended (stopped, closed, failed, never connected); only the live one ends the source."""
        if self.current.get(user) is session:
            del self.current[user]
            await self._end(user)

    async def _end(self, user: str) -> None:
        source = self.sources.get(user)
        if source is None:
            return
        source.end()
        await self.wall.end_source(source.id)  # a window showing it keeps the ENDED slate
        if source.id not in set(await self.wall.redis.hkeys(keys.RUNTIME_SOURCES)):
            self._forget(user)
        log.info("seat screen ended", extra={"user": user})

    async def on_wall_change(self, event: str, data: dict[str, Any]) -> None:
        """WallControl hook: an ended screen no window shows any more is dropped from the media server."""
        if event != "sources":
            return
        present = {s["id"] for s in data.get("sources", [])}
        for user, source in list(self.sources.items()):
            if user not in self.current and source.id not in present:
                self._forget(user)

    def _forget(self, user: str) -> None:
        source = self.sources.pop(user, None)
        if source is not None:
            self.media.remove_source(source.id)

    async def close(self) -> None:
        """The hall stops: every share ends."""
        await self.ingest.close()
        for user in list(self.sources):
            self._forget(user)


def _refused(exc: OfferRejected) -> BadRequest:
    return BadRequest(str(exc), errors=[{"path": exc.field, "message": str(exc)}] if exc.field else None)
