"""WHEP egress and WHIP ingest over HTTP on the real application (real Redis, real aiortc peers)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from backend import appkeys
from backend.app import create_app
from backend.config import HallConfig
from media.sources.base import SourceConfigLite
from media.sources.whip import WhipSource
from tests.conftest import login, seed_demo_users

from .delivery_helpers import RGB, SyntheticEngine, SyntheticScreen, Viewer, close_to, colour_video_track, quadrant_rgb

SCREEN = "lcd-1-1"
SDP = {"Content-Type": "application/sdp"}


@pytest.fixture
async def hall(redis_url: str, demo_config: HallConfig):
    """The app with a synthetic engine: two screens of coloured frames, the demo's WHIP feeds (one with a token)."""
    screens = {SCREEN: SyntheticScreen(320, 180).start(), "lcd-1-2": SyntheticScreen(320, 180).start()}
    sources = {"feed-city-centre": WhipSource(SourceConfigLite("feed-city-centre", "whip://feed-city-centre")),
               "feed-street-east": WhipSource(SourceConfigLite("feed-street-east", "whip://x?token=east-secret-token"))}
    cfg = demo_config.model_copy(update={"sources": [
        s.model_copy(update={"url": "whip://x?token=east-secret-token"}) if s.id == "feed-street-east" else s
        for s in demo_config.sources]})
    await seed_demo_users(redis_url, demo_config)  # the demo users' records, hashed once per session
    app = create_app(cfg, redis_url, bootstrap_users=False)
    engine = SyntheticEngine(screens, sources)
    app[appkeys.MEDIA].engine = engine
    async with TestClient(TestServer(app)) as client:
        client.engine = engine  # type: ignore[attr-defined]
        yield client
    for s in screens.values():
        s.stop()


async def whep(client, headers: dict, screen: str = SCREEN, viewer: Viewer | None = None):
    viewer = viewer or Viewer()
    resp = await client.post(f"/whep/screens/{screen}", data=await viewer.offer(), headers={**SDP, **headers})
    return viewer, resp


async def test_a_viewer_watches_a_screen_over_whep_and_ends_the_session(hall):
    op = await login(hall, "operator1")
    viewer, resp = await whep(hall, op)
    try:
        assert resp.status == 201, await resp.text()
        assert resp.content_type == "application/sdp"
        location = resp.headers["Location"]
        assert location.startswith(f"/whep/screens/{SCREEN}/sessions/")
        await viewer.accept(await resp.text())
        for _ in range(3):
            frame = await viewer.frame()
        got = quadrant_rgb(frame.to_ndarray(format="rgb24"))
        assert all(close_to(g, RGB[c]) for g, c in zip(got, ("red", "green", "blue", "white"), strict=False)), got
        assert hall.engine.acquired[SCREEN] == 1

        other = await login(hall, "operator2")
        assert (await hall.delete(location, headers=other)).status == 403  # not their session
        resp = await hall.delete(location, headers=op)
        assert resp.status == 200
        assert hall.engine.acquired[SCREEN] == 0  # nobody watches: the screen is released
        assert (await hall.delete(location, headers=op)).status == 404
    finally:
        await viewer.close()


async def test_two_viewers_of_one_screen_share_one_encoder(hall):
    op = await login(hall, "operator1")
    a, ra = await whep(hall, op)
    b, rb = await whep(hall, await login(hall, "commander1"))
    try:
        await a.accept(await ra.text())
        await b.accept(await rb.text())
        await a.frame()
        await b.frame()
        stats = await (await hall.get("/api/media/delivery", headers=op)).json()
        assert stats["whep_sessions"] == 2
        assert [(e["screen"], e["viewers"]) for e in stats["encoders"]] == [(SCREEN, 2)]
        screen = hall.engine.screens[SCREEN]
        before_put, before_enc = screen.frames_put, stats["encoders"][0]["frames_encoded"]
        await asyncio.sleep(1.0)
        stats = await (await hall.get("/api/media/delivery", headers=op)).json()
        encoded = stats["encoders"][0]["frames_encoded"] - before_enc
        assert encoded <= screen.frames_put - before_put + 2  # once per frame, not per viewer
    finally:
        await a.close()
        await b.close()


async def test_a_screen_token_watches_its_own_screen_only(hall):
    token = await hall.app[appkeys.USERS].screen_token(SCREEN)
    viewer, resp = await whep(hall, {"Authorization": f"Bearer {token}"})
    await viewer.close()
    assert resp.status == 201
    viewer, resp = await whep(hall, {"Authorization": f"Bearer {token}"}, screen="lcd-1-2")
    await viewer.close()
    assert resp.status == 403


