"""Report photos: only whole images are stored, and a report or feedback attaches only photos its sender
uploaded or may already see (naming another's hash reveals nothing)."""

from __future__ import annotations

import hashlib

import pytest

from tests.events_support import JPEG, image, make_client, report_body, tokens


@pytest.fixture
async def api(redis_url, tmp_path):
    client = await make_client(redis_url, tmp_path)
    yield client
    await client.close()


async def upload(api, headers, data: bytes, ctype: str = "image/jpeg"):
    return await api.post("/api/events/photos", data=data, headers={**headers, "Content-Type": ctype})


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00<html><script>alert(1)</script></html>",
    JPEG[: len(JPEG) // 2],
    b"\x89PNG\r\n\x1a\n<!doctype html><title>x</title>",
    b"RIFF\x10\x00\x00\x00WEBPVP8 <html></html>",
], ids=["jpeg-header-then-html", "half-a-jpeg", "png-header-then-html", "webp-header-then-html"])
async def test_a_photo_that_does_not_decode_whole_is_refused(api, data):
    who = await tokens(api)
    resp = await upload(api, who["worker1"], data)
    body = await resp.json()
    assert resp.status == 422, body
    assert body["errors"][0]["path"] == "(body)" and "decode" in body["errors"][0]["message"]
    assert (await api.get(f"/api/events/photos/{hashlib.sha256(data).hexdigest()}",
                          headers=who["operator1"])).status == 404


async def test_whole_jpeg_png_and_webp_photos_are_stored(api):
    who = await tokens(api)
    for kind, ctype in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")):
        resp = await upload(api, who["worker1"], image(kind), ctype)
        assert resp.status == 201, await resp.text()
        assert (await resp.json())["content_type"] == ctype


async def test_a_picture_too_large_to_be_a_photo_is_refused_before_decoding(api):
    who = await tokens(api)
    resp = await upload(api, who["worker1"], image("PNG", (0, 0, 0), (9000, 8000)), "image/png")
    body = await resp.json()
    assert resp.status == 422 and "megapixels" in body["errors"][0]["message"], body


async def test_only_photos_one_uploaded_or_may_see_can_be_attached(api):
    who = await tokens(api)
    mine = (await (await upload(api, who["worker1"], image(colour=(1, 2, 3)))).json())["sha256"]
    theirs = (await (await upload(api, who["dept1"], image(colour=(4, 5, 6)))).json())["sha256"]
    # dept1 names worker1's photo (a hash it learned somehow) in its own report: as if it did not exist
    resp = await api.post("/api/events", json=report_body(channel="department", contact=None,
                                                          photos=[theirs, mine]), headers=who["dept1"])
    body = await resp.json()
    assert resp.status == 422 and [e["path"] for e in body["errors"]] == ["photos[1]"], body
    assert "no such photo" in body["errors"][0]["message"]
    # worker1 attaches its own; the event goes to dept1's water company, who then may see (and attach) it
    eid = (await (await api.post("/api/events", json=report_body(channel="worker", contact=None, photos=[mine]),
                                 headers=who["worker1"])).json())["event"]["id"]
    for step, user, b in (("accept", "operator1", {}), ("register", "operator1", {"category": "0201"}),
                          ("dispatch", "commander1", {"department": "water"}), ("receive", "dept1", {})):
        resp = await api.post(f"/api/events/{eid}/{step}", json=b, headers=who[user])
        assert resp.status == 200, await resp.text()
    other = (await (await upload(api, who["worker1"], image(colour=(7, 8, 9)))).json())["sha256"]
    resp = await api.post(f"/api/events/{eid}/feedback", json={"result": "fixed", "photos": [other]},
                          headers=who["dept1"])
    body = await resp.json()
    assert resp.status == 422 and body["errors"][0]["path"] == "photos[0]", body
    resp = await api.post(f"/api/events/{eid}/feedback", json={"result": "fixed", "photos": [theirs, mine]},
                          headers=who["dept1"])
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["event"]["result_photos"] == [theirs, mine]
    # the centre sees every photo, so it may attach any
    resp = await api.post("/api/events", json=report_body(photos=[other]), headers=who["operator1"])
    assert resp.status == 201, await resp.text()
