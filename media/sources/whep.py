"""``whep://host:port/path`` (``wheps://`` over HTTPS): another centre's WHEP output played on our wall.

The source runs its own WHEP client, a link kept up with backoff like a camera (media/links.py): an aiortc peer
connection that receives video, its offer POSTed to the endpoint (``http://`` for ``whep://``, ``https://`` for
``wheps://``) with ``Authorization: Bearer`` from the environment variable named in the URL
(``whep://city:8080/whep/screens/led-main?token_env=CITY_TOKEN``), DELETE on stop. The picture is a received
track like any other (media/sources/track.py): decoded by aiortc, converted only while watched. The media server
starts the client on the event loop (`run`); the connection is kept while nobody watches, so health stays true.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp
from aiortc.mediastreams import MediaStreamTrack

from media.links import Backoff, Link, LinkState, stats_bytes
from media.sources.base import SourceHealth, SourceSpec, register
from media.sources.track import TrackSource
from media.webrtc import PeerSession, PeerSessions


def endpoint_of(url: str) -> tuple[str, str | None]:
    """(the HTTP(S) endpoint a whep:// or wheps:// URL names, the environment variable of its token)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    token_env = next((v for k, v in query if k == "token_env"), None)
    rest = urlencode([(k, v) for k, v in query if k != "token_env"])
    return urlunsplit(("https" if parts.scheme == "wheps" else "http", parts.netloc, parts.path, rest, "")), token_env


@register("whep")
@register("wheps")
class WhepSource(TrackSource):
    """Frames of another centre's WHEP output, pulled by our own client."""

    kind = "whep"
    left_reason = "the other centre's stream ended"

    def __init__(self, cfg: SourceSpec) -> None:
        super().__init__(cfg)
        self.endpoint, self.token_env = endpoint_of(self.url)
        self.link: WhepPull | None = None

    def token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None

    def run(self, sessions: PeerSessions, http: Callable[[], aiohttp.ClientSession],
            backoff: Backoff | None = None) -> None:
        """Start pulling (event loop); the link keeps trying until `close()`."""
        if self.link is None:
            self.link = WhepPull(self, sessions, http, backoff)
        self.link.start()

    async def close(self) -> None:
        """Stop pulling: the other centre's session is ended (DELETE)."""
        if self.link is not None:
            await self.link.stop()

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        if self.link is not None:
            self.link.cancel()

    def _on_link(self, state: LinkState, error: str | None) -> None:
        if state == "failed" and error:
            self._mark_failed(error)  # why, rather than only "the stream ended"

    def health(self) -> SourceHealth:
        h = super().health()
        link = self.link
        if link is not None:
            h.bitrate_kbps, h.reconnects = link.bitrate_kbps, link.reconnects
            if h.state != "live" and link.error:
                h.error = link.error
        return h


class WhepPull(Link):
    """The WHEP client of one `WhepSource`: a receive-only peer connection, its track attached to the source."""

    kind = "pull"

    def __init__(self, source: WhepSource, sessions: PeerSessions, http: Callable[[], aiohttp.ClientSession],
                 backoff: Backoff | None = None) -> None:
        super().__init__(source.id, source.endpoint, source.token, sessions, http, backoff, source._on_link)
        self.source = source

    async def _open(self, session: PeerSession) -> None:
        pc = session.pc
        pc.addTransceiver("video", direction="recvonly")  # the wall is silent: no audio is asked for

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self.source.attach(track)
                session.on_end.append(lambda: self.source.detach(track))

        await self._exchange(session)

    def _rate_of(self, stats: dict[str, Any]) -> int:
        return stats_bytes(stats, "transport", "bytesReceived")  # aiortc counts no bytes per inbound stream

    def _check(self, stats: dict[str, Any]) -> str | None:
        # The other centre's encoder repeats even a still picture every second: silence means it is gone.
        last = self.source._last_data_mono
        if self._quiet_for() < self.silent_after_s:
            return None
        if last is None or time.monotonic() - last > self.silent_after_s:
            return f"no picture from the other centre for {self.silent_after_s:g} s"
        return None

