"""`hall bench latency`: glass-to-glass latency of the wall's video path, measured end to end on this machine:
pattern source (timecode drawn at capture) -> compositor -> our encoder -> WebRTC (WHEP) ->
real headless Chromium, which reads the timecode back from every presented frame."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from aiohttp import web

from layouts import Layout, Rect, ScreenSpec, WallSpec, Window, build_wall
from media.encoder import EncoderSettings, OutputEncoders
from media.engine import MediaEngine
from media.sources.base import SourceConfigLite
from media.sources.pattern import TIMECODE_BAND, TIMECODE_BITS, TIMECODE_CELLS
from media.whep import WhepEgress

WALL_DIR = Path(__file__).resolve().parents[2] / "wall"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]

# The page plays the screen with the kiosk's own WHEP player, and on every presented frame
# (requestVideoFrameCallback) reads the pattern's timecode band (media/sources/pattern.py).
PAGE = """<!doctype html><meta charset="utf-8"><title>latency</title>
<video id="v" autoplay muted playsinline style="width:480px;height:270px"></video>
<script type="module">
import { playWhep } from "/whep-player.js";
const BAND0 = %(band0)s, CELLS = %(cells)d, BITS = %(bits)d;
const v = document.getElementById("v");
const canvas = document.createElement("canvas");
const g = canvas.getContext("2d", { willReadFrequently: true });
window.samples = []; window.unreadable = 0; window.recording = false;
playWhep(v, "/whep", {});
function parity(x) { let p = 0; for (let i = 0; i < 8; i++) p ^= (x >>> (4 * i)) & 15; return p; }
function readCode() {
  const w = v.videoWidth, h = v.videoHeight;
  if (!w) return null;
  const y0 = Math.floor(h * BAND0), bh = h - y0;
  if (canvas.width !== w) { canvas.width = w; canvas.height = bh; }
  g.drawImage(v, 0, y0, w, bh, 0, 0, w, bh);
  const row = g.getImageData(0, Math.floor(bh / 2), w, 1).data;
  const means = [];
  for (let i = 0; i < CELLS; i++) {
    const x0 = Math.floor((i + 0.3) * w / CELLS), x1 = Math.max(Math.floor((i + 0.7) * w / CELLS), x0 + 1);
    let s = 0;
    for (let x = x0; x < x1; x++) s += row[4 * x + 1];   // grey cells: green is the luma
    means.push(s / (x1 - x0));
  }
  if (means[0] - means[1] < 60) return null;
  const thr = (means[0] + means[1]) / 2;
  let value = 0, par = 0;
  for (let i = 0; i < BITS; i++) value = ((value << 1) | (means[2 + i] > thr ? 1 : 0)) >>> 0;
  for (let i = 0; i < 4; i++) par = (par << 1) | (means[2 + BITS + i] > thr ? 1 : 0);
  return par === parity(value) ? value : null;
}
function onFrame(now, meta) {
  const code = readCode();
  if (window.recording) {
    if (code === null) window.unreadable++;
    else {
      let d = ((Date.now() >>> 0) - code) >>> 0;
      if (d >= 2 ** 31) d -= 2 ** 32;
      window.samples.push(d);
    }
  }
  v.requestVideoFrameCallback(onFrame);
}
v.requestVideoFrameCallback(onFrame);
</script>"""


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


async def measure_latency(seconds: float = 10.0, size: tuple[int, int] = (1920, 1080), fps: int = 25,
                          settings: EncoderSettings | None = None, chromium: str = "/usr/bin/chromium",
                          warmup_s: float = 3.0) -> dict:
    """Run the whole path for `seconds` (after a warm-up) and return the figures."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # a test dependency: pip install -e .[test]
        raise RuntimeError("the latency bench needs Playwright (pip install -e '.[test]') and Chromium") from None
    w, h = size
    wall = build_wall(WallSpec(px_per_mm=1, screens=[
        ScreenSpec(id="bench", kind="lcd", resolution=(w, h), size_mm=(w, h), position_mm=(0, 0))]))
    engine = MediaEngine(wall, [SourceConfigLite("pattern", f"pattern://latency?size={w}x{h}&fps={fps}")],
                         fps=fps, timezone="UTC", labels=False)
    engine.set_layout(Layout(windows=[Window(id="all", kind="video", rect=Rect(0, 0, w, h), source="pattern")]))
    engine.start()
    egress = WhepEgress(OutputEncoders(engine, settings or EncoderSettings(), fps))

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE % {"band0": TIMECODE_BAND[0], "cells": TIMECODE_CELLS, "bits": TIMECODE_BITS},
                            content_type="text/html")

    async def whep(request: web.Request) -> web.Response:
        session, answer = await egress.start("bench", await request.text(), "bench")
        return web.Response(status=201, text=answer, content_type="application/sdp",
                            headers={"Location": f"/whep/{session.id}"})

    async def end(request: web.Request) -> web.Response:
        await egress.end(request.match_info["sid"])
        return web.Response(status=200)

    async def player(request: web.Request) -> web.FileResponse:
        return web.FileResponse(WALL_DIR / "whep-player.js")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_post("/whep", whep)
    app.router.add_delete("/whep/{sid}", end)
    app.router.add_get("/whep-player.js", player)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                pg = await browser.new_page()
                await pg.goto(f"http://127.0.0.1:{port}/")
                await pg.wait_for_function("document.getElementById('v').videoWidth > 0", timeout=20_000)
                await asyncio.sleep(warmup_s)
                cpu0, t0 = time.process_time(), time.monotonic()
                await pg.evaluate("window.recording = true")
                await asyncio.sleep(seconds)
                await pg.evaluate("window.recording = false")
                cpu, wall_s = time.process_time() - cpu0, time.monotonic() - t0
                samples = await pg.evaluate("window.samples")
                unreadable = await pg.evaluate("window.unreadable")
                enc = (egress.encoders.stats() or [{}])[0]
            finally:
                await browser.close()
    finally:
        await egress.close()
        await runner.cleanup()
        await asyncio.to_thread(engine.stop)
    if not samples:
        raise RuntimeError(f"no timecode read back in Chromium ({unreadable} frames unreadable)")
    return {
        "bench": "latency",
        "size": f"{w}x{h}", "fps": fps, "preset": (settings or EncoderSettings()).preset,
        "frames": len(samples), "unreadable": unreadable,
        "presented_fps": round(len(samples) / seconds, 1),
        "p50_ms": round(_percentile(samples, 0.5), 1),
        "p95_ms": round(_percentile(samples, 0.95), 1),
        "mean_ms": round(statistics.fmean(samples), 1),
        "min_ms": min(samples), "max_ms": max(samples),
        "encode_ms": enc.get("last_encode_ms"),
        "server_cpu_cores": round(cpu / wall_s, 2),
        "target_p50_ms": 150,
    }
