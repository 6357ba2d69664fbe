"""WHIP publishers and WHEP players that are not ours: FFmpeg's whip muxer (inside PyAV's wheel) and the
npm `whip-whep` client in Chromium (fake camera), against the real application."""

from __future__ import annotations

import asyncio
import threading
import time

import av
import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend import appkeys
from backend.app import create_app
from backend.config import HallConfig
from media.sources.base import SourceConfigLite
from media.sources.whip import WhipSource

from .delivery_helpers import RGB, SyntheticEngine, SyntheticScreen, close_to, quad_frame, quadrant_rgb

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SOURCE = "feed-city-centre"


@pytest.fixture
async def hall(redis_url: str, demo_config: HallConfig):
    screens = {"lcd-1-1": SyntheticScreen(640, 360).start()}
    source = WhipSource(SourceConfigLite(SOURCE, f"whip://{SOURCE}"))
    source.want(1)
    app = create_app(demo_config, redis_url)
    app[appkeys.MEDIA].engine = SyntheticEngine(screens, {SOURCE: source})
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        client.source = source  # type: ignore[attr-defined]
        yield client
    for s in screens.values():
        s.stop()


def ffmpeg_publish(url: str, token: str, cert: tuple[str, str], seconds: float, stop: threading.Event,
                   colours=("green", "red", "white", "blue")) -> int:
    """Publish H.264 with FFmpeg's whip muxer (run in a thread: PyAV blocks). Returns frames sent."""
    out = av.open(url, mode="w", format="whip",
                  options={"cert_file": cert[0], "key_file": cert[1], "authorization": token,
                           "handshake_timeout": "10000"})
    try:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline",
                          "x264-params": "repeat-headers=1:keyint=25:bframes=0"}
        sent, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < seconds and not stop.is_set():
            frame = quad_frame(640, 360, colours).to_av()
            frame.pts = sent
            for packet in stream.encode(frame):
                out.mux(packet)
            sent += 1
            time.sleep(max(0.0, t0 + sent / 25 - time.monotonic()))
        return sent
    finally:
        out.close()


def to_rgb(frame) -> np.ndarray:
    import cv2

    i420 = np.concatenate([frame.y.reshape(-1), frame.u.reshape(-1), frame.v.reshape(-1)])
    return cv2.cvtColor(i420.reshape(frame.height * 3 // 2, frame.width), cv2.COLOR_YUV2RGB_I420)


async def test_ffmpeg_whip_muxer_publishes_into_the_source(hall, ecdsa_cert):
    from tests.conftest import login

    token = (await login(hall, "integration"))["Authorization"].removeprefix("Bearer ")
    stop = threading.Event()
    url = str(hall.make_url(f"/whip/{SOURCE}"))
    publisher = asyncio.ensure_future(asyncio.to_thread(ffmpeg_publish, url, token, ecdsa_cert, 20, stop))
    try:
        frame = await hall.source.latest.aget_newer(0, 15)
        assert frame is not None, "no frame from FFmpeg's whip muxer"
        for _ in range(5):
            frame = await hall.source.latest.aget_newer(frame.seq, 5)
        assert (frame.width, frame.height) == (640, 360)
        got = quadrant_rgb(to_rgb(frame))
        assert all(close_to(g, RGB[c]) for g, c in zip(got, ("green", "red", "white", "blue"), strict=False)), got
        assert hall.source.state() == "live"
    finally:
        stop.set()
        await publisher
    # FFmpeg ends with a DELETE of its session URL: the source is told the publisher left
    for _ in range(50):
        if hall.source.state() == "lost":
            break
        await asyncio.sleep(0.1)
    assert hall.source.state() == "lost"
    assert len(hall.app[appkeys.MEDIA].whip.sessions) == 0


# -- the npm whip-whep client in Chromium ------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]
BLANK_PAGE = ("<!doctype html><meta charset=utf-8><title>whip-whep</title>"
              "<video id=v autoplay muted playsinline></video>")

PUBLISH_JS = """async ([token]) => {
  const { WHIPClient } = await import("/vendor/whip-whep/whip.js");
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly" });
  const whip = new WHIPClient();
  await whip.publish(pc, location.origin + "/whip/feed-city-centre", token);
  window.whip = whip;
  return whip.resourceURL.pathname;
}"""

VIEW_JS = """async ([token]) => {
  const { WHEPClient } = await import("/vendor/whip-whep/whep.js");
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.ontrack = (ev) => {
    const v = document.getElementById("v");
    if (ev.track.kind === "video") v.srcObject = ev.streams[0] || new MediaStream([ev.track]);
  };
  const whep = new WHEPClient();
  await whep.view(pc, location.origin + "/whep/screens/lcd-1-1", token);
  window.whep = whep;
  return whep.resourceURL.pathname;
}"""


@pytest.fixture
async def browser_page(hall):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        base = str(hall.make_url("/"))
        # a page of the hall's own origin (the endpoints take no cross-origin calls)
        await page.route(base + "test/whip-whep.html", lambda route: route.fulfill(body=BLANK_PAGE,
                                                                                   content_type="text/html"))
        await page.goto(base + "test/whip-whep.html")
        yield page
        await browser.close()


async def test_the_npm_whip_client_publishes_chromiums_camera_into_the_source(hall, browser_page):
    from tests.conftest import login

    token = (await login(hall, "integration"))["Authorization"].removeprefix("Bearer ")
    resource = await browser_page.evaluate(PUBLISH_JS, [token])
    assert resource.startswith(f"/whip/{SOURCE}/sessions/")
    frame = await hall.source.latest.aget_newer(0, 15)
    assert frame is not None, "no frame from Chromium's fake camera"
    for _ in range(10):
        frame = await hall.source.latest.aget_newer(frame.seq, 5)
    assert (frame.width, frame.height) == (640, 480)
    assert frame.y.std() > 10  # the fake camera's moving picture, not a blank
    assert hall.source.state() == "live"
    await browser_page.evaluate("window.whip.stop()")
    for _ in range(50):
        if hall.source.state() == "lost":
            break
        await asyncio.sleep(0.1)
    assert hall.source.state() == "lost"


async def test_the_npm_whep_client_plays_a_screen(hall, browser_page):
    from tests.conftest import login

    token = (await login(hall, "operator1"))["Authorization"].removeprefix("Bearer ")
    resource = await browser_page.evaluate(VIEW_JS, [token])
    assert resource.startswith("/whep/screens/lcd-1-1/sessions/")
    from .test_delivery_browser import wait_colours

    got = await wait_colours(browser_page, ("red", "green", "blue", "white"), selector="#v", timeout=20)
    assert (got["w"], got["h"]) == (640, 360)
    await browser_page.evaluate("window.whep.stop()")
    for _ in range(50):
        if len(hall.app[appkeys.MEDIA].whep.sessions) == 0:
            break
        await asyncio.sleep(0.1)
    assert len(hall.app[appkeys.MEDIA].whep.sessions) == 0
