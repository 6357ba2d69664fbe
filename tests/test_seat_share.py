"""Seat screens over the real app (real Redis, the real media server, an aiortc peer standing in for the console's
getDisplayMedia): a shared screen becomes the runtime source seat:<user> and is placed on the wall; it ends (ENDED
where it is shown) when the page stops sharing or its connection closes; a new share replaces the old; who may."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection

from backend import appkeys
from tests.conftest import wait_until
from tests.events_support import CFG, make_client, tokens

from .delivery_helpers import RGB, close_to, quadrant_rgb
from .test_delivery_routes import Publisher

pytestmark = pytest.mark.slow
SDP = {"Content-Type": "application/sdp"}
COLOURS = ("yellow", "blue", "green", "red")  # the Publisher's picture, quadrant by quadrant


@pytest.fixture
async def hall(redis_url, tmp_path):
    cfg = CFG.model_copy(update={"sources": []})
    api = await make_client(redis_url, tmp_path, cfg)
    await asyncio.to_thread(api.app[appkeys.MEDIA].start)
    api.who = await tokens(api, cfg)
    try:
        yield api
    finally:
        await api.close()


async def share(hall, who: str, place: bool = False) -> tuple[Publisher, object]:
    pub = Publisher()
    resp = await hall.post("/api/wall/share" + ("?place=next" if place else ""), data=await pub.offer(),
                           headers={**SDP, **hall.who[who]})
    if resp.status == 201:
        await pub.accept(await resp.text())
    return pub, resp


async def runtime(hall, source_id: str) -> dict | None:
    return next((s for s in await hall.app[appkeys.WALL_CONTROL].runtime_sources() if s["id"] == source_id), None)


def media_source(hall, source_id: str):
    return hall.app[appkeys.MEDIA].engine.sources.get(source_id)


async def a_frame(source) -> object:
    source.want(1)
    try:
        frame = await asyncio.wait_for(source.latest.aget_newer(0, 15), 20)
        for _ in range(3):  # past the first frames, which may still be a keyframe's ramp
            frame = await source.latest.aget_newer(frame.seq, 5)
        return frame
    finally:
        source.want(-1)


def rgb_of(frame):
    import cv2
    import numpy as np
    i420 = np.concatenate([frame.y.reshape(-1), frame.u.reshape(-1), frame.v.reshape(-1)])
    return cv2.cvtColor(i420.reshape(frame.height * 3 // 2, frame.width), cv2.COLOR_YUV2RGB_I420)


async def test_a_shared_screen_is_a_seat_source_placed_on_the_wall_and_ends_when_the_page_stops(hall):
    pub, resp = await share(hall, "operator1", place=True)
    try:
        assert resp.status == 201, await resp.text()
        assert resp.content_type == "application/sdp"
        assert resp.headers["X-Hall-Source"] == "seat:operator1"
        location = resp.headers["Location"]
        assert location.startswith("/api/wall/share/")
        doc = await runtime(hall, "seat:operator1")
        assert doc is not None and doc["name"] == "Operator Li's screen" and doc["kind"] == "seat"
        assert doc["group"] == "Seats" and doc["owner"] == "operator1" and doc["state"] == "live"
        window = resp.headers["X-Hall-Window"]
        layout = await hall.app[appkeys.WALL_CONTROL].layout()
        assert next(w for w in layout.windows if w.id == window).source == "seat:operator1"

        source = media_source(hall, "seat:operator1")
        frame = await a_frame(source)
        got = quadrant_rgb(rgb_of(frame))
        assert all(close_to(g, RGB[c]) for g, c in zip(got, COLOURS, strict=True)), got
        assert source.state() == "live"

        # somebody else may not stop it; its owner does
        other = await hall.delete(location, headers=hall.who["operator2"])
        assert other.status == 403, await other.text()
        stop = await hall.delete(location, headers=hall.who["operator1"])
        assert stop.status == 204, await stop.text()
        assert source.state() == "ended"
        doc = await runtime(hall, "seat:operator1")
        assert doc is not None and doc["state"] == "ended"  # the window showing it keeps the ENDED slate
        again = await hall.delete(location, headers=hall.who["operator1"])
        assert again.status == 404
    finally:
        await pub.pc.close()

    # the window removed: the ended screen is forgotten by the wall and the media server
    layout = await hall.app[appkeys.WALL_CONTROL].layout()
    resp = await hall.delete(f"/api/wall/windows/{window}?version={layout.version}", headers=hall.who["operator1"])
    assert resp.status in (200, 204), await resp.text()
    await wait_until(lambda: media_source(hall, "seat:operator1") is None, what="the ended screen to be dropped")
    assert await runtime(hall, "seat:operator1") is None


async def test_a_screen_not_shown_ends_when_the_sharing_page_goes_away(hall):
    pub, resp = await share(hall, "commander1")
    assert resp.status == 201, await resp.text()
    assert "X-Hall-Window" not in resp.headers  # not placed: only offered in the console's sources
    source = media_source(hall, "seat:commander1")
    await a_frame(source)
    await pub.pc.close()  # the tab closed: no DELETE, the connection goes away
    seats = hall.app[appkeys.SEATS]
    await wait_until(lambda: "commander1" not in seats.current, timeout=60, what="the share to end with its page")
    assert source.state() == "ended"
    await wait_until(lambda: media_source(hall, "seat:commander1") is None, what="the unshown screen to be dropped")
    assert await runtime(hall, "seat:commander1") is None


async def test_a_new_share_replaces_the_old_one_in_the_same_source(hall):
    first, r1 = await share(hall, "operator1", place=True)
    second = None
    try:
        assert r1.status == 201
        source = media_source(hall, "seat:operator1")
        await a_frame(source)
        second, r2 = await share(hall, "operator1")
        assert r2.status == 201, await r2.text()
        assert r2.headers["Location"] != r1.headers["Location"]
        assert media_source(hall, "seat:operator1") is source  # the windows showing it go on with the new share
        assert len(hall.app[appkeys.SEATS].ingest.sessions) == 1
        frame = await a_frame(source)
        assert frame is not None and source.state() == "live"
        assert (await runtime(hall, "seat:operator1"))["state"] == "live"
        old = await hall.delete(r1.headers["Location"], headers=hall.who["operator1"])
        assert old.status == 404  # the old share is gone, and stopping it does not stop the new one
        assert source.state() == "live"
    finally:
        await first.pc.close()
        if second is not None:
            await second.pc.close()


@pytest.mark.parametrize("who,status", [(None, 401), ("worker1", 403), ("expert1", 403), ("dept1", 403),
                                        ("integration", 403)])
async def test_only_the_centre_shares_a_screen_to_the_wall(hall, who, status):
    pub = Publisher()
    headers = {**SDP, **(hall.who[who] if who else {})}
    resp = await hall.post("/api/wall/share", data=await pub.offer(), headers=headers)
    await pub.pc.close()
    assert resp.status == status, await resp.text()
    assert not hall.app[appkeys.SEATS].sources


async def test_an_offer_without_video_or_a_bad_place_is_refused_naming_it(hall):
    pc = RTCPeerConnection()
    pc.createDataChannel("x")
    await pc.setLocalDescription(await pc.createOffer())
    resp = await hall.post("/api/wall/share", data=pc.localDescription.sdp, headers={**SDP, **hall.who["operator1"]})
    await pc.close()
    assert resp.status == 400
    body = await resp.json()
    assert "video" in body["message"] and body["errors"][0]["path"] == "m=video"
    pub = Publisher()
    resp = await hall.post("/api/wall/share?place=anywhere", data=await pub.offer(),
                           headers={**SDP, **hall.who["operator1"]})
    await pub.pc.close()
    assert resp.status == 422 and "place" in await resp.text()
    assert not hall.app[appkeys.SEATS].sources and await runtime(hall, "seat:operator1") is None
