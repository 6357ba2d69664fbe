"""WHIP ingest (RFC 9725 style): a publisher posts an SDP offer to `/whip/{source}` and its
video becomes that source's frames (media/sources/whip.py)."""

from __future__ import annotations

import asyncio
import logging

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .sources.track import TrackSource
from .webrtc import OfferRejected, PeerSession, PeerSessions, answer, offer_problem

log = logging.getLogger("hall.media.whip")


class WhipIngest:
    """Publisher sessions; one per source at a time (a new publish replaces the old one)."""

    def __init__(self, sessions: PeerSessions | None = None) -> None:
        self.sessions = sessions or PeerSessions()

    async def start(self, source: TrackSource, offer_sdp: str, owner: str) -> tuple[PeerSession, str]:
        """Answer a publisher's offer; its video becomes `source`'s frames (a whip:// source, or another received
        picture such as an operator's shared screen)."""
        for old in self.sessions.of(source.id):
            # The same feed coming back after a network drop: its old session is dead or soon will be.
            await old.end()
        session = self.sessions.new(source.id, owner)
        videos: list[MediaStreamTrack] = []

        @session.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video" and not videos:
                videos.append(track)
            else:  # audio (the wall is silent) or a second video: read and drop, so nothing queues up
                task = asyncio.ensure_future(_drain(track))
                session.on_end.append(task.cancel)

        try:
            answer_sdp = await answer(session.pc, offer_sdp)
            if not videos:
                raise ValueError("the offer sends no video")
        except Exception as exc:
            await session.end()
            raise OfferRejected(offer_problem(exc, "H.264 or VP8")) from exc
        track = videos[0]
        source.attach(track)
        session.on_end.append(lambda: source.detach(track))
        log.info("whip publisher connected", extra={"source": source.id, "session": session.id, "owner": owner})
        return session, answer_sdp

    async def end(self, session_id: str) -> bool:
        session = self.sessions.get(session_id)
        if session is None:
            return False
        await session.end()
        return True

    async def close(self) -> None:
        await self.sessions.close()


async def _drain(track: MediaStreamTrack) -> None:
    try:
        while True:
            await track.recv()
    except (MediaStreamError, asyncio.CancelledError):
        pass
