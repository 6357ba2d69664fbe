"""The whole path with the real media engine: a WHIP publisher's picture is composed onto a screen
and comes out of that screen's WHEP egress, in the window's place."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend import appkeys
from backend.app import create_app
from backend.config import HallConfig
from layouts import Layout, Rect, Window
from media.engine import MediaEngine
from tests.conftest import login

from .delivery_helpers import RGB, Viewer, close_to, quadrant_rgb
from .test_delivery_routes import SDP, publish

pytestmark = pytest.mark.slow

SCREEN = "lcd-1-1"
FEED = "feed-city-centre"


@pytest.fixture
async def hall(redis_url: str, demo_config: HallConfig):
    app = create_app(demo_config, redis_url)
    engine = MediaEngine(app[appkeys.WALL], demo_config.sources, fps=25, timezone="UTC", labels=False)
    app[appkeys.MEDIA].engine = engine
    engine.start()
    try:
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        await asyncio.to_thread(engine.stop)


async def test_a_whip_feed_on_the_left_half_of_a_screen_reaches_its_whep_viewers(hall):
    screen = hall.app[appkeys.WALL].screen(SCREEN)
    c = screen.canvas
    hall.app[appkeys.MEDIA].set_layout(Layout(windows=[
        # fill: the feed's quadrants over the whole window, whatever its proportions (delivery is under test here)
        Window(id="feed", kind="video", rect=Rect(c.x, c.y, c.w // 2, c.h), source=FEED, fit="fill")]))

    pub, resp = await publish(hall, FEED, await login(hall, "integration"))  # yellow, blue / green, red
    viewer = Viewer()
    try:
        assert resp.status == 201, await resp.text()
        await pub.accept(await resp.text())
        resp = await hall.post(f"/whep/screens/{SCREEN}", data=await viewer.offer(),
                               headers={**SDP, **await login(hall, "operator1")})
        assert resp.status == 201, await resp.text()
        await viewer.accept(await resp.text())
        want = ["yellow", "blue", "green", "red"]
        got = None
        for _ in range(150):  # up to ~6 s of frames: publisher connect, compose, encode, deliver
            frame = await viewer.frame()
            rgb = frame.to_ndarray(format="rgb24")
            got = quadrant_rgb(rgb[:, : rgb.shape[1] // 2])  # the window: the left half of the screen
            if all(close_to(g, RGB[w]) for g, w in zip(got, want, strict=False)):
                break
        else:
            raise AssertionError(f"the feed never showed on the screen: {got}")
        assert (frame.width, frame.height) == tuple(screen.resolution)
        health = hall.app[appkeys.MEDIA].health()
        assert health["sources"][FEED]["state"] == "live"
        assert health["screens"][SCREEN]["viewers"] == 1
    finally:
        await viewer.close()
        await pub.pc.close()
