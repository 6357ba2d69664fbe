"""The cascade's configuration, its REST routes (who may see and who may start or stop a target), the choice kept
in Redis, and the targets' health in /api/media/health, the media:health push and /metrics (the real app with its
media server running, real Redis)."""

from __future__ import annotations

import copy

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from backend import appkeys
from backend.app import create_app
from backend.cascade import CascadeControl
from backend.config import DEFAULT_CONFIG, ConfigError, parse_config
from tests.conftest import connect_socket, free_port, wait_until

pytestmark = pytest.mark.slow

DEMO = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
USERS = [{"name": n, "role": r, "password": f"{n}-cascade-test"} for n, r in
         (("admin", "admin"), ("operator1", "operator"), ("commander1", "commander"), ("expert1", "expert"),
          ("worker1", "worker"))]


def hall_config(targets: list[dict]) -> dict:
    return {"wall": {"screens": [{"id": "main", "name": "Main", "kind": "lcd", "resolution": [320, 180],
                                  "size_mm": [320, 180], "position_mm": [0, 0]}]},
            "display": {"labels": False},
            "sources": [{"id": "cam", "name": "Camera", "url": "pattern://cam?size=320x180"}],
            "users": USERS, "cascade": {"targets": targets, "retry_s": 0.5, "retry_max_s": 2}}