@pytest.mark.parametrize("user,status", [(None, 401), ("worker1", 403), ("integration", 201), ("expert1", 201)])
async def test_who_may_watch_a_screen(hall, user, status):
    headers = await login(hall, user) if user else {}
    viewer, resp = await whep(hall, headers)
    await viewer.close()
    assert resp.status == status, await resp.text()


async def test_bad_whep_requests_get_clear_errors(hall):
    op = await login(hall, "operator1")
    viewer = Viewer()
    offer = await viewer.offer()
    await viewer.close()
    resp = await hall.post(f"/whep/screens/{SCREEN}", data=offer, headers={**op, "Content-Type": "application/json"})
    assert resp.status == 415 and "application/sdp" in (await resp.json())["message"]
    resp = await hall.post("/whep/screens/nope", data=offer, headers={**op, **SDP})
    assert resp.status == 404
    resp = await hall.post(f"/whep/screens/{SCREEN}", data="v=0\r\nnonsense\r\n", headers={**op, **SDP})
    assert resp.status == 400, await resp.text()
    resp = await hall.post(f"/whep/screens/{SCREEN}", data="", headers={**op, **SDP})
    assert resp.status == 400
    assert (await hall.patch(f"/whep/screens/{SCREEN}", headers=op)).status == 405  # no trickle ICE
    stats = await (await hall.get("/api/media/delivery", headers=op)).json()
    assert stats == {"encoders": [], "encoders_started": 0, "whep_sessions": 0, "whip_sessions": 0}
    assert hall.engine.acquired[SCREEN] == 0  # a refused offer leaves nothing behind


async def _offer(*, video: str | None = "recvonly", codecs: tuple[str, ...] = (), audio: bool = False,
                 data: bool = False) -> str:
    """A real aiortc offer of the given shape (what a WebRTC player would send)."""
    pc = RTCPeerConnection()
    try:
        if audio:
            pc.addTransceiver("audio", direction="recvonly")
        if video:
            t = pc.addTransceiver("video", direction=video)
            if codecs:
                caps = RTCRtpSender.getCapabilities("video").codecs
                t.setCodecPreferences([c for c in caps if c.mimeType.split("/")[1].upper() in codecs])
        if data:
            pc.createDataChannel("x")
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


BAD_OFFERS = [  # (shape of the offer, the SDP part at fault, what the answer says)
    ({"video": None, "data": True}, "m=video", "no video section"),
    ({"video": None, "audio": True}, "m=video", "no video section"),
    ({"video": "sendonly"}, "a=recvonly", "does not receive (it is sendonly"),
    ({"codecs": ("VP8", "RTX")}, "a=rtpmap", "no H.264 for video (it offers VP8)"),
    ({"strip": "a=ice-"}, "a=ice-ufrag", "no ICE credentials"),
    ({"strip": "a=fingerprint"}, "a=fingerprint", "no DTLS fingerprint"),
    ({"text": "hello"}, "v=", "not an SDP offer"),
]


async def test_a_bad_whep_offer_is_refused_before_any_encoder_is_made(hall):
    """Finding 7: every offer used to open (and close again) a screen encoder; now a bad one costs nothing."""
    op = await login(hall, "operator1")
    for shape, path, problem in BAD_OFFERS:
        shape = dict(shape)
        if "text" in shape:
            offer = shape["text"]
        else:
            strip = shape.pop("strip", None)
            offer = await _offer(**shape)
            if strip:
                offer = "".join(line for line in offer.splitlines(keepends=True) if not line.startswith(strip))
        resp = await hall.post(f"/whep/screens/{SCREEN}", data=offer, headers={**op, **SDP})
        body = await resp.json()
        assert resp.status == 400 and problem in body["message"], (shape, body)
        assert body["errors"] == [{"path": path, "message": body["message"]}]
        stats = await (await hall.get("/api/media/delivery", headers=op)).json()
        assert stats["encoders_started"] == 0 and stats["encoders"] == [] and stats["whep_sessions"] == 0, shape
        assert hall.engine.acquired[SCREEN] == 0
    # A good offer still makes the screen's one encoder (the counter counts).
    viewer, resp = await whep(hall, op)
    await viewer.close()
    assert resp.status == 201
    assert (await (await hall.get("/api/media/delivery", headers=op)).json())["encoders_started"] == 1


async def test_without_the_media_engine_whep_and_whip_say_unavailable(redis_url, demo_config):
    await seed_demo_users(redis_url, demo_config)
    async with TestClient(TestServer(create_app(demo_config, redis_url, bootstrap_users=False))) as client:
        viewer, resp = await whep(client, await login(client, "operator1"))
        await viewer.close()
        assert resp.status == 503 and "media engine" in (await resp.json())["message"]
        pub, resp = await publish(client, "feed-city-centre", await login(client, "integration"))
        await pub.pc.close()
        assert resp.status == 503


