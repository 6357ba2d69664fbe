"""WHEP egress (RFC 9725 style): any WHEP player may watch a screen at `/whep/screens/{id}`.

Each session is one peer connection carrying the screen's single encoder's packets. An offer is read
first: one that cannot be answered is refused before the screen's encoder is made or woken for it.
"""

from __future__ import annotations

import logging

from .encoder import OutputEncoders
from .sdp import read_offer
from .webrtc import OfferRejected, PeerSession, PeerSessions, offer_problem, send_screen

__all__ = ["OfferRejected", "WhepEgress", "check_viewer_offer"]

log = logging.getLogger("hall.media.whep")


def check_viewer_offer(offer_sdp: str) -> None:
    """Raise OfferRejected, naming the problem, unless the offer has a video section the viewer receives
    with H.264 offered in it, and ICE credentials and a DTLS fingerprint."""
    try:
        offer = read_offer(offer_sdp)
    except ValueError as exc:
        raise OfferRejected(str(exc), "v=") from None
    video = [m for m in offer.media if m.kind == "video" and m.port != 0]
    if not video:
        raise OfferRejected("the offer has no video section (a viewer offers one, recvonly)", "m=video")
    receiving = [m for m in video if m.direction in ("recvonly", "sendrecv")]
    if not receiving:
        raise OfferRejected(f"the offer's video section does not receive (it is {video[0].direction}; "
                            "a viewer offers recvonly)", "a=recvonly")
    if not any("H264" in m.codecs for m in receiving):
        offered = sorted({c for m in receiving for c in m.codecs if c not in ("RTX", "RED", "ULPFEC", "FLEXFEC-03")})
        raise OfferRejected(f"the offer has no H.264 for video (it offers {', '.join(offered) or 'no codec'}); "
                            "screens are sent as H.264", "a=rtpmap")
    if not offer.ice_credentials:
        raise OfferRejected("the offer has no ICE credentials (a=ice-ufrag and a=ice-pwd)", "a=ice-ufrag")
    if not offer.fingerprint:
        raise OfferRejected("the offer has no DTLS fingerprint (a=fingerprint)", "a=fingerprint")


class WhepEgress:
    """Viewer sessions of the wall's screens."""

    def __init__(self, encoders: OutputEncoders, sessions: PeerSessions | None = None) -> None:
        self.encoders = encoders
        self.sessions = sessions or PeerSessions()

    async def start(self, screen_id: str, offer_sdp: str, owner: str) -> tuple[PeerSession, str]:
        """Answer a viewer's offer; raises KeyError for an unknown screen, OfferRejected for a bad offer."""
        check_viewer_offer(offer_sdp)  # before the encoder: a bad offer must cost nothing
        encoder = self.encoders.acquire(screen_id)
        session = self.sessions.new(screen_id, owner)
        session.on_end.append(lambda: self.encoders.release(screen_id))
        try:
            answer_sdp, track = await send_screen(session.pc, encoder, offer_sdp)
        except Exception as exc:
            await session.end()
            raise OfferRejected(offer_problem(exc, "H.264")) from exc
        session.on_end.insert(0, track.stop)
        log.info("whep viewer joined", extra={"screen": screen_id, "session": session.id, "owner": owner,
                                              "viewers": encoder.listeners})
        return session, answer_sdp

    async def end(self, session_id: str) -> bool:
        session = self.sessions.get(session_id)
        if session is None:
            return False
        await session.end()
        return True

    def viewers(self, screen_id: str) -> int:
        return len(self.sessions.of(screen_id))

    async def close(self) -> None:
        await self.sessions.close()
        self.encoders.close()

