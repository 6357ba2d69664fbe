"""`hall bench room`: the consultation room's MCU on this machine with 4, 9 and 16 participants at 640x360.

The server (our media server and one room) runs in this process; the participants (backend/bench/peers.py,
aiortc peers sending a 640x360 camera and a voice, receiving the room's 640x360 picture and their mix) in
another, so the CPU figure is the server's alone. Printed for each size, one JSON line: the server's CPU (cores),
the frame rate the room's picture is encoded and received at, the audio mixing time per 20 ms tick, and the
glass-to-glass latency of the composed stream (the probe's capture time, read back from the room's picture).

Side by side in the same run, the reference: the same room composed and encoded once per participant (an MCU
that makes each participant a picture of their own, as aiortc does by default with one encoder per sender), so
the ratio shows what composing and encoding once per picture size saves.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from media.rooms import SIZES, RoomMedia

from .harness import TARGET_FPS, media_server, with_peers


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
            self.server.set_output_layout(oid, self._layout(SIZES[key.split("#")[0]]))


async def run_one(n: int, reference: bool, seconds: float, warmup: float) -> dict[str, Any]:
    server = media_server()
    await asyncio.to_thread(server.start)
    room = (PerParticipantRoom if reference else RoomMedia)(server, "bench")
    await asyncio.to_thread(room.start)

    async def join(pid: str, offer: str) -> str:
        return await room.join(pid, f"Participant {pid}", offer, pid, "small")

    async def ready() -> None:
        await room.set_spotlight("p0")  # the probe large: its capture time readable in everyone's picture

    try:
        window, seen = await with_peers("room", n, seconds, warmup, "640x360", 15, server, join, ready,
                                        lambda: [room.mixer])
    finally:
        await room.close()
        await server.stop()
    return {"server_cpu_cores": window.cpu_cores, "encoders": window.encoders, "fps_encoded": window.fps_encoded,
            "mix_ms_per_tick": window.mix_ms_per_tick, "late_ticks": window.late_ticks, **seen}


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
    return 0 if asyncio.run(run(sizes, seconds, warmup, reference)) else 1
