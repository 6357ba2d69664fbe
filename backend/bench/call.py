"""`hall bench call`: video calls through our media server on this machine.

Two parts, one JSON line:
- In real headless Chromium (the console and the field page, as a commander and a worker use them), 10 calls one
  after another on loopback: from the commander's click to the first decoded frame on each side, p50 and p95
  (backend/bench/call_pages.py).
- With aiortc peers in a process of their own (backend/bench/peers.py: 640x480 cameras both ways), growing numbers
  of concurrent calls: the server's CPU per active call and the most calls 2 cores hold at full frame rate. Side by
  side, the reference: the same calls through aiortc's stock path (each side's track relayed to the other and
  encoded by aiortc's own sender, its default VP8, the voices relayed without a mixer), as a plain aiortc server
  would do it.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.calls import CallMedia, CallVideo

from .harness import TARGET_FPS, media_server, with_peers

SIZE = (640, 480)
STEPS = [1, 2, 4, 6, 8, 10, 12, 16]


class _Later(MediaStreamTrack):
    """The other side's track, once it arrives (the answer is made before the other side has joined)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.source: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

    async def recv(self):  # type: ignore[no-untyped-def]
        if self.readyState != "live":
            raise MediaStreamError
        return await (await self.source).recv()


class StockCall:
    """The reference: a call as a plain aiortc server makes one: each side's camera and voice relayed to the
    other, aiortc's sender encoding the picture (VP8 by default), no mixer, no composition."""

    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.pcs: list[RTCPeerConnection] = []
        self.later: dict[str, dict[str, _Later]] = {}

    async def join(self, side: str, offer: str) -> str:
        other = "callee" if side == "caller" else "caller"
        pc = RTCPeerConnection()
        self.pcs.append(pc)
        mine = self.later.setdefault(side, {"video": _Later("video"), "audio": _Later("audio")})
        theirs = self.later.setdefault(other, {"video": _Later("video"), "audio": _Later("audio")})

        @pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            if not theirs[track.kind].source.done():
                theirs[track.kind].source.set_result(self.relay.subscribe(track))

        pc.addTransceiver(mine["video"], direction="sendonly")  # made ahead, as media/calls.py does (BUNDLE)
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        pc.addTrack(mine["audio"])
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    async def end(self) -> None:
        for pc in self.pcs:
            await pc.close()


async def run_calls(k: int, reference: bool, seconds: float, warmup: float) -> dict[str, Any]:
    server = media_server()
    await asyncio.to_thread(server.start)
    calls: list[Any] = []
    for i in range(k):
        if reference:
            calls.append(StockCall())
        else:
            media = CallMedia(server, f"b{i}", "Commander", "Grid worker", CallVideo(SIZE, SIZE, 900))
            await asyncio.to_thread(media.start)
            calls.append(media)

    async def join(path: str, offer: str) -> str:
        index, side = path.split("/")
        call = calls[int(index)]
        return await (call.join(side, offer) if reference else call.join(side, offer, side))

    async def ready() -> None:
        return None

    try:
        window, seen = await with_peers("call", k, seconds, warmup, f"{SIZE[0]}x{SIZE[1]}", TARGET_FPS, server,
                                        join, ready, lambda: [] if reference else [c.mixer for c in calls])
    finally:
        for call in calls:
            await call.end()
        await server.stop()
    held = seen["fps_received_min"] >= 0.9 * TARGET_FPS
    return {"calls": k, "server_cpu_cores": window.cpu_cores, "cpu_per_call": round(window.cpu_cores / k, 3),
            "fps_received_min": seen["fps_received_min"], "g2g_ms_p50": seen["g2g_ms_p50"],
            "g2g_ms_p95": seen["g2g_ms_p95"], "peers_cpu_cores": seen["peers_cpu_cores"], "held": held}


async def capacity(reference: bool, seconds: float, warmup: float, max_calls: int) -> dict[str, Any]:
    """Calls added until the frame rate is no longer held (each failed step tried once more: shared machines)."""
    rows: list[dict[str, Any]] = []
    for k in [s for s in STEPS if s <= max_calls]:
        row = await run_calls(k, reference, seconds, warmup)
        if not row["held"]:
            row = await run_calls(k, reference, seconds, warmup)
        rows.append(row)
        print(json.dumps({"bench": "call-step", "reference": reference, **row}), flush=True)
        if not row["held"]:
            break
    held = [r for r in rows if r["held"]]
    # the CPU alone: cores(k) = a + b*k through the smallest and largest run that held, to 90% of 2 cores
    estimate = None
    if len(held) >= 2 and held[-1]["calls"] > held[0]["calls"]:
        k0, c0, k1, c1 = held[0]["calls"], held[0]["server_cpu_cores"], held[-1]["calls"], held[-1]["server_cpu_cores"]
        b = (c1 - c0) / (k1 - k0)
        if b > 0:
            estimate = int((0.9 * 2 - (c0 - b * k0)) / b)
    per_call = [r["cpu_per_call"] for r in held] or [rows[0]["cpu_per_call"]]
    return {"max_calls_held": held[-1]["calls"] if held else 0, "cpu_per_call": round(min(per_call), 3),
            "cpu_bound_estimate_2_cores": estimate, "steps": rows}


def main(seconds: float = 8, warmup: float = 3, max_calls: int = 16, pages: int = 10, reference: bool = True) -> int:
    out: dict[str, Any] = {"bench": "call", "video": f"{SIZE[0]}x{SIZE[1]} both ways", "fps_target": TARGET_FPS}
    if pages:
        from .call_pages import click_to_first_frame
        out["click_to_first_frame"] = asyncio.run(click_to_first_frame(pages))
    ours = asyncio.run(capacity(False, seconds, warmup, max_calls))
    out.update({k: v for k, v in ours.items() if k != "steps"})
    if reference:
        ref = asyncio.run(capacity(True, seconds, warmup, max_calls))
        out["reference"] = {"mode": "aiortc's stock relay (VP8 by aiortc's sender, no mixer)",
                            **{k: v for k, v in ref.items() if k != "steps"}}
        out["cpu_per_call_ratio_reference_over_ours"] = round(ref["cpu_per_call"] / max(ours["cpu_per_call"], 1e-6),
                                                              2)
    out["loadavg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out), flush=True)
    return 0
