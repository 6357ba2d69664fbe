"""One bad request must never take the wall down: every wall write is checked as the whole document it
produces, and a hall starts on the last valid layout when what is stored does not validate."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis as sync_redis
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backend import appkeys, keys
from backend.app import create_app
from backend.config import DEFAULT_CONFIG, load_config
from tests.conftest import connect_socket, login, seed_demo_users, token_of, wait_until

CFG = load_config(DEFAULT_CONFIG)
SOURCES = [s.id for s in CFG.sources]
PANELS = [p.id for p in CFG.panels]


async def _wall(client, headers) -> dict:
    resp = await client.get("/api/wall", headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def _add(client, headers, version: int, **window) -> dict:
    window.setdefault("kind", "video")
    window.setdefault("rect", {"x": 0, "y": 0, "w": 400, "h": 300})
    if window["kind"] == "video":
        window.setdefault("source", SOURCES[0])
    resp = await client.post("/api/wall/windows", headers=headers, json={"version": version, "window": window})
    assert resp.status == 201, await resp.text()
    return await resp.json()


@pytest.mark.parametrize("field,value", [("z", None), ("label", None), ("rect", None), ("fit", None),
                                         ("z", "10"), ("z", True), ("z", 2**53), ("label", 0),
                                         ("rect", {"x": 0, "y": 0, "w": "9", "h": 9}), ("fit", "squash")])
async def test_a_patch_that_would_store_a_bad_window_is_refused_naming_the_field(api_client, field, value):
    admin = await login(api_client, "admin")
    added = await _add(api_client, admin, 0)
    wid, version = added["window"]["id"], added["layout"]["version"]
    resp = await api_client.patch(f"/api/wall/windows/{wid}", headers=admin, json={"version": version, field: value})
    assert resp.status == 422, await resp.text()
    body = await resp.json()
    assert any(e["path"].split(".")[0] == field for e in body["errors"]), body
    wall = await _wall(api_client, admin)  # the wall still answers, unchanged
    assert wall["layout"]["version"] == version
    assert wall["layout"]["windows"] == [added["window"]]


async def test_a_patch_may_clear_a_title_but_not_stack_order(api_client):
    admin = await login(api_client, "admin")
    added = await _add(api_client, admin, 0, title="Bridge")
    wid, version = added["window"]["id"], added["layout"]["version"]
    resp = await api_client.patch(f"/api/wall/windows/{wid}", headers=admin, json={"version": version, "title": None})
    assert resp.status == 200
    assert (await resp.json())["layout"]["windows"][0]["title"] is None


def _break_stored_layout(redis_url: str, version: int) -> None:
    """What an older hall's bug left behind: a null where a number belongs, in the layout and its audit entry."""
    r = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    bad = json.dumps({"windows": [{"id": "w", "kind": "video", "rect": {"x": 0, "y": 0, "w": 10, "h": 10},
                                   "source": SOURCES[0], "z": None}], "scene": None})
    r.hset(keys.WALL_LAYOUT, mapping={"version": version, "data": bad})
    r.xadd(keys.WALL_CHANGES, {"version": version, "by": "old-hall", "action": "update w", "layout": bad})
    r.close()


async def test_a_hall_starts_on_the_last_valid_layout_when_the_stored_one_is_broken(redis_url, demo_config):
    await seed_demo_users(redis_url, demo_config)
    async with TestClient(TestServer(create_app(demo_config, redis_url, bootstrap_users=False))) as first:
        admin = await login(first, "admin")
        good = await _add(first, admin, 0, title="Last good")
    _break_stored_layout(redis_url, good["layout"]["version"] + 1)
    async with TestClient(TestServer(create_app(demo_config, redis_url, bootstrap_users=False))) as hall:
        admin = await login(hall, "admin")
        wall = await _wall(hall, admin)
        assert [w["title"] for w in wall["layout"]["windows"]] == ["Last good"]
        assert wall["layout"]["updated_by"] == "hall"  # the recovery is a write of its own, audited
        health = await (await hall.get("/healthz")).json()
        assert health["status"] == "degraded"
        assert [p["key"] for p in health["problems"]] == [keys.WALL_LAYOUT]
        assert "z" in health["problems"][0]["message"] and "audit" in health["problems"][0]["fallback"]
        console = await connect_socket(hall, "/console", token_of(admin), events=("hall:problems",))
        try:
            await wait_until(lambda: console.received["hall:problems"], what="the console's notice")
            assert console.received["hall:problems"][0]["problems"][0]["key"] == keys.WALL_LAYOUT
        finally:
            await console.disconnect()
        # and the wall is writable again on top of the recovered version; an operator's write settles it
        assert (await hall.put("/api/wall/layout", headers=admin,
                               json={"version": wall["layout"]["version"], "windows": []})).status == 200
        assert (await (await hall.get("/healthz")).json())["status"] == "ok"


