"""`hall bench room`: the consultation room's MCU on this machine with 4, 9 and 16 participants at 640x360.

The server (our media server and one room) runs in this process; the participants (backend/bench/room_peers.py,
aiortc peers sending a 640x360 camera and a voice, receiving the room's 640x360 picture and their mix) in
another, so the CPU figure is the server's alone. Printed for each size, one JSON line: the server's CPU (cores),
the frame rate the room's picture is encoded and received at, the audio mixing time per 20 ms tick, and the
glass-to-glass latency of the composed stream (the probe's camera capture time, read back from the room's
picture it receives).

Side by side in the same run, the reference: the same room composed and encoded once per participant (an MCU
that makes each participant a picture of their own, as aiortc does by default with one encoder per sender), so
the ratio shows what composing and encoding once per picture size saves.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

from aiohttp import web

from layouts import SpliceBlock, WallSpec, build_wall
from media.encoder import EncoderSettings
from media.rooms import SIZES, RoomMedia
from media.server import MediaServer, MediaSettings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET_FPS = 25


class PerParticipantRoom(RoomMedia):
    """The reference: every participant their own composition and their own encoder."""

    _joining: str | None = None

    async def join(self, pid: str, name: str, offer_sdp: str, owner: str, size: str = "large") -> str:
        self._joining = pid
        try:
            return await super().join(pid, name, offer_sdp, owner, size)
        finally:
            self._joining = None

    def _output(self, size_name: str) -> str:
        key = size_name if self._joining is None else f"{size_name}#{self._joining}"
        oid = self.outputs.get(key)
        if oid is None:
            oid = f"room:{self.id}@{key}"
            self.server.add_output(oid, SIZES[size_name], self._layout(SIZES[size_name]), kind="room")
            self.outputs[key] = oid
        return oid

    def relayout(self) -> None:
        for key, oid in self.outputs.items():
            size = SIZES[key.split("#")[0]]
            self.server.set_output_layout(oid, self._layout(size))


def _server() -> MediaServer:
    wall = build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(id="b", kind="lcd", rows=1, cols=1,
                                                                origin_mm=(0, 0), panel_size_mm=(640, 360),
                                                                resolution=(640, 360))]))
    settings = MediaSettings(fps=TARGET_FPS, labels=True, encoder=EncoderSettings())  # the hall's defaults
    return MediaServer(wall, [], settings)


async def run_one(n: int, reference: bool, seconds: float, warmup: float) -> dict[str, Any]:
    server = _server()
    await asyncio.to_thread(server.start)
    room = (PerParticipantRoom if reference else RoomMedia)(server, "bench")
    await asyncio.to_thread(room.start)
    ready = asyncio.Event()

    async def join(request: web.Request) -> web.Response:
        pid = request.match_info["pid"]
        answer = await room.join(pid, f"Participant {pid}", await request.text(), pid, "small")
        return web.Response(status=201, text=answer, content_type="application/sdp")

    async def go(request: web.Request) -> web.Response:
        await room.set_spotlight("p0")  # the probe large: its capture time readable in everyone's picture
        ready.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/join/{pid}", join)
    app.router.add_post("/ready", go)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    peers = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.bench.room_peers", f"http://127.0.0.1:{port}", str(n), str(seconds),
        str(warmup), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        await asyncio.wait_for(ready.wait(), 60 + 3 * n)
        await asyncio.sleep(warmup)

        def counters() -> tuple[float, float, int, float, int]:
            encoded = sum(int(e["frames_encoded"]) for e in server.encoders.stats())
            return (time.monotonic(), time.process_time(), encoded, room.mixer.mix_seconds, room.mixer.ticks)

        t0, cpu0, enc0, mix0, ticks0 = counters()
        await asyncio.sleep(seconds)
        t1, cpu1, enc1, mix1, ticks1 = counters()
        encoders = len(server.encoders.stats())
        out, err = await asyncio.wait_for(peers.communicate(), 60)
        if peers.returncode != 0:
            raise RuntimeError(f"the participants failed: {err.decode()[-2000:]}")
        seen = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        if peers.returncode is None:
            peers.kill()
            await peers.wait()
        await room.close()
        await runner.cleanup()
        await server.stop()
    wall_s = t1 - t0
    return {"server_cpu_cores": round((cpu1 - cpu0) / wall_s, 3), "encoders": encoders,
            "fps_encoded": round((enc1 - enc0) / wall_s / max(encoders, 1), 1),
            "mix_ms_per_tick": round((mix1 - mix0) * 1000 / max(ticks1 - ticks0, 1), 3),
            "late_ticks": room.mixer.late_ticks, **seen}


async def run(sizes: list[int], seconds: float, warmup: float, reference: bool) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        ours = await run_one(n, False, seconds, warmup)
        row: dict[str, Any] = {"bench": "room", "participants": n, "picture": "640x360", "camera": "640x360@15",
                               "fps_target": TARGET_FPS, **ours,
                               "real_time": ours["fps_received_min"] >= 0.9 * TARGET_FPS and not ours["late_ticks"]}
        if reference:
            ref = await run_one(n, True, seconds, warmup)
            row["reference"] = {"mode": "composed and encoded once per participant",
                                **{k: ref[k] for k in ("server_cpu_cores", "encoders", "fps_encoded",
                                                       "fps_received_min", "g2g_ms_p50", "g2g_ms_p95")}}
            row["cpu_ratio_reference_over_ours"] = round(ref["server_cpu_cores"] / max(ours["server_cpu_cores"],
                                                                                         1e-6), 2)
        row["loadavg_1m"] = round(os.getloadavg()[0], 2)
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main(sizes: list[int], seconds: float = 10, warmup: float = 4, reference: bool = True) -> int:
    rows = asyncio.run(run(sizes, seconds, warmup, reference))
    return 0 if rows else 1
