"""WHEP egress (RFC 9725 style): any WHEP player may watch a screen at `/whep/screens/{id}`.

Each session is one peer connection carrying the screen's single encoder's packets.
"""

from __future__ import annotations

import logging

from .encoder import ScreenEncoders

__all__ = ["OfferRejected", "WhepEgress"]
from .webrtc import OfferRejected, PeerSession, PeerSessions, offer_problem, send_screen

log = logging.getLogger("hall.media.whep")


class WhepEgress:
    """Viewer sessions of the wall's screens."""

    def __init__(self, encoders: ScreenEncoders, connect_timeout_s: float = 20.0) -> None:
        self.encoders = encoders
        self.sessions = PeerSessions(connect_timeout_s)

    async def start(self, screen_id: str, offer_sdp: str, owner: str) -> tuple[PeerSession, str]:
        """Answer a viewer's offer; raises KeyError for an unknown screen, OfferRejected for a bad offer."""
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

