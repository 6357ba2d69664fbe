"""``whip://id``: video published to us over WebRTC (WHIP, RFC 9725) at ``/whip/{id}``.

Remote-collaboration clients and other command centres push their picture; aiortc receives
and decodes it (in its own threads) and this source puts the frames into ``latest``.
A per-source publishing token may be given in the URL: ``whip://feed?token_env=FEED_TOKEN``
(the environment variable holding it; preferred) or ``whip://feed?token=...`` (demo only).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from urllib.parse import parse_qs, urlparse

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.frames import Frame
from media.sources.base import Source, SourceSpec, register

log = logging.getLogger("media.sources.whip")


@register("whip")
class WhipSource(Source):
    """Frames of the current WHIP publisher; none until someone publishes, "lost" after they leave."""

    kind = "whip"
    stall_after_s = 2.0  # a publisher on a mobile link stutters more than a camera on a LAN

    def __init__(self, cfg: SourceSpec) -> None:
        super().__init__(cfg)
        q = parse_qs(urlparse(self.url).query)
        env = q.get("token_env", [None])[0]
        self._token: str | None = os.environ.get(env) if env else q.get("token", [None])[0]
        self._task: asyncio.Task[None] | None = None
        self._track: MediaStreamTrack | None = None
        self.publishers = 0  # publishes so far (a republish after a drop counts as a reconnect)

    # A WHIP source has no decode thread of its own: aiortc's receiver decodes on its threads.
    def start(self) -> None:
        return None

    def stop(self, timeout: float = 5.0) -> None:
        """End reading the publisher (callable from any thread: the engine stops sources from threads)."""
        self._stopping.set()
        task = self._task
        if task is not None and not task.done():
            try:
                task.get_loop().call_soon_threadsafe(task.cancel)
            except RuntimeError:  # its loop is closed: nothing runs it any more
                pass

    def accepts_token(self, token: str | None) -> bool:
        """Whether `token` is this source's own publishing token (constant-time comparison)."""
        return bool(self._token and token and hmac.compare_digest(self._token.encode(), token.encode()))

    # -- the publisher ----------------------------------------------------------------------
    def attach(self, track: MediaStreamTrack) -> None:
        """Take frames from a newly published video track (replacing any earlier publisher). Event loop only."""
        self.detach()
        self._stopping.clear()
        self._track = track
        if self.publishers:
            self._reconnects += 1
        self.publishers += 1
        self._error = None
        self._failed = False
        self._mark_connected()
        self._task = asyncio.ensure_future(self._pump(track))

    def detach(self, track: MediaStreamTrack | None = None) -> None:
        """The publisher left (or is replaced); `track` given: only if it is still the current one."""
        if self._track is None or (track is not None and track is not self._track):
            return
        self._track = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._mark_failed("publisher left")

    async def _pump(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if not isinstance(frame, av.VideoFrame):
                    continue
                if self._viewers <= 0 and self.latest.get() is not None:
                    self._data(0)  # alive, but nobody needs the picture converted
                    continue
                self._emit(Frame.from_av(frame))
        except MediaStreamError:
            self.detach(track)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("whip source %s: reading the published track failed", self.id)
            self._error = "reading the published track failed (see log)"
            self.detach(track)

    def _run(self) -> None:  # pragma: no cover - no thread (see start)
        return None
