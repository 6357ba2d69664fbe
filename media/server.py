"""The media server: the one owner of all media work in a hall process.

It owns the sources (configured ones and those that come and go: calls, rooms, shared screens), the engine that
composes every output (the wall's screens, a call's picture, a room's grid), one encoder per watched output
shared by all its viewers, WebRTC in and out (WHEP viewers, WHIP publishers, call participants) with the ICE
servers of the configuration, and the calls' media. The backend builds one (`backend.app.create_app`) and talks
to it only through these methods, so it could later run as a process of its own (media nodes claiming outputs
in Redis, WHIP/WHEP answered by a 307 to the node that owns the output, as RFC 9725 allows).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from layouts.wall import Wall
from layouts.window import Layout

from .cascade import Cascade, PublishTarget
from .encoder import EncoderSettings, OutputEncoders
from .engine import MediaEngine
from .frames import LatestFrame
from .links import Backoff
from .sources.base import Source, SourceSpec
from .webrtc import IceServer, PeerSessions
from .whep import WhepEgress
from .whip import WhipIngest

log = logging.getLogger("media.server")


class Engine(Protocol):
    """What the server needs of its engine: MediaEngine, or a synthetic one in delivery tests."""

    def output(self, output_id: str) -> LatestFrame: ...
    def acquire_output(self, output_id: str) -> None: ...
    def release_output(self, output_id: str) -> None: ...
    def source(self, source_id: str) -> Source: ...


class MediaUnavailable(RuntimeError):
    """The media engine is not running in this process (tests without media, or a stopped hall)."""


@dataclass
class MediaSettings:
    """Everything the configuration says about media (backend/config.py builds it)."""

    fps: int = 25
    timezone: str = "UTC"
    labels: bool = True
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    ice_servers: list[IceServer] = field(default_factory=list)  # empty: no STUN/TURN is ever contacted
    connect_timeout_s: float = 20.0
    cascade: list[PublishTarget] = field(default_factory=list)  # other centres' WHIP endpoints we publish to
    backoff: Backoff = field(default_factory=Backoff)  # between attempts of the cascade's links


class MediaServer:
    def __init__(self, wall: Wall, sources: Iterable[SourceSpec], settings: MediaSettings | None = None) -> None:
        self.wall = wall
        self.settings = settings or MediaSettings()
        self._source_specs = list(sources)
        self.engine: Engine | None = None  # set by start(), or by a test before it
        self.encoders = OutputEncoders(self, self.settings.encoder, self.settings.fps)
        self.whep = WhepEgress(self.encoders, self.peers("whep"))
        self.whip = WhipIngest(self.peers("whip"))
        self.cascade = Cascade(self, self.settings.cascade, self.settings.backoff)

    def peers(self, purpose: str) -> PeerSessions:
        """A set of peer connections with the configured ICE servers (one per endpoint: WHEP, WHIP, calls)."""
        return PeerSessions(self.settings.connect_timeout_s, self.settings.ice_servers, purpose)

    # -- life cycle ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.engine is not None

    def start(self) -> MediaEngine:
        """Build and start the engine (blocking: sources and threads start; call it in a thread)."""
        s = self.settings
        engine = MediaEngine(self.wall, self._source_specs, fps=s.fps, timezone=s.timezone, labels=s.labels)
        engine.start()
        self.engine = engine
        log.info("media server started", extra={"sources": len(self._source_specs),
                                                "screens": len(self.wall.screens)})
        return engine

    async def start_links(self) -> None:
        """Start pulling the whep:// sources (event loop, once the engine runs); targets start one by one
        (`cascade.publish`)."""
        await self.cascade.start_pulls()

    async def stop(self) -> None:
        await self.cascade.close()  # first: its sessions end at the other centres while the engine still runs
        await self.whep.close()
        await self.whip.close()
        engine, self.engine = self.engine, None
        if isinstance(engine, MediaEngine):
            await asyncio.to_thread(engine.stop)

    def _engine(self) -> Engine:
        if self.engine is None:
            raise MediaUnavailable("the media engine is not running")
        return self.engine

    def media_engine(self) -> MediaEngine:
        """The real engine (composition, runtime sources and outputs); MediaUnavailable without one."""
        engine = self._engine()
        if not isinstance(engine, MediaEngine):
            raise MediaUnavailable("this process runs a synthetic media engine")
        return engine

    # -- outputs (media.encoder.Outputs, for the encoders) -----------------------------------------------
    def output(self, output_id: str) -> LatestFrame:
        return self._engine().output(output_id)

    def acquire_output(self, output_id: str) -> None:
        self._engine().acquire_output(output_id)

    def release_output(self, output_id: str) -> None:
        if self.engine is not None:
            self.engine.release_output(output_id)

    # -- the wall, sources, outputs -------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        """Show this wall layout (blocking: the render plan is computed; call it in a thread)."""
        self.media_engine().set_layout(layout)

    def source(self, source_id: str) -> Source:
        return self._engine().source(source_id)

    def add_source(self, source: Source, name: str | None = None) -> None:
        self.media_engine().add_source(source, name)

    def remove_source(self, source_id: str) -> None:
        if isinstance(self.engine, MediaEngine):
            source = self.engine.remove_source(source_id)
            if source is not None:
                source.stop()

    def add_output(self, output_id: str, resolution: tuple[int, int], layout: Layout, kind: str) -> None:
        self.media_engine().add_output(output_id, resolution, layout, kind)

    def set_output_layout(self, output_id: str, layout: Layout) -> None:
        self.media_engine().set_output_layout(output_id, layout)

    def remove_output(self, output_id: str) -> None:
        if isinstance(self.engine, MediaEngine):
            self.engine.remove_output(output_id)

    # -- figures and pictures -------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """The engine's figures and the cascade's targets (`cascade`: by name, media.cascade.Cascade.health)."""
        return {**self.media_engine().health(), "cascade": self.cascade.health()}

    def delivery(self) -> dict[str, Any]:
        return {"encoders": self.encoders.stats(), "encoders_started": self.encoders.started,
                "whep_sessions": len(self.whep.sessions), "whip_sessions": len(self.whip.sessions),
                "cascade_sessions": len(self.cascade.out) + len(self.cascade.into)}

    async def snapshot_jpeg(self, id: str, width: int = 320) -> bytes:
        """A JPEG of a source or an output (KeyError if neither), made in a worker thread."""
        return await self.media_engine().snapshot_jpeg(id, width)
