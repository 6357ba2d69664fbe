"""`hall demo`'s other command centres, simulated on this machine (`cascade.demo_feeds`): each publishes a picture of
its own (a pattern with the centre's name, a moving box and the time, encoded once) into one of the demo's WHIP
feeds over the hall's own URL, with our WHIP client as another hall's cascade target would, reconnecting with
backoff the same way. The feeds' own tokens (their whip:// URLs) let them in."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from media.encoder import EncoderSettings, OutputEncoders
from media.frames import LatestFrame
from media.links import Backoff
from media.server import MediaServer
from media.sources.base import SourceConfigLite
from media.sources.pattern import PatternSource
from media.sources.whip import publishing_token
from media.whip_client import WhipPublisher

from .config import HallConfig

log = logging.getLogger("hall.cascade.demo")

PICTURE = (640, 360)  # another centre's screen, as a feed on our wall
FPS = 10  # enough for a picture of another hall; the demo runs beside everything else on a small machine
ENCODER = EncoderSettings(bitrate_kbps=700, gop_seconds=1.0)


class CentrePictures:
    """The outputs of the simulated centres (media.encoder.Outputs): a pattern each, drawn only while published."""

    def __init__(self, names: dict[str, str]) -> None:
        w, h = PICTURE
        self.patterns = {fid: PatternSource(SourceConfigLite(fid, f"pattern://{name}?size={w}x{h}&fps={FPS}"))
                         for fid, name in names.items()}

    def output(self, output_id: str) -> LatestFrame:
        return self.patterns[output_id].latest

    def acquire_output(self, output_id: str) -> None:
        self.patterns[output_id].start()
        self.patterns[output_id].want(1)

    def release_output(self, output_id: str) -> None:
        self.patterns[output_id].want(0)

    def stop(self) -> None:
        for p in self.patterns.values():
            p.stop()


class DemoCentres:
    """Publishes every demo feed's picture into the hall at `base_url` until `stop()`."""

    def __init__(self, base_url: str, cfg: HallConfig, server: MediaServer) -> None:
        feeds = [s for s in cfg.sources if s.id in cfg.cascade.demo_feeds]
        self.pictures = CentrePictures({s.id: s.name for s in feeds})
        self.encoders = OutputEncoders(self.pictures, ENCODER, FPS)
        self.sessions = server.peers("demo-centres")
        self._verify_tls = not base_url.startswith("https://")  # `hall demo --lan`: the hall's own self-signed one
        self._http: aiohttp.ClientSession | None = None
        c = cfg.cascade
        backoff = Backoff(c.retry_s, c.quick_retries, c.retry_max_s)
        self.links = [WhipPublisher(f"demo:{s.id}", f"{base_url}/whip/{s.id}", lambda url=s.url: publishing_token(url),
                                    self.sessions, self.http, self.encoders, s.id, backoff=backoff) for s in feeds]

    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=None if self._verify_tls else False))
        return self._http

    def start(self) -> None:
        for link in self.links:
            link.start()
        if self.links:
            log.info("demo centres publishing", extra={"feeds": ",".join(link.output_id for link in self.links)})

    async def stop(self) -> None:
        await asyncio.gather(*(link.stop() for link in self.links), return_exceptions=True)
        await self.sessions.close()
        await asyncio.to_thread(self.encoders.close)
        await asyncio.to_thread(self.pictures.stop)
        if self._http is not None:
            await self._http.close()
