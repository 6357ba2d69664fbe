"""Publishing an output to another centre's WHIP endpoint (RFC 9725): a wall screen, or an output made for a
source, sent by the output's one encoder (the packets every WHEP viewer of it gets too: no second encode);
kept up with backoff by the link supervisor (media/links.py)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp

from .encoder import EncoderSettings, ScreenEncoder
from .links import Backoff, Link, LinkState, stats_bytes
from .webrtc import EncodedScreenTrack, PeerSession, PeerSessions, prefer_h264, route_keyframe_requests


class Encoders(Protocol):
    """Where a publisher gets its output's encoder (media.encoder.OutputEncoders)."""

    def acquire(self, output_id: str, settings: EncoderSettings | None = None) -> ScreenEncoder: ...
    def release(self, output_id: str) -> None: ...


class WhipPublisher(Link):
    """One output published to one WHIP endpoint, republished after any failure."""

    kind = "publish"

    def __init__(self, name: str, url: str, token: Callable[[], str | None], sessions: PeerSessions,
                 http: Callable[[], aiohttp.ClientSession], encoders: Encoders, output_id: str,
                 settings: EncoderSettings | None = None, backoff: Backoff | None = None,
                 on_state: Callable[[LinkState, str | None], None] | None = None) -> None:
        super().__init__(name, url, token, sessions, http, backoff, on_state)
        self.encoders = encoders
        self.output_id = output_id
        self.settings = settings

    async def _open(self, session: PeerSession) -> None:
        encoder = self.encoders.acquire(self.output_id, self.settings)
        session.on_end.append(lambda: self.encoders.release(self.output_id))
        transceiver = session.pc.addTransceiver("video", direction="sendonly")
        prefer_h264(transceiver)  # our encoder makes H.264: offer nothing else
        track = EncodedScreenTrack(encoder)
        session.on_end.insert(0, track.stop)
        transceiver.sender.replaceTrack(track)
        route_keyframe_requests(transceiver.sender, encoder)  # the other centre's PLI reaches our encoder
        await self._exchange(session)

    def _rate_of(self, stats: dict[str, Any]) -> int:
        return stats_bytes(stats, "outbound-rtp", "bytesSent")

    def _check(self, stats: dict[str, Any]) -> str | None:
        # A receiver reports what it got about every second (RTCP RR); a centre that vanished without closing
        # the connection (a crash, a cut line) stops, long before ICE consent gives up (about 30 s).
        if self._quiet_for() < self.silent_after_s:
            return None
        reports = [s for s in stats.values() if getattr(s, "type", None) == "remote-inbound-rtp"]
        newest = max((s.timestamp for s in reports), default=None)
        now = datetime.datetime.now(datetime.UTC)
        if newest is None or (now - newest).total_seconds() > self.silent_after_s:
            return f"no receiver reports from the other centre for {self.silent_after_s:g} s"
        return None
