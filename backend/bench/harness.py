"""What `hall bench room` and `hall bench call` share: a media server in this process, the pages as aiortc peers
in another (backend/bench/peers.py) joining through a small signalling app, and the server's figures over the
same window the peers measure (after the same warm-up)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from layouts import SpliceBlock, WallSpec, build_wall
from media.audio import AudioMixer
from media.encoder import EncoderSettings
from media.server import MediaServer, MediaSettings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET_FPS = 25  # the hall's output frame rate (media.fps)


def media_server() -> MediaServer:
    """A media server as the hall runs one (its default encoder settings), with a small wall nobody watches."""
    wall = build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(id="b", kind="lcd", rows=1, cols=1,
                                                                origin_mm=(0, 0), panel_size_mm=(640, 360),
                                                                resolution=(640, 360))]))
    return MediaServer(wall, [], MediaSettings(fps=TARGET_FPS, labels=True, encoder=EncoderSettings()))


@dataclass
class Window:
    wall_s: float
    cpu_cores: float
    encoders: int
    fps_encoded: float  # per encoder
    mix_ms_per_tick: float
    late_ticks: int


async def with_peers(kind: str, n: int, seconds: float, warmup: float, camera: str, camera_fps: int,
                     server: MediaServer, join: Callable[[str, str], Awaitable[str]],
                     ready: Callable[[], Awaitable[None]], mixers: Callable[[], list[AudioMixer]],
                     ) -> tuple[Window, dict[str, Any]]:
    """Run the peers against `join(path, offer) -> answer`; `ready()` once they all joined; then measure."""
    all_in = asyncio.Event()

    async def on_join(request: web.Request) -> web.Response:
        answer = await join(request.match_info["path"], await request.text())
        return web.Response(status=201, text=answer, content_type="application/sdp")

    async def on_ready(request: web.Request) -> web.Response:
        await ready()
        all_in.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/join/{path:.+}", on_join)
    app.router.add_post("/ready", on_ready)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    peers = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.bench.peers", kind, f"http://127.0.0.1:{port}", str(n), str(seconds),
        str(warmup), camera, str(camera_fps), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        await asyncio.wait_for(all_in.wait(), 60 + 3 * n)
        await asyncio.sleep(warmup)

        def counters() -> tuple[float, float, int, float, int, int]:
            encoded = sum(int(e["frames_encoded"]) for e in server.encoders.stats())
            ms = mixers()
            return (time.monotonic(), time.process_time(), encoded, sum(m.mix_seconds for m in ms),
                    sum(m.ticks for m in ms), sum(m.late_ticks for m in ms))

        t0, cpu0, enc0, mix0, ticks0, late0 = counters()
        await asyncio.sleep(seconds)
        t1, cpu1, enc1, mix1, ticks1, late1 = counters()
        encoders = len(server.encoders.stats())
        out, err = await asyncio.wait_for(peers.communicate(), 60 + 2 * n)
        if peers.returncode != 0:
            raise RuntimeError(f"the peers failed: {err.decode()[-2000:]}")
        seen = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        if peers.returncode is None:
            peers.kill()
            await peers.wait()
        await runner.cleanup()
    wall_s = t1 - t0
    return Window(wall_s, round((cpu1 - cpu0) / wall_s, 3), encoders,
                  round((enc1 - enc0) / wall_s / max(encoders, 1), 1),
                  round((mix1 - mix0) * 1000 / max(ticks1 - ticks0, 1), 3), late1 - late0), seen