def problems_of(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as exc:
        parse_config(data, str(DEFAULT_CONFIG))
    return exc.value.problems


# -- configuration -------------------------------------------------------------------------------------------
def test_a_target_publishes_a_screen_or_a_source_and_nothing_else():
    data = copy.deepcopy(DEMO)
    data["cascade"] = {"targets": [{"name": "up", "url": "http://city/whip/district", "publish": "lcd-3-9"}]}
    [(path, msg)] = problems_of(data)
    assert path == "cascade.targets[0].publish" and "neither a screen nor a source" in msg and "led-main" in msg
    data["cascade"]["targets"][0]["publish"] = "cam-river-01"
    assert parse_config(data, str(DEFAULT_CONFIG)).cascade.targets[0].publish == "cam-river-01"


@pytest.mark.parametrize(("target", "path", "words"), [
    ({"url": "rtsp://city/whip"}, "cascade.targets[0].url", "http:// or https://"),
    ({"url": "https://me:secret@city/whip"}, "cascade.targets[0].url", "token_env"),
    ({"token_env": "not a variable"}, "cascade.targets[0].token_env", "pattern"),
    ({"size": [641, 360]}, "cascade.targets[0].size[0]", "multiple of 2"),
    ({"colour": "red"}, "cascade.targets[0].colour", "unknown key"),
])
def test_a_bad_target_is_reported_on_its_key(target, path, words):
    data = copy.deepcopy(DEMO)
    data["cascade"] = {"targets": [{"name": "up", "url": "http://city/whip", "publish": "led-main", **target}]}
    found = problems_of(data)
    assert any(p == path and words in m for p, m in found), found


def test_two_targets_of_one_name_are_reported_on_the_second():
    data = copy.deepcopy(DEMO)
    t = {"name": "up", "url": "http://city/whip", "publish": "led-main"}
    data["cascade"] = {"targets": [t, t]}
    assert problems_of(data) == [("cascade.targets[1].name", "duplicate target 'up'")]


def test_whep_sources_are_configured_by_their_url():
    data = copy.deepcopy(DEMO)
    data["sources"].append({"id": "city", "name": "City", "url": "wheps://city/whep/screens/a?token_env=CITY"})
    assert parse_config(data, str(DEFAULT_CONFIG)).sources[-1].kind == "whep"


# -- routes, Redis, health ------------------------------------------------------------------------------------
@pytest.fixture
async def hall(redis_url: str):
    nowhere = f"http://127.0.0.1:{free_port()}/whip/district"  # a centre that is not there: the link fails
    cfg = parse_config(hall_config([{"name": "up", "url": nowhere, "publish": "main"},
                                    {"name": "spare", "url": nowhere, "publish": "cam", "enabled": False,
                                     "size": [160, 90]}]))
    async with TestClient(TestServer(create_app(cfg, redis_url, media=True))) as client:
        client.cfg = cfg  # type: ignore[attr-defined]
        yield client


async def token(client, name: str) -> dict[str, str]:
    resp = await client.post("/api/auth/login", json={"username": name, "password": f"{name}-cascade-test"})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def targets(client, headers, may_switch: bool = False) -> dict[str, dict]:
    resp = await client.get("/api/cascade/targets", headers=headers)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["may_switch"] is may_switch
    return {t["name"]: t for t in body["targets"]}


async def test_the_console_sees_every_target_and_only_the_centre_starts_or_stops_one(hall, redis_url):
    assert (await hall.get("/api/cascade/targets")).status == 401
    assert (await hall.get("/api/cascade/targets", headers=await token(hall, "worker1"))).status == 403
    expert = await token(hall, "expert1")
    seen = await targets(hall, expert)
    assert set(seen) == {"up", "spare"}
    assert seen["up"]["enabled"] and seen["up"]["started"] and seen["up"]["publish"] == "main"
    assert not seen["spare"]["enabled"] and seen["spare"]["state"] == "stopped"
    assert seen["spare"]["output"] == "cascade:spare"

    resp = await hall.post("/api/cascade/targets/up/stop", headers=expert)
    assert resp.status == 403 and "expert" in (await resp.json())["message"]
    operator = await token(hall, "operator1")
    await targets(hall, operator, may_switch=True)
    resp = await hall.post("/api/cascade/targets/nope/start", headers=operator)
    assert resp.status == 404 and "up, spare" in (await resp.json())["message"]

    resp = await hall.post("/api/cascade/targets/up/stop", headers=operator)
    assert resp.status == 200
    up = await resp.json()
    assert (up["enabled"], up["started"], up["state"], up["changed_by"]) == (False, False, "stopped", "operator1")
    resp = await hall.post("/api/cascade/targets/spare/start", headers=await token(hall, "commander1"))
    spare = await resp.json()
    assert spare["enabled"] and spare["started"] and spare["state"] in ("connecting", "failed")

    # another picture to a target: a screen or a source the wall shows, named in the error otherwise
    resp = await hall.post("/api/cascade/targets/spare/publish", json={"publish": "nope"}, headers=operator)
    assert resp.status == 404 and (await resp.json())["errors"][0]["path"] == "publish"
    resp = await hall.post("/api/cascade/targets/spare/publish", json={"publish": "main"}, headers=expert)
    assert resp.status == 403
    resp = await hall.post("/api/cascade/targets/spare/publish", json={"publish": "main"}, headers=operator)
    spare = await resp.json()
    assert (spare["publish"], spare["output"], spare["started"]) == ("main", "main", True)
    resp = await hall.post("/api/cascade/targets/spare/start", headers=operator)
    assert (await resp.json())["publish"] == "main"  # a start keeps the picture chosen last
    # kept in Redis: a restarted hall (or another process) wants the same
    media = hall.app[appkeys.MEDIA]
    wanted = await CascadeControl(hall.cfg, hall.app[appkeys.REDIS], media).wanted()
    assert (wanted["up"]["enabled"], wanted["up"]["by"], wanted["spare"]["enabled"]) == (False, "operator1", True)
    assert wanted["spare"]["publish"] == "main"


async def test_a_failing_target_shows_why_in_media_health_the_push_and_metrics(hall):
    admin = await token(hall, "admin")
    await wait_until(lambda: hall.app[appkeys.MEDIA].cascade.health()["up"]["state"] == "failed", 15, "failure")
    resp = await hall.get("/api/media/health", headers=admin)
    up = (await resp.json())["cascade"]["up"]
    assert up["state"] == "failed" and "cannot reach the other centre" in up["error"]
    assert up["next_attempt_s"] is not None

    sio = await connect_socket(hall, "/console", admin["Authorization"].split()[1], events=("media:health",))
    try:
        await wait_until(lambda: sio.received["media:health"], 5, "a media:health push")
        assert sio.received["media:health"][-1]["cascade"]["up"]["state"] in ("failed", "connecting")
    finally:
        await sio.disconnect()

    text = await (await hall.get("/metrics", headers=admin)).text()
    assert 'hall_cascade_target_up{target="up"} 0.0' in text
    assert 'hall_cascade_target_state{state="stopped",target="spare"} 1.0' in text
    reconnects = [line for line in text.splitlines() if line.startswith('hall_cascade_target_reconnects{target="up"}')]
    assert reconnects and float(reconnects[0].split()[-1]) >= 1
