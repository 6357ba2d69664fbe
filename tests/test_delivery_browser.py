"""Real Chromium plays the screens over WHEP: the kiosk page and its reconnects, read back pixel by pixel."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import async_playwright

from backend import appkeys
from backend.app import create_app
from backend.config import HallConfig

from .delivery_helpers import RGB, SyntheticEngine, SyntheticScreen, await_js, close_to

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]
SCREEN = "lcd-1-1"

# Draw the <video> to a canvas and read the middle of each quadrant (TL, TR, BL, BR).
READ_QUADRANTS = """(sel) => {
  const v = document.querySelector(sel);
  if (!v || !v.videoWidth) return null;
  const c = document.createElement("canvas");
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(v, 0, 0);
  const out = [];
  for (const [fx, fy] of [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]) {
    const d = g.getImageData(Math.floor(c.width * fx) - 4, Math.floor(c.height * fy) - 4, 8, 8).data;
    let r = 0, gg = 0, b = 0;
    for (let i = 0; i < d.length; i += 4) { r += d[i]; gg += d[i + 1]; b += d[i + 2]; }
    const n = d.length / 4;
    out.push([Math.round(r / n), Math.round(gg / n), Math.round(b / n)]);
  }
  return { w: v.videoWidth, h: v.videoHeight, q: out };
}"""


@pytest.fixture
async def browser():
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
async def hall(redis_url: str, demo_config: HallConfig):
    screens = {SCREEN: SyntheticScreen(640, 360).start(), "lcd-1-2": SyntheticScreen(640, 360).start()}
    app = create_app(demo_config, redis_url)
    app[appkeys.MEDIA].engine = SyntheticEngine(screens)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        client.engine = app[appkeys.MEDIA].engine  # type: ignore[attr-defined]
        yield client
    for s in screens.values():
        s.stop()


async def wait_colours(page, want: tuple[str, ...], selector: str = "#screen-video", timeout: float = 15) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    got = None
    while asyncio.get_running_loop().time() < deadline:
        got = await page.evaluate(READ_QUADRANTS, selector)
        if got and all(close_to(tuple(q), RGB[c]) for q, c in zip(got["q"], want, strict=False)):
            return got
        await asyncio.sleep(0.2)
    raise AssertionError(f"video never showed {want}: last read {got}")


async def test_the_kiosk_page_plays_its_screen_and_shows_the_colours_fed_in(hall, browser):
    token = await hall.app[appkeys.USERS].screen_token(SCREEN)
    page = await browser.new_page(viewport={"width": 960, "height": 540})
    await page.goto(str(hall.make_url(f"/wall/screens/{SCREEN}?token={token}")))
    await await_js(page, "document.body.classList.contains('video-live')", timeout=20)
    assert not await page.locator("#screen-video").is_hidden()
    got = await wait_colours(page, ("red", "green", "blue", "white"))
    assert (got["w"], got["h"]) == (640, 360)
    # what the compositor puts out next reaches the page
    hall.engine.screens[SCREEN].colours = ("blue", "yellow", "white", "red")
    await wait_colours(page, ("blue", "yellow", "white", "red"), timeout=5)
    await page.close()
    await asyncio.sleep(0.5)
    assert hall.engine.acquired[SCREEN] == 0  # the page's DELETE (or the dead connection) released it


async def test_two_pages_on_one_screen_cost_one_encode(hall, browser):
    token = await hall.app[appkeys.USERS].screen_token(SCREEN)
    pages = []
    for _ in range(2):
        page = await browser.new_page(viewport={"width": 480, "height": 270})
        await page.goto(str(hall.make_url(f"/wall/screens/{SCREEN}?token={token}")))
        pages.append(page)
    for page in pages:
        await await_js(page, "document.body.classList.contains('video-live')", timeout=20)
        await wait_colours(page, ("red", "green", "blue", "white"))
    [enc] = hall.app[appkeys.MEDIA].whep.encoders.stats()
    assert enc["viewers"] == 2
    screen = hall.engine.screens[SCREEN]
    put0, enc0 = screen.frames_put, enc["frames_encoded"]
    await asyncio.sleep(2)
    [enc] = hall.app[appkeys.MEDIA].whep.encoders.stats()
    put, encoded = screen.frames_put - put0, enc["frames_encoded"] - enc0
    assert put >= 40 and encoded <= put + 2, (put, encoded)
    for page in pages:
        await page.close()


async def test_the_kiosk_page_reconnects_after_its_session_is_cut(hall, browser):
    token = await hall.app[appkeys.USERS].screen_token(SCREEN)
    page = await browser.new_page(viewport={"width": 480, "height": 270})
    await page.goto(str(hall.make_url(f"/wall/screens/{SCREEN}?token={token}")))
    await await_js(page, "document.body.classList.contains('video-live')", timeout=20)
    await wait_colours(page, ("red", "green", "blue", "white"))
    egress = hall.app[appkeys.MEDIA].whep
    [old] = egress.sessions.of(SCREEN)
    await old.end()  # as if the server had restarted: the page's peer connection dies
    hall.engine.screens[SCREEN].colours = ("white", "blue", "yellow", "green")
    await wait_colours(page, ("white", "blue", "yellow", "green"), timeout=25)
    [new] = egress.sessions.of(SCREEN)
    assert new.id != old.id
    await page.close()


async def test_latency_bench_reads_the_timecode_back_in_chromium():
    """`hall bench latency` end to end, small and short: it measures (figures are printed, not asserted)."""
    from backend.bench.latency import measure_latency

    r = await measure_latency(seconds=2, size=(640, 360), warmup_s=1)
    assert r["frames"] > 10 and r["p50_ms"] > 0 and r["p95_ms"] >= r["p50_ms"]
    print(r)