async def test_openapi_documents_sdp_bodies_and_the_location_header(hall):
    doc = await (await hall.get("/api/openapi.json")).json()
    post = doc["paths"]["/whep/screens/{id}"]["post"]
    assert post["requestBody"]["content"] == {"application/sdp": {"schema": {"type": "string"}}}
    assert "application/sdp" in post["responses"]["201"]["content"]
    assert "Location" in post["responses"]["201"]["headers"]
    assert "415" in post["responses"]
    assert "delete" in doc["paths"]["/whep/screens/{id}/sessions/{session}"]
    assert "post" in doc["paths"]["/whip/{source}"] and "delete" in doc["paths"]["/whip/{source}/sessions/{session}"]


# -- WHIP ---------------------------------------------------------------------------------------
class Publisher:
    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver(colour_video_track(("yellow", "blue", "green", "red")), direction="sendonly")

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))


async def publish(client, source: str, headers: dict):
    pub = Publisher()
    resp = await client.post(f"/whip/{source}", data=await pub.offer(), headers={**SDP, **headers})
    return pub, resp


async def test_a_published_feed_arrives_in_its_source(hall):
    src = hall.engine.sources["feed-city-centre"]
    src.want(1)
    assert src.state() == "connecting"
    pub, resp = await publish(hall, "feed-city-centre", await login(hall, "integration"))
    try:
        assert resp.status == 201, await resp.text()
        assert resp.headers["Location"].startswith("/whip/feed-city-centre/sessions/")
        await pub.accept(await resp.text())
        frame = await asyncio.wait_for(src.latest.aget_newer(0, 10), 15)
        assert frame is not None and (frame.width, frame.height) == (320, 240)
        for _ in range(3):
            frame = await src.latest.aget_newer(frame.seq, 5)
        import cv2
        import numpy as np
        i420 = np.concatenate([frame.y.reshape(-1), frame.u.reshape(-1), frame.v.reshape(-1)])
        rgb = cv2.cvtColor(i420.reshape(frame.height * 3 // 2, frame.width), cv2.COLOR_YUV2RGB_I420)
        got = quadrant_rgb(rgb)
        assert all(close_to(g, RGB[c]) for g, c in zip(got, ("yellow", "blue", "green", "red"), strict=False)), got
        assert src.state() == "live"
        resp = await hall.delete(resp.headers["Location"], headers=await login(hall, "integration"))
        assert resp.status == 200
        assert src.state() == "lost" and src.health().lost_since is not None
    finally:
        await pub.pc.close()


async def test_a_new_publish_replaces_the_old_one(hall):
    headers = await login(hall, "operator1")
    src = hall.engine.sources["feed-city-centre"]
    src.want(1)
    first, r1 = await publish(hall, "feed-city-centre", headers)
    second, r2 = await publish(hall, "feed-city-centre", headers)
    try:
        assert r1.status == r2.status == 201
        await second.accept(await r2.text())
        assert await asyncio.wait_for(src.latest.aget_newer(0, 10), 15) is not None
        assert len(hall.app[appkeys.MEDIA].whip.sessions) == 1
        assert src.health().reconnects == 1
    finally:
        await first.pc.close()
        await second.pc.close()


@pytest.mark.parametrize("who,source,status", [
    (None, "feed-city-centre", 401),
    ("worker1", "feed-city-centre", 403),
    ("commander1", "feed-city-centre", 403),
    ("admin", "feed-city-centre", 201),
    ("token:east-secret-token", "feed-street-east", 201),   # the source's own token
    ("token:east-secret-token", "feed-city-centre", 403),   # is not another source's
    ("token:wrong", "feed-street-east", 403),
    ("admin", "cam-river-01", 404),                          # not a whip:// source
    ("admin", "nope", 404),
])
async def test_who_may_publish(hall, who, source, status):
    if who is None:
        headers = {}
    elif who.startswith("token:"):
        headers = {"Authorization": f"Bearer {who[6:]}"}
    else:
        headers = await login(hall, who)
    pub, resp = await publish(hall, source, headers)
    await pub.pc.close()
    assert resp.status == status, await resp.text()


async def test_an_offer_without_video_is_refused(hall):
    pc = RTCPeerConnection()
    pc.createDataChannel("x")
    await pc.setLocalDescription(await pc.createOffer())
    resp = await hall.post("/whip/feed-city-centre", data=pc.localDescription.sdp,
                           headers={**SDP, **await login(hall, "admin")})
    await pc.close()
    assert resp.status == 400 and "video" in (await resp.json())["message"]
    assert len(hall.app[appkeys.MEDIA].whip.sessions) == 0