async def test_a_broken_layout_with_no_valid_history_starts_empty(redis_url, demo_config):
    _break_stored_layout(redis_url, 7)
    await seed_demo_users(redis_url, demo_config)
    async with TestClient(TestServer(create_app(demo_config, redis_url, bootstrap_users=False))) as hall:
        wall = await _wall(hall, await login(hall, "admin"))
        assert wall["layout"]["windows"] == [] and wall["layout"]["version"] == 8


async def test_a_broken_preset_is_left_out_and_reported(redis_url, demo_config):
    r = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    r.hset(keys.WALL_PRESETS, "Broken", json.dumps({"name": "Broken", "windows": [{"id": 1}]}))
    r.close()
    await seed_demo_users(redis_url, demo_config)
    async with TestClient(TestServer(create_app(demo_config, redis_url, bootstrap_users=False))) as hall:
        admin = await login(hall, "admin")
        resp = await hall.get("/api/presets", headers=admin)
        assert resp.status == 200 and (await resp.json())["presets"] == []
        health = await (await hall.get("/healthz")).json()
        assert [p["key"] for p in health["problems"]] == [f"{keys.WALL_PRESETS}/Broken"]
        applied = await hall.post("/api/presets/Broken/apply", headers=admin, json={"version": 0})
        assert applied.status == 422


