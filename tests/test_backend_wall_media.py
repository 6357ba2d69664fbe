"""The media engine inside the hall: it follows every layout change (here and in other
processes), serves snapshots, and reports health to consoles and /metrics."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time

import cv2
import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from backend import appkeys
from backend.app import create_app
from backend.config import SourceConfig
from backend.logs import JsonFormatter
from tests.conftest import connect_socket, free_port, login, seed_demo_users, wait_until


async def _media_client(redis_url: str, demo_config) -> TestClient:
    await seed_demo_users(redis_url, demo_config)
    client = TestClient(TestServer(create_app(demo_config, redis_url, bootstrap_users=False, media=True)))
    await client.start_server()
    return client


@pytest.fixture
async def media_client(redis_url, demo_config):
    client = await _media_client(redis_url, demo_config)
    yield client
    await client.close()


async def _eventually(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


def _engine(client: TestClient):
    return client.server.app[appkeys.MEDIA].media_engine()


async def _add_video(client: TestClient, headers: dict, version: int, source: str, screen: str = "lcd-1-1") -> dict:
    wall = await (await client.get("/api/wall", headers=headers)).json()
    rect = next(s["canvas"] for s in wall["wall"]["screens"] if s["id"] == screen)
    resp = await client.post("/api/wall/windows", headers=headers, json={
        "version": version, "window": {"kind": "video", "source": source, "rect": rect}})
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_a_layout_write_reaches_the_engine_before_the_answer(media_client):
    op = await login(media_client, "operator1")
    body = await _add_video(media_client, op, 0, "cam-river-01")
    engine = _engine(media_client)
    assert [w.source for w in engine.layout.windows] == ["cam-river-01"]
    parts = engine.plan.for_screen("lcd-1-1").parts
    assert [p.window_id for p in parts] == [body["window"]["id"]]


async def test_a_layout_written_through_another_process_reaches_this_engine(redis_url, demo_config):
    a = await _media_client(redis_url, demo_config)
    b = await _media_client(redis_url, demo_config)
    try:
        op = await login(a, "operator1")
        await _add_video(a, op, 0, "cam-traffic-02")
        engine_b = _engine(b)
        # pub/sub brings it at once; 3 s is well under the 5 s periodic re-check that would hide a lost publish
        shown = await _eventually(lambda: [w.source for w in engine_b.layout.windows] == ["cam-traffic-02"], timeout=3)
        assert shown, "the other process's engine did not follow the layout"
    finally:
        await a.close()
        await b.close()


async def test_the_engine_starts_on_the_stored_layout(redis_url, demo_config):
    first = await _media_client(redis_url, demo_config)
    try:
        await _add_video(first, await login(first, "operator1"), 0, "cam-school-01")
    finally:
        await first.close()
    second = await _media_client(redis_url, demo_config)
    try:
        assert [w.source for w in _engine(second).layout.windows] == ["cam-school-01"]
    finally:
        await second.close()


async def test_source_and_screen_snapshots_are_jpegs_of_the_asked_width(media_client):
    op = await login(media_client, "operator1")
    await _add_video(media_client, op, 0, "cam-river-01")
    for path, width in (("/api/sources/cam-river-01/snapshot.jpg?width=320", 320),
                        ("/api/screens/lcd-1-1/snapshot.jpg?width=480", 480)):
        resp = await media_client.get(path, headers=op)
        assert resp.status == 200, await resp.text()
        assert resp.content_type == "image/jpeg"
        data = await resp.read()
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape[1] == width
        assert image.std() > 5, "the picture is flat: no source content arrived"


async def test_snapshots_check_who_asks_and_what(media_client):
    op = await login(media_client, "operator1")
    worker = await login(media_client, "worker1")
    assert (await media_client.get("/api/sources/cam-river-01/snapshot.jpg")).status == 401
    assert (await media_client.get("/api/sources/cam-river-01/snapshot.jpg", headers=worker)).status == 403
    resp = await media_client.get("/api/sources/nope/snapshot.jpg", headers=op)
    assert resp.status == 404 and (await resp.json())["error"] == "not_found"
    assert (await media_client.get("/api/screens/nope/snapshot.jpg", headers=op)).status == 404
    resp = await media_client.get("/api/sources/cam-river-01/snapshot.jpg?width=5", headers=op)
    assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == "width"


async def test_snapshots_without_a_media_engine_are_503(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.get("/api/sources/cam-river-01/snapshot.jpg", headers=op)
    assert resp.status == 503 and (await resp.json())["error"] == "unavailable"


async def test_media_health_reaches_consoles_and_metrics(media_client):
    op = await login(media_client, "operator1")
    await _add_video(media_client, op, 0, "cam-river-01")
    sio = await connect_socket(media_client, "/console", op["Authorization"].split(" ", 1)[1], events=("media:health",))
    try:
        got = await _eventually(lambda: sio.received["media:health"], timeout=5)
        assert got, "no media:health pushed to the console"
        health = got[-1]
        assert set(health["sources"]) >= {"cam-river-01", "feed-city-centre"}
        assert health["sources"]["cam-river-01"]["state"] in ("connecting", "live", "stalled", "lost")
    finally:
        await sio.disconnect()
    # a screen is watched: its source goes live and /metrics says so
    engine = _engine(media_client)
    engine.acquire_screen("lcd-1-1")
    try:
        live = await _eventually(lambda: engine.health()["sources"]["cam-river-01"]["state"] == "live", timeout=10)
        assert live
        admin = await login(media_client, "admin")
        text = await (await media_client.get("/metrics", headers=admin)).text()
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for fam in text_string_to_metric_families(text) for s in fam.samples}
        assert samples[("hall_source_up", (("source", "cam-river-01"),))] == 1.0
        assert samples[("hall_source_state", (("source", "cam-river-01"), ("state", "live")))] == 1.0
        assert ("hall_screen_fps", (("screen", "lcd-1-1"),)) in samples
    finally:
        engine.release_screen("lcd-1-1")


async def test_camera_passwords_stay_out_of_health_pushes_and_logs(redis_url, demo_config, monkeypatch):
    """Finding 8: a failing rtsp://user:secret@... camera (and one whose password is in the environment)
    never shows its password in /api/media/health, the media:health pushes or the JSON log."""
    monkeypatch.setenv("HALL_TEST_CAMERA_PASSWORD", "env-kept-secret")
    cams = [SourceConfig(id="cam-in-url", name="Password in the URL", url=f"rtsp://admin:secret@127.0.0.1:{free_port()}/cam"),
            SourceConfig(id="cam-env", name="Password in the environment", url=f"rtsp://127.0.0.1:{free_port()}/cam",
                         username="viewer", password_env="HALL_TEST_CAMERA_PASSWORD")]
    cfg = demo_config.model_copy(update={"sources": [*demo_config.sources, *cams]})
    log_text = io.StringIO()
    handler = logging.StreamHandler(log_text)
    handler.setFormatter(JsonFormatter())  # the hall's own JSON lines
    logging.getLogger().addHandler(handler)
    try:
        client = await _media_client(redis_url, cfg)
        try:
            op = await login(client, "operator1")
            sio = await connect_socket(client, "/console", op["Authorization"].split(" ", 1)[1],
                                       events=("media:health",))
            try:
                def failed(h: dict) -> bool:
                    return all(h["sources"][c.id]["error"] for c in cams)
                await wait_until(lambda: any(failed(h) for h in sio.received["media:health"]), 10,
                                 "both cameras failing")
                pushed = json.dumps(sio.received["media:health"])
            finally:
                await sio.disconnect()
            resp = await client.get("/api/media/health", headers=op)
            health = await resp.json()
        finally:
            await client.close()
    finally:
        logging.getLogger().removeHandler(handler)
    errors = {c.id: health["sources"][c.id]["error"] for c in cams}
    # The errors still say what went wrong, and where (who logged in to where), with the password masked.
    assert "Connection refused" in errors["cam-in-url"] and "rtsp://admin:***@127.0.0.1" in errors["cam-in-url"]
    assert "rtsp://viewer:***@127.0.0.1" in errors["cam-env"]
    logged = log_text.getvalue()
    for text, where in ((json.dumps(health), "/api/media/health"), (pushed, "media:health"), (logged, "the log")):
        assert "secret" not in text, f"a camera password in {where}"
    # Start-up named the key with the password written in it.
    i = next(i for i, s in enumerate(cfg.sources) if s.id == "cam-in-url")
    assert f"sources[{i}].url has the camera's password written in it" in logged
    assert "rtsp://admin:***@" in logged  # the failure itself is logged, redacted
