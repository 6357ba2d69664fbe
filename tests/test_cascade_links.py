"""The cascade's links with real peers: our WHIP client publishing into another hall's /whip endpoint, and a
whep:// source pulling another hall's screen; their backoff, health, and what they leave behind."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend import appkeys
from backend.app import create_app
from backend.config import HallConfig
from layouts import SpliceBlock, WallSpec, build_wall
from layouts.geometry import Rect
from layouts.window import Layout, Window
from media.cascade import PublishTarget
from media.links import Backoff
from media.server import MediaServer, MediaSettings
from media.sources.base import SourceConfigLite
from media.sources.pattern import decode_timecode, timecode_latency_ms
from media.sources.whep import WhepSource, endpoint_of
from media.sources.whip import WhipSource
from tests.conftest import free_port, login, seed_demo_users, token_of

from .delivery_helpers import RGB, SyntheticEngine, SyntheticScreen, close_to, quadrant_rgb
from .test_delivery_whip_clients import to_rgb

pytestmark = pytest.mark.slow

FEED = "feed-street-east"  # the demo's WHIP feed with a token of its own in these tests
FEED_TOKEN = "east-secret-token"
QUICK = Backoff(first_s=0.3, quick=2, max_s=1.0)


class OtherCentre:
    """Another hall on a port of its own (stoppable and restartable there): the real application with a synthetic
    engine: one screen of coloured quadrants (for WHEP) and the demo's WHIP feed (for WHIP)."""

    def __init__(self, redis_url: str, cfg: HallConfig, port: int) -> None:
        self.redis_url, self.cfg, self.port = redis_url, cfg, port
        self.screen = SyntheticScreen(320, 180, colours=("red", "green", "blue", "white")).start()
        self.feed = WhipSource(SourceConfigLite(FEED, f"whip://{FEED}?token={FEED_TOKEN}"))
        self.feed.want(1)
        self.client: TestClient | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> OtherCentre:
        app = create_app(self.cfg, self.redis_url, bootstrap_users=False)
        app[appkeys.MEDIA].engine = SyntheticEngine({"lcd-1-1": self.screen}, {FEED: self.feed})
        self.client = TestClient(TestServer(app, host="127.0.0.1", port=self.port))
        await self.client.start_server()
        return self

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()  # its media server ends every session (the peers see them close)
            self.client = None

    @property
    def media(self) -> MediaServer:
        assert self.client is not None
        return self.client.app[appkeys.MEDIA]


@pytest.fixture
async def centre_cfg(redis_url: str, demo_config: HallConfig) -> HallConfig:
    await seed_demo_users(redis_url, demo_config)
    return demo_config.model_copy(update={"sources": [
        s.model_copy(update={"url": f"whip://{FEED}?token={FEED_TOKEN}"}) if s.id == FEED else s
        for s in demo_config.sources]})


@pytest.fixture
async def other(redis_url: str, centre_cfg: HallConfig):
    centre = await OtherCentre(redis_url, centre_cfg, free_port()).start()
    yield centre
    await centre.stop()
    centre.screen.stop()


def small_wall():
    return build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(id="s", kind="lcd", rows=1, cols=1, origin_mm=(0, 0),
                                                                panel_size_mm=(640, 360), resolution=(640, 360))]))


@pytest.fixture
async def ours(monkeypatch: pytest.MonkeyPatch):
    """Our hall's media server: one 640x360 screen showing a pattern camera full-screen (its timecode readable
    wherever the whole picture arrives); targets are added by each test."""
    monkeypatch.setenv("FEED_TOKEN", FEED_TOKEN)
    servers: list[MediaServer] = []

    async def make(targets: list[PublishTarget], sources: list[SourceConfigLite] = ()) -> MediaServer:
        server = MediaServer(small_wall(), [SourceConfigLite("cam", "pattern://street-cam?size=640x360"), *sources],
                             MediaSettings(fps=25, labels=False, cascade=targets, backoff=QUICK))
        await asyncio.to_thread(server.start)
        picture = Window(id="cam", kind="video", rect=Rect(x=0, y=0, w=640, h=360), source="cam", label=False)
        await asyncio.to_thread(server.set_layout, Layout(windows=[picture]))
        servers.append(server)
        return server

    yield make
    for s in servers:
        await s.stop()