# -- the property: no sequence of wall writes, however wrong, breaks the wall ---------------------------
JUNK = st.one_of(st.none(), st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                 st.text(max_size=4), st.lists(st.integers(0, 9), max_size=2),
                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a good value (so sequences reach deep), sometimes anything JSON can carry."""
    return st.one_of(valid, valid, valid, JUNK)


INT = st.integers(-3000, 9000)
RECT = maybe(st.fixed_dictionaries({"x": maybe(INT), "y": maybe(INT), "w": maybe(st.integers(-5, 4000)),
                                    "h": maybe(st.integers(-5, 3000))}))
WINDOW_FIELDS = {"rect": RECT, "z": maybe(st.integers(-(2**60), 2**60)), "source": maybe(st.sampled_from(SOURCES)),
                 "panel": maybe(st.sampled_from(PANELS)), "text": maybe(st.text(max_size=8)),
                 "title": maybe(st.text(max_size=8)), "label": maybe(st.booleans()),
                 "fit": maybe(st.sampled_from(["contain", "cover", "fill"]))}
WINDOW = st.fixed_dictionaries({"kind": maybe(st.sampled_from(["video", "panel", "clock", "text"]))},
                               optional={"id": maybe(st.from_regex(r"[a-z]{1,3}", fullmatch=True)), **WINDOW_FIELDS})
PATCH = st.tuples(st.just("patch"), st.fixed_dictionaries({}, optional=WINDOW_FIELDS))
OPS = st.one_of(
    st.tuples(st.just("add"), WINDOW),
    PATCH, PATCH, PATCH,
    st.tuples(st.just("delete"), st.none()),
    st.tuples(st.just("put"), st.lists(WINDOW, max_size=3)),
    st.tuples(st.just("split"), st.fixed_dictionaries({"n": maybe(st.sampled_from([1, 4, 9, 16]))}, optional={
        "screens": maybe(st.lists(st.sampled_from(["led-main", "lcd-1-1", "lcd-2-3", "nope"]), max_size=2)),
        "rect": RECT, "rows": maybe(st.integers(0, 9)), "cols": maybe(st.integers(0, 9)),
        "sources": maybe(st.lists(st.sampled_from(SOURCES), max_size=3))})),
    st.tuples(st.just("preset"), st.fixed_dictionaries({}, optional={"windows": maybe(st.lists(WINDOW, max_size=2)),
                                                                     "screens": maybe(st.lists(st.sampled_from(
                                                                         ["lcd-1-1", "nope"]), max_size=2))})),
    st.tuples(st.just("apply-preset"), st.none()),
    st.tuples(st.just("scene"), maybe(st.lists(st.sampled_from(["P", "Q"]), max_size=2))),
    st.tuples(st.just("apply-scene"), st.none()),
)


async def _admin(client) -> dict[str, str]:
    """An admin's header without a password check (Argon2 on every example would dominate the run)."""
    token, _, _ = await client.app[appkeys.USERS].issue("admin", "admin", ttl_seconds=600)
    return {"Authorization": f"Bearer {token}"}


async def _run(client, admin: dict, ops: list) -> None:
    await _add(client, admin, 0, id="first", z=2)  # something on the wall for patches and deletes to hit
    for op, arg in ops:
        version = (await _wall(client, admin))["layout"]["version"]
        windows = (await _wall(client, admin))["layout"]["windows"]
        target = windows[-1]["id"] if windows else "none"
        if op == "add":
            resp = await client.post("/api/wall/windows", headers=admin, json={"version": version, "window": arg})
        elif op == "patch":
            resp = await client.patch(f"/api/wall/windows/{target}", headers=admin, json={"version": version, **arg})
        elif op == "delete":
            resp = await client.delete(f"/api/wall/windows/{target}", headers=admin, params={"version": version})
        elif op == "put":
            resp = await client.put("/api/wall/layout", headers=admin, json={"version": version, "windows": arg})
        elif op == "split":
            resp = await client.post("/api/wall/split", headers=admin, json={"version": version, **arg})
        elif op == "preset":
            resp = await client.put("/api/presets/P", headers=admin, json=arg)
        elif op == "apply-preset":
            resp = await client.post("/api/presets/P/apply", headers=admin, json={"version": version})
        elif op == "scene":
            resp = await client.put("/api/scenes/S", headers=admin, json={"presets": arg})
        else:
            resp = await client.post("/api/scenes/S/apply", headers=admin, json={"version": version})
        assert resp.status < 500, (op, arg, resp.status, await resp.text())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=8))
# what the probe found, always tried first
@example(ops=[("patch", {"z": None})]).via("the probe: z null bricked the wall")
@example(ops=[("patch", {"label": None})]).via("the probe: label null bricked the wall")
@example(ops=[("patch", {"rect": None})]).via("the probe: rect null gave a 500")
@example(ops=[("add", {"kind": "clock", "rect": {"x": 0, "y": 0, "w": 10, "h": 10}, "z": 2**60})])
def test_no_sequence_of_wall_writes_breaks_the_wall_or_the_next_start(redis_server, demo_config, ops):
    async def scenario() -> None:
        r = sync_redis.Redis.from_url(redis_server.url)
        r.flushall()
        r.close()
        await seed_demo_users(redis_server.url, demo_config)
        async with TestClient(TestServer(create_app(demo_config, redis_server.url, bootstrap_users=False))) as hall:
            admin = await _admin(hall)
            await _run(hall, admin, ops)
            before = (await _wall(hall, admin))["layout"]
            for path in ("/api/presets", "/api/scenes", "/metrics"):
                assert (await hall.get(path, headers=admin)).status == 200
            assert (await (await hall.get("/healthz")).json())["problems"] == []
        async with TestClient(TestServer(create_app(demo_config, redis_server.url, bootstrap_users=False))) as again:
            after = (await _wall(again, await _admin(again)))["layout"]
            assert after == before
            assert (await (await again.get("/healthz")).json())["problems"] == []

    asyncio.run(scenario())


