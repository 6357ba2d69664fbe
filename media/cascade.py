"""The cascade: video exchanged with the command centres above and below.

Out: each configured target publishes an output to the other centre's WHIP endpoint (media/whip_client.py): a
wall screen, or an output made for a source (the source full-frame at the target's size), sent by that output's
one encoder. In: ``whep://`` sources pull another centre's WHEP output (media/sources/whep.py). The media server
owns one `Cascade`; its links' sessions are the server's peer connections (the configured ICE servers only).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import aiohttp

from layouts.geometry import Rect
from layouts.window import Layout, Window

from .credentials import redact
from .encoder import EncoderSettings
from .engine import MediaEngine
from .links import Backoff, LinkHealth
from .sources.whep import WhepSource
from .webrtc import PeerSessions
from .whip_client import WhipPublisher

if TYPE_CHECKING:
    from .server import MediaServer

log = logging.getLogger("media.cascade")


@dataclass(frozen=True)
class PublishTarget:
    """Another centre's WHIP endpoint and what we publish to it (the `cascade.targets` of the configuration)."""

    name: str
    url: str  # http:// or https://
    publish: str  # a wall screen's id, or a source's id
    token_env: str | None = None  # the environment variable holding the bearer token
    size: tuple[int, int] = (1280, 720)  # of the output made for a source (a screen is sent at its own size)
    bitrate_kbps: int | None = None  # of that output's encoder; None: the wall's

    def token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None


class Cascade:
    """The publish targets (started and stopped at run time) and the pulled sources of one media server."""

    def __init__(self, server: MediaServer, targets: Iterable[PublishTarget], backoff: Backoff | None = None) -> None:
        self.server = server
        self.targets = {t.name: t for t in targets}
        self.backoff = backoff or Backoff()
        self.out: PeerSessions = server.peers("cascade-out")
        self.into: PeerSessions = server.peers("cascade-in")
        self.publishers: dict[str, WhipPublisher] = {}
        self.current: dict[str, str] = {}  # what each started target publishes (the console may choose another)
        self._outputs: set[str] = set()  # outputs made here for sources
        self._http: aiohttp.ClientSession | None = None
        self._lock: asyncio.Lock | None = None

    def http(self) -> aiohttp.ClientSession:
        """The HTTP client of every link (made on first use, on the event loop)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(headers={"User-Agent": "CommandHall-cascade"})
        return self._http

    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def output_of(self, target: PublishTarget) -> str:
        """The output a target sends: the screen itself, or the one made for its source."""
        if any(s.id == target.publish for s in self.server.wall.screens):
            return target.publish
        return f"cascade:{target.name}"

    # -- pulls ------------------------------------------------------------------------------------------
    def pulls(self) -> list[WhepSource]:
        engine = self.server.engine
        if not isinstance(engine, MediaEngine):  # not running, or a test's synthetic engine
            return []
        return [s for s in engine.sources.values() if isinstance(s, WhepSource)]

    async def start_pulls(self) -> int:
        """Start the client of every whep:// source of the running engine; returns how many."""
        pulls = self.pulls()
        for source in pulls:
            source.run(self.into, self.http, self.backoff)
        return len(pulls)

    # -- publish targets --------------------------------------------------------------------------------
    async def publish(self, name: str, what: str | None = None) -> LinkHealth:
        """Start publishing a target: its configured screen or source, or `what` (a screen, a source, a room's
        picture: anything the wall can show) instead (KeyError: no such target; MediaUnavailable: no engine)."""
        target = self.targets[name]
        if what is not None:
            target = replace(target, publish=what)
        async with self._guard():
            running = self.publishers.get(name)
            if running is not None and self.current.get(name) == target.publish:
                return running.health()
            if running is not None:  # another picture to the same centre: the old session ends first
                await self._stop(name)
            self.server.media_engine()  # MediaUnavailable before anything is made
            output = self.output_of(target)
            settings = None
            if output != target.publish:
                await asyncio.to_thread(self._make_output, output, target)
                base = self.server.settings.encoder
                settings = EncoderSettings(preset=base.preset, bitrate_kbps=target.bitrate_kbps or base.bitrate_kbps,
                                           gop_seconds=base.gop_seconds, threads=base.threads)
            publisher = WhipPublisher(name, target.url, target.token, self.out, self.http, self.server.encoders,
                                      output, settings, self.backoff)
            self.publishers[name] = publisher
            self.current[name] = target.publish
            publisher.start()
            log.info("cascade target started", extra={"target": name, "output": output})
            return publisher.health()

    def _make_output(self, output: str, target: PublishTarget) -> None:
        w, h = target.size
        picture = Window(id="picture", kind="video", rect=Rect(x=0, y=0, w=w, h=h), source=target.publish,
                         label=False, fit="contain")
        self.server.add_output(output, (w, h), Layout(windows=[picture]), "cascade")
        self._outputs.add(output)

    async def unpublish(self, name: str) -> None:
        """Stop publishing a target: its session ends at the other centre (DELETE), its output goes."""
        if name not in self.targets:
            raise KeyError(name)
        async with self._guard():
            await self._stop(name)

    async def _stop(self, name: str) -> None:
        publisher = self.publishers.pop(name, None)
        self.current.pop(name, None)
        if publisher is None:
            return
        await publisher.stop()
        output = publisher.output_id
        if output in self._outputs:
            self._outputs.discard(output)
            self.server.remove_output(output)
        log.info("cascade target stopped", extra={"target": name})

    # -- figures ------------------------------------------------------------------------------------------
    def health(self) -> dict[str, dict[str, Any]]:
        """Every target by name: what it publishes, and its link's state (stopped when not started)."""
        out: dict[str, dict[str, Any]] = {}
        for name, target in self.targets.items():
            publisher = self.publishers.get(name)
            link = publisher.health() if publisher is not None else LinkHealth(
                name, "publish", "", "stopped", None, None, 0.0, 0, None)
            shown = replace(target, publish=self.current.get(name, target.publish))
            out[name] = {**link.to_dict(), "url": redact(target.url), "publish": shown.publish,
                         "output": self.output_of(shown), "started": publisher is not None}
        return out

    async def close(self) -> None:
        for name in list(self.publishers):
            await self.unpublish(name)
        await asyncio.gather(*(s.close() for s in self.pulls()), return_exceptions=True)
        await self.out.close()
        await self.into.close()
        if self._http is not None:
            await self._http.close()
            self._http = None