async def wait_state(server: MediaServer, name: str, state: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        h = server.cascade.health()[name]
        if h["state"] == state:
            return h
        if time.monotonic() > deadline:
            raise AssertionError(f"target {name} never {state}: {h}")
        await asyncio.sleep(0.1)


async def newest_frame(source, width: int | None = None, timeout: float = 15):
    """A frame received after this call (of this width, when given)."""
    deadline = time.monotonic() + timeout
    seq = (source.latest.get() or type("F", (), {"seq": 0})).seq
    while time.monotonic() < deadline:
        frame = await source.latest.aget_newer(seq, max(0.1, deadline - time.monotonic()))
        if frame is None:
            break
        seq = frame.seq
        if width is None or frame.width == width:
            return frame
    raise AssertionError(f"no new frame{f' {width} wide' if width else ''} within {timeout} s")


def target(other: OtherCentre, name: str = "up", publish: str = "s-1-1", **kw) -> PublishTarget:
    return PublishTarget(name, f"{other.url}/whip/{FEED}", publish, kw.pop("token_env", "FEED_TOKEN"), **kw)


# -- WHIP out ---------------------------------------------------------------------------------------------
async def test_a_screen_published_over_whip_shows_at_the_other_centre_and_stopping_ends_its_session(ours, other):
    server = await ours([target(other)])
    await server.cascade.publish("up")
    h = await wait_state(server, "up", "live")
    assert h["output"] == "s-1-1" and h["error"] is None
    frame = await newest_frame(other.feed)
    for _ in range(10):  # past the first keyframe's burst
        frame = await newest_frame(other.feed)
    assert (frame.width, frame.height) == (640, 360)
    code = decode_timecode(frame.y)
    assert code is not None, "the pattern's timecode did not survive the trip"
    print(f"\nWHIP out, screen -> other centre: {timecode_latency_ms(code)} ms from pattern to received frame")
    assert other.feed.state() == "live"
    assert len(other.media.whip.sessions) == 1
    await asyncio.sleep(2.5)  # a few statistics readings
    assert server.cascade.health()["up"]["bitrate_kbps"] > 50
    # the screen's one encoder feeds the link: a WHEP viewer of it would share it
    assert [e["screen"] for e in server.encoders.stats()] == ["s-1-1"]

    await server.cascade.unpublish("up")
    assert server.cascade.health()["up"]["state"] == "stopped"
    assert len(other.media.whip.sessions) == 0  # our DELETE ended it there
    assert other.feed.state() == "lost"
    assert server.encoders.stats() == [] and len(server.cascade.out) == 0


async def test_a_source_is_published_full_frame_at_the_targets_size(ours, other):
    server = await ours([target(other, "cam-up", "cam", size=(320, 180), bitrate_kbps=400)])
    await server.cascade.publish("cam-up")
    await wait_state(server, "cam-up", "live")
    frame = await newest_frame(other.feed, width=320)
    assert (frame.width, frame.height) == (320, 180)
    assert decode_timecode(frame.y) is not None  # the whole camera picture, not a crop of it
    assert server.cascade.health()["cam-up"]["output"] == "cascade:cam-up"
    await server.cascade.unpublish("cam-up")
    assert "cascade:cam-up" not in server.health()["outputs"]  # the output made for it is gone


async def test_a_target_whose_centre_is_away_retries_with_backoff_and_goes_live_when_it_comes(ours, redis_url,
                                                                                              centre_cfg):
    away = OtherCentre(redis_url, centre_cfg, free_port())
    server = await ours([target(away)])
    try:
        await server.cascade.publish("up")
        h = await wait_state(server, "up", "failed")
        assert "cannot reach the other centre" in h["error"]
        assert h["next_attempt_s"] is not None and h["next_attempt_s"] <= QUICK.max_s
        deadline = time.monotonic() + 10
        while server.cascade.health()["up"]["reconnects"] < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert server.cascade.health()["up"]["reconnects"] >= 3
        await away.start()
        h = await wait_state(server, "up", "live")
        assert h["error"] is None
        assert (await newest_frame(away.feed)).width == 640
        # the centre goes away: the link sees its sessions close and tries again until it is back
        await away.stop()
        h = await wait_state(server, "up", "failed")
        assert "closed" in h["error"] or "cannot reach" in h["error"], h
        await away.start()
        await wait_state(server, "up", "live")
    finally:
        await server.cascade.unpublish("up")
        await away.stop()
        away.screen.stop()


async def test_a_refused_token_is_shown_with_the_other_centres_own_words(ours, other, monkeypatch):
    monkeypatch.setenv("WRONG_TOKEN", "not-the-feeds-token")
    server = await ours([target(other, token_env="WRONG_TOKEN")])
    await server.cascade.publish("up")
    h = await wait_state(server, "up", "failed")
    assert "403" in h["error"] and "may not publish" in h["error"], h["error"]
    assert "not-the-feeds-token" not in str(server.cascade.health())
    await server.cascade.unpublish("up")
    assert len(server.cascade.out) == 0 and server.encoders.stats() == []


async def test_starting_and_stopping_a_target_20_times_leaves_no_session_encoder_or_thread_behind(ours, other):
    server = await ours([target(other)])

    async def cycle() -> None:
        await server.cascade.publish("up")
        await wait_state(server, "up", "live")
        await newest_frame(other.feed)
        await server.cascade.unpublish("up")

    async def settled(threads: int) -> int:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # encoder and decoder threads end on their own, just after
            if threading.active_count() <= threads:
                break
            await asyncio.sleep(0.1)
        return threading.active_count()

    await cycle()  # the first one starts what stays (compose pool, the pattern's thread)
    baseline = await settled(10_000)
    started = server.encoders.started
    for _ in range(20):
        await cycle()
    assert len(server.cascade.out) == 0 and len(other.media.whip.sessions) == 0
    assert server.encoders.stats() == []
    assert server.encoders.started == started + 20  # one encoder per publish, none left running
    threads = await settled(baseline)
    print(f"\nthreads after the first cycle {baseline}, after 20 more {threads}")
    assert threads <= baseline


# -- WHEP in ------------------------------------------------------------------------------------------------
def test_a_whep_url_names_its_http_endpoint_and_the_variable_of_its_token():
    assert endpoint_of("whep://city:8080/whep/screens/led-main?token_env=CITY") == (
        "http://city:8080/whep/screens/led-main", "CITY")
    assert endpoint_of("wheps://city/whep/x?a=1") == ("https://city/whep/x?a=1", None)


async def test_a_whep_source_plays_the_other_centres_screen_and_comes_back_after_it_restarts(ours, other, monkeypatch):
    monkeypatch.setenv("CITY_TOKEN", token_of(await login(other.client, "integration")))
    url = f"whep://127.0.0.1:{other.port}/whep/screens/lcd-1-1?token_env=CITY_TOKEN"
    server = await ours([], [SourceConfigLite("city", url, name="City centre")])
    await server.start_links()
    source = server.source("city")
    assert isinstance(source, WhepSource)
    source.want(1)  # on a watched window
    frame = await newest_frame(source)
    for _ in range(5):
        frame = await newest_frame(source)
    got = quadrant_rgb(to_rgb(frame))
    assert all(close_to(g, RGB[c]) for g, c in zip(got, ("red", "green", "blue", "white"), strict=False)), got
    assert source.state() == "live"
    assert len(other.media.whep.sessions) == 1
    await asyncio.sleep(2.5)
    h = source.health()
    assert h.bitrate_kbps > 5 and h.reconnects == 0  # a still picture: little, but measured

    await other.stop()  # the other centre restarts
    for _ in range(100):
        if source.state() == "lost":
            break
        await asyncio.sleep(0.1)
    assert source.state() == "lost"
    await other.start()
    other.screen.colours = ("blue", "yellow", "white", "red")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = quadrant_rgb(to_rgb(await newest_frame(source)))
        if all(close_to(g, RGB[c]) for g, c in zip(got, ("blue", "yellow", "white", "red"), strict=False)):
            break
    else:
        raise AssertionError(f"the pulled picture never came back: {got}")
    assert source.health().reconnects >= 1 and source.state() == "live"

    await server.cascade.close()  # stopping ends our session there (DELETE)
    for _ in range(50):
        if len(other.media.whep.sessions) == 0:
            break
        await asyncio.sleep(0.1)
    assert len(other.media.whep.sessions) == 0


async def test_a_whep_source_refused_by_the_other_centre_says_why(ours, other):
    url = f"whep://127.0.0.1:{other.port}/whep/screens/lcd-1-1"  # no token
    server = await ours([], [SourceConfigLite("city", url)])
    await server.start_links()
    source = server.source("city")
    for _ in range(100):
        if source.health().error:
            break
        await asyncio.sleep(0.1)
    h = source.health()
    assert h.state == "lost" and "401" in h.error, h


# -- backoff ------------------------------------------------------------------------------------------------
def test_backoff_retries_quickly_first_then_doubles_to_its_cap():
    b = Backoff(first_s=1.0, quick=3, max_s=10.0)
    delays = [b.delay(n) for n in range(1, 9)]
    assert all(0.75 <= d <= 1.0 for d in delays[:3])
    assert 1.5 <= delays[3] <= 2.0 and 3.0 <= delays[4] <= 4.0 and 6.0 <= delays[5] <= 8.0
    assert all(7.5 <= d <= 10.0 for d in delays[6:])
    assert b.delay(1, retry_after=4) == 4  # a 503's Retry-After
    assert b.delay(1, retry_after=60) == 10.0  # never beyond the cap


async def test_a_target_switched_to_another_picture_ends_the_old_session_and_sends_the_new_one(ours, other):
    server = await ours([target(other, "up", "s-1-1")])
    await server.cascade.publish("up")
    await wait_state(server, "up", "live")
    await server.cascade.publish("up", "cam")  # e.g. a consultation room's picture, any source the wall shows
    h = await wait_state(server, "up", "live")
    assert (h["publish"], h["output"]) == ("cam", "cascade:up")
    frame = await newest_frame(other.feed, width=1280)  # the target's size: the source full frame
    assert decode_timecode(frame.y) is not None
    assert len(other.media.whip.sessions) == 1  # the screen's session ended there
    assert [e["screen"] for e in server.encoders.stats()] == ["cascade:up"]
    await server.cascade.unpublish("up")
    assert server.encoders.stats() == [] and server.cascade.health()["up"]["publish"] == "s-1-1"
