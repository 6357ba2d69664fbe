"""`hall bench soak`: calls and rooms made and ended again and again on one media server, watching what it keeps.

aiortc has known leaks (MediaRelay and recorder buffers kept after a peer leaves, decoder queues that grow when
the CPU is short: MEDIA.md), and a hall runs for months. One media server, as the hall runs it (glibc's malloc
arenas limited as `hall serve` limits them); each round makes a call (both sides: aiortc peers in a process of
their own, 640x480 cameras and voices both ways, as in `hall bench call`) and a room of four, holds them a few
seconds, ends them and forgets the call's ended camera, as the hall does when no window shows it. After each
round: the server's resident memory, threads, open files, asyncio tasks, and its sources, outputs and encoders.
The first rounds warm the allocators up; the figures compare the end of the run with the end of the warm-up (the
reference, in the same run): growth per round, and whether anything the rounds made is still there.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
from pathlib import Path
from typing import Any

from media.calls import CallMedia, CallVideo
from media.rooms import RoomMedia

from ..malloc import limit_arenas
from .harness import TARGET_FPS, media_server, with_peers

CALL_SIZE = (640, 480)


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _census(server: Any) -> dict[str, int]:
    gc.collect()
    health = server.media_engine().health()
    return {"rss_kib": _rss_kib(), "threads": threading.active_count(),
            "open_files": len(os.listdir("/proc/self/fd")), "tasks": len(asyncio.all_tasks()),
            "sources": len(health["sources"]), "outputs": len(health["screens"]) + len(health["outputs"]),
            "encoders": len(server.encoders.stats())}


async def _one_call(server: Any, index: int, seconds: float) -> None:
    media = CallMedia(server, f"soak{index}", "Commander", "Grid worker", CallVideo(CALL_SIZE, CALL_SIZE, 900))
    await asyncio.to_thread(media.start)

    async def join(path: str, offer: str) -> str:
        side = path.split("/")[1]
        return await media.join(side, offer, side)  # type: ignore[arg-type]

    async def ready() -> None:
        return None

    try:
        await with_peers("call", 1, seconds, 0.5, f"{CALL_SIZE[0]}x{CALL_SIZE[1]}", TARGET_FPS, server, join, ready,
                         lambda: [media.mixer])
    finally:
        await media.end()
        media.forget()


async def _one_room(server: Any, index: int, seconds: float, participants: int) -> None:
    room = RoomMedia(server, f"soak{index}")
    await asyncio.to_thread(room.start)

    async def join(pid: str, offer: str) -> str:
        return await room.join(pid, f"Participant {pid}", offer, pid, "small")

    async def ready() -> None:
        return None

    try:
        await with_peers("room", participants, seconds, 0.5, "640x360", 15, server, join, ready, lambda: [room.mixer])
    finally:
        await room.close()


async def soak(rounds: int, warmup_rounds: int, seconds: float, participants: int) -> dict[str, Any]:
    server = media_server()
    await asyncio.to_thread(server.start)
    try:
        start = _census(server)
        rows = []
        for i in range(rounds):
            await _one_call(server, i, seconds)
            await _one_room(server, i, seconds, participants)
            await asyncio.sleep(0.5)  # what ends in the background (peer connections closing) has ended
            row = {"round": i + 1, **_census(server)}
            rows.append(row)
            print(json.dumps({"bench": "soak-round", **row}), flush=True)
    finally:
        await server.stop()
    warm, end = rows[min(warmup_rounds, rounds) - 1], rows[-1]
    measured = end["round"] - warm["round"]
    per_round = round((end["rss_kib"] - warm["rss_kib"]) / measured) if measured else None
    left = {k: end[k] - start[k] for k in ("threads", "open_files", "tasks", "sources", "outputs", "encoders")}
    return {"bench": "soak", "rounds": rounds, "round": f"a call (640x480 both ways) and a room of {participants}, "
            f"{seconds:g} s each, ended", "calls_made": rounds, "peer_connections_made": rounds * (2 + participants),
            "rss_kib_start": start["rss_kib"], "rss_kib_after_warmup": warm["rss_kib"],
            "rss_kib_end": end["rss_kib"], "warmup_rounds": warm["round"],
            "rss_growth_kib_per_round_after_warmup": per_round,
            "rss_end_over_after_warmup": round(end["rss_kib"] / max(1, warm["rss_kib"]), 3),
            "left_over_start": left, "loadavg_1m": round(os.getloadavg()[0], 2)}


def main(rounds: int = 20, warmup_rounds: int = 5, seconds: float = 3.0, participants: int = 4) -> int:
    arenas = limit_arenas()  # as `hall serve` does (backend/malloc.py); MALLOC_ARENA_MAX=8 compares with glibc's own
    out = asyncio.run(soak(rounds, warmup_rounds, seconds, participants))
    out["malloc_arenas"] = arenas or os.environ.get("MALLOC_ARENA_MAX", "glibc default")
    print(json.dumps(out), flush=True)
    return 0