# -- one action: a source onto the wall ------------------------------------------------------------------
async def test_show_fills_the_first_empty_screen_then_a_picture_in_picture(api_client, demo_config):
    admin = await login(api_client, "admin")
    wall = await _wall(api_client, admin)
    screens = wall["wall"]["screens"]
    # everything but the last LCD is covered: the source goes full screen onto that one
    windows = [{"id": f"w{i}", "kind": "clock", "rect": s["canvas"]} for i, s in enumerate(screens[:-1])]
    resp = await api_client.put("/api/wall/layout", headers=admin, json={"version": 0, "windows": windows})
    assert resp.status == 200
    shown = await api_client.post("/api/wall/show", headers=admin, json={"source": SOURCES[3]})
    assert shown.status == 200, await shown.text()
    body = await shown.json()
    assert body["window"]["rect"] == screens[-1]["canvas"] and body["window"]["source"] == SOURCES[3]
    assert body["window"]["title"] == CFG.sources[3].name
    # now every screen shows something: a third of the main screen, top right, above everything
    pip = (await (await api_client.post("/api/wall/show", headers=admin, json={"source": SOURCES[4]})).json())
    main = max(screens, key=lambda s: s["canvas"]["w"] * s["canvas"]["h"])["canvas"]
    assert pip["window"]["rect"]["w"] == main["w"] // 3
    assert pip["window"]["rect"]["x"] + pip["window"]["rect"]["w"] == main["x"] + main["w"]
    assert pip["window"]["z"] > max(w["z"] for w in pip["layout"]["windows"] if w["id"] != pip["window"]["id"])


async def test_show_into_a_window_replaces_its_source_and_refuses_nonsense(api_client):
    admin = await login(api_client, "admin")
    added = await _add(api_client, admin, 0)
    wid = added["window"]["id"]
    resp = await api_client.post("/api/wall/show", headers=admin, json={"source": SOURCES[5], "window": wid})
    assert resp.status == 200
    assert [(w["id"], w["source"]) for w in (await resp.json())["layout"]["windows"]] == [(wid, SOURCES[5])]
    for body, path in (({"source": "no-such-camera"}, "source"), ({"source": SOURCES[0], "screen": "nope"}, "screen"),
                       ({"source": SOURCES[0], "window": wid, "screen": "lcd-1-1"}, "screen")):
        bad = await api_client.post("/api/wall/show", headers=admin, json=body)
        assert bad.status == 422 and [e["path"] for e in (await bad.json())["errors"]] == [path]
    expert = await login(api_client, "expert1")
    assert (await api_client.post("/api/wall/show", headers=expert, json={"source": SOURCES[0]})).status == 403


async def test_a_runtime_source_can_be_shown_and_its_end_is_kept_until_removed(api_client):
    admin = await login(api_client, "admin")
    wc = api_client.app[appkeys.WALL_CONTROL]
    await wc.register_source("call:test1", "Call with Chen", "call", "Calls", "commander1")
    resp = await api_client.post("/api/wall/show", headers=admin, json={"source": "call:test1"})
    assert resp.status == 200
    body = await resp.json()
    wall = await _wall(api_client, admin)
    assert {"id": "call:test1", "name": "Call with Chen", "kind": "call", "group": "Calls", "state": "live"} in [
        {k: s[k] for k in ("id", "name", "kind", "group", "state") if k in s} for s in wall["sources"]]
    await wc.end_source("call:test1")
    wall = await _wall(api_client, admin)
    assert next(s for s in wall["sources"] if s["id"] == "call:test1")["state"] == "ended"
    assert wall["layout"]["windows"][0]["source"] == "call:test1"  # still valid: it shows the ended slate
    resp = await api_client.delete(f"/api/wall/windows/{body['window']['id']}", headers=admin,
                                   params={"version": wall["layout"]["version"]})
    assert resp.status == 200
    assert "call:test1" not in [s["id"] for s in (await _wall(api_client, admin))["sources"]]
