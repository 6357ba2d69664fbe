"""Wall control through REST and Socket.IO: windows, splits, presets, scenes, versioned writes, live updates."""

from __future__ import annotations

import asyncio
import json

import redis as sync_redis

from backend import keys
from tests.conftest import connect_socket, login, token_of, wait_until


async def _wall(client, headers) -> dict:
    resp = await client.get("/api/wall", headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def _screens(wall: dict) -> dict[str, dict]:
    return {s["id"]: s for s in wall["wall"]["screens"]}


def _quarters(rect: dict) -> list[dict]:
    """The 2x2 cells of a rectangle, row-major, as split_cells cuts them."""
    xs = [rect["x"] + c * rect["w"] // 2 for c in range(3)]
    ys = [rect["y"] + r * rect["h"] // 2 for r in range(3)]
    return [{"x": xs[c], "y": ys[r], "w": xs[c + 1] - xs[c],
             "h": ys[r + 1] - ys[r]} for r in range(2) for c in range(2)]


def _video(wid: str, rect: dict, source: str = "cam-river-01", z: int = 0) -> dict:
    return {"id": wid, "kind": "video", "rect": rect, "source": source, "z": z}


async def _put_layout(client, headers, version: int, windows: list[dict], **extra) -> dict:
    resp = await client.put("/api/wall/layout", headers=headers, json={"version": version, "windows": windows, **extra})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["layout"]


def _stream_len(redis_url: str) -> int:
    r = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return r.xlen(keys.WALL_CHANGES)
    finally:
        r.close()


# -- windows --------------------------------------------------------------------------------------
async def test_add_window_returns_201_with_a_generated_id_on_top(api_client):
    op = await login(api_client, "operator1")
    layout = await _put_layout(api_client, op, 0, [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300}, z=7)])
    resp = await api_client.post("/api/wall/windows", headers=op, json={
        "version": layout["version"],
        "window": {"kind": "video", "rect": {"x": 100, "y": 100, "w": 640, "h": 360}, "source": "cam-traffic-01"}})
    assert resp.status == 201
    body = await resp.json()
    window = body["window"]
    assert window["id"] and window["id"] != "a"
    assert window["z"] == 8
    assert window["rect"] == {"x": 100, "y": 100, "w": 640, "h": 360}
    assert body["layout"]["version"] == layout["version"] + 1
    assert body["layout"]["updated_by"] == "operator1"
    assert [w["id"] for w in body["layout"]["windows"]] == ["a", window["id"]]
    assert (await _wall(api_client, op))["layout"] == body["layout"]


async def test_add_window_with_a_used_id_is_422_and_changes_nothing(api_client):
    op = await login(api_client, "operator1")
    layout = await _put_layout(api_client, op, 0, [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300})])
    resp = await api_client.post("/api/wall/windows", headers=op, json={
        "version": layout["version"], "window": {"kind": "clock", "id": "a", "rect": {"x": 0, "y": 0, "w": 10,
                                                                                      "h": 10}}})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["window.id"]
    assert (await _wall(api_client, op))["layout"] == layout


async def test_patch_moves_and_resizes_a_window(api_client):
    op = await login(api_client, "operator1")
    layout = await _put_layout(api_client, op, 0, [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300})])
    resp = await api_client.patch("/api/wall/windows/a", headers=op, json={
        "version": layout["version"], "rect": {"x": 800, "y": 40, "w": 1200, "h": 680}, "title": "Bridge"})
    assert resp.status == 200, await resp.text()
    moved = (await resp.json())["layout"]
    assert moved["version"] == layout["version"] + 1
    assert moved["windows"][0]["rect"] == {"x": 800, "y": 40, "w": 1200, "h": 680}
    assert moved["windows"][0]["title"] == "Bridge"
    assert moved["windows"][0]["source"] == "cam-river-01"  # untouched fields stay


async def test_patch_of_an_unknown_window_is_404(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.patch("/api/wall/windows/nope", headers=op, json={"version": 0, "z": 3})
    assert resp.status == 404
    assert (await resp.json())["error"] == "not_found"


async def test_patch_that_moves_a_window_off_the_canvas_is_422_and_changes_nothing(api_client):
    op = await login(api_client, "operator1")
    wall = await _wall(api_client, op)
    layout = await _put_layout(api_client, op, 0, [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300})])
    resp = await api_client.patch("/api/wall/windows/a", headers=op, json={
        "version": layout["version"], "rect": {"x": wall["wall"]["canvas"]["w"] - 10, "y": 0, "w": 400, "h": 300}})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["windows[0].rect"]
    assert (await _wall(api_client, op))["layout"] == layout


async def test_delete_removes_a_window(api_client):
    op = await login(api_client, "operator1")
    layout = await _put_layout(api_client, op, 0, [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300}),
                                                   _video("b", {"x": 400, "y": 0, "w": 400, "h": 300})])
    resp = await api_client.delete("/api/wall/windows/a", headers=op, params={"version": str(layout["version"])})
    assert resp.status == 200
    after = (await resp.json())["layout"]
    assert [w["id"] for w in after["windows"]] == ["b"]
    assert after["version"] == layout["version"] + 1
    again = await api_client.delete("/api/wall/windows/a", headers=op, params={"version": str(after["version"])})
    assert again.status == 404


async def test_delete_without_a_version_is_422(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.delete("/api/wall/windows/a", headers=op)
    assert resp.status == 422
    assert "version" in [e["path"] for e in (await resp.json())["errors"]]


# -- splits ---------------------------------------------------------------------------------------
async def test_split_of_one_lcd_screen_in_four_fills_its_quarter_cells(api_client):
    op = await login(api_client, "operator1")
    wall = await _wall(api_client, op)
    screen = _screens(wall)["lcd-1-1"]
    sources = ["cam-river-01", "cam-river-02", "cam-traffic-01", "cam-park-01"]
    resp = await api_client.post("/api/wall/split", headers=op, json={
        "version": 0, "screens": ["lcd-1-1"], "n": 4, "sources": sources})
    assert resp.status == 200, await resp.text()
    windows = (await resp.json())["layout"]["windows"]
    assert len(windows) == 4
    assert [w["rect"] for w in windows] == _quarters(screen["canvas"])
    assert [w["source"] for w in windows] == sources
    assert all(w["kind"] == "video" for w in windows)
    assert windows[0]["title"] == next(s["name"] for s in wall["sources"] if s["id"] == "cam-river-01")


async def test_split_of_two_by_two_lcd_screens_in_sixteen_keeps_every_cell_inside_one_screen(api_client):
    op = await login(api_client, "operator1")
    wall = await _wall(api_client, op)
    screens = _screens(wall)
    ids = ["lcd-1-1", "lcd-1-2", "lcd-2-1", "lcd-2-2"]
    sources = [s["id"] for s in wall["sources"]]
    sources = (sources * 2)[:16]
    resp = await api_client.post("/api/wall/split", headers=op, json={
        "version": 0, "screens": ids, "n": 16, "sources": sources})
    assert resp.status == 200, await resp.text()
    windows = (await resp.json())["layout"]["windows"]
    assert len(windows) == 16
    rects = [w["rect"] for w in windows]
    for sid in ids:
        on_screen = [r for r in rects if _inside(r, screens[sid]["canvas"])]
        assert sorted(map(_key, on_screen)) == sorted(map(_key, _quarters(screens[sid]["canvas"]))), sid
    assert len({w["id"] for w in windows}) == 16


def _inside(r: dict, c: dict) -> bool:
    return (c["x"] <= r["x"] and c["y"] <= r["y"]
            and r["x"] + r["w"] <= c["x"] + c["w"] and r["y"] + r["h"] <= c["y"] + c["h"])


def _key(r: dict) -> tuple[int, int, int, int]:
    return r["x"], r["y"], r["w"], r["h"]


async def test_split_without_sources_keeps_the_sources_shown_there_in_reading_order(api_client):
    op = await login(api_client, "operator1")
    wall = await _wall(api_client, op)
    c = _screens(wall)["lcd-1-2"]["canvas"]
    outside = _video("outside", {"x": 0, "y": 0, "w": 400, "h": 300}, source="cam-park-01")
    lower = _video("lower", {"x": c["x"] + 10, "y": c["y"] + 600, "w": 300, "h": 200}, source="cam-school-01")
    upper = _video("upper", {"x": c["x"] + 900, "y": c["y"] + 20, "w": 300, "h": 200}, source="cam-market-01")
    layout = await _put_layout(api_client, op, 0, [outside, lower, upper])
    resp = await api_client.post("/api/wall/split", headers=op, json={
        "version": layout["version"], "screens": ["lcd-1-2"], "n": 4})
    assert resp.status == 200, await resp.text()
    windows = (await resp.json())["layout"]["windows"]
    assert windows[0]["id"] == "outside"
    split = windows[1:]
    assert [w["source"] for w in split] == ["cam-market-01", "cam-school-01"]
    assert [w["rect"] for w in split] == _quarters(c)[:2]


async def test_split_with_an_unknown_source_or_screen_is_422(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.post("/api/wall/split", headers=op, json={
        "version": 0, "screens": ["lcd-1-1"], "n": 4, "sources": ["cam-river-01", "nope"]})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["sources[1]"]
    resp = await api_client.post("/api/wall/split", headers=op, json={"version": 0, "screens": ["lcd-9-9"], "n": 4})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["screens[0]"]


async def test_split_with_an_empty_screen_list_is_422_not_a_server_error(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.post("/api/wall/split", headers=op, json={"version": 0, "screens": [], "n": 4})
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["path"] == "screens"
    assert (await _wall(api_client, op))["layout"]["version"] == 0


# -- presets and scenes -----------------------------------------------------------------------------
async def test_presets_save_list_apply_and_delete(api_client):
    op = await login(api_client, "operator1")
    saved_windows = [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300})]
    layout = await _put_layout(api_client, op, 0, saved_windows)

    resp = await api_client.put("/api/presets/morning", headers=op, json={})
    assert resp.status == 200, await resp.text()
    preset = (await resp.json())["preset"]
    assert preset["name"] == "morning" and [w["id"] for w in preset["windows"]] == ["a"]
    assert preset["updated_by"] == "operator1"

    listed = await (await api_client.get("/api/presets", headers=op)).json()
    assert [p["name"] for p in listed["presets"]] == ["morning"]

    layout = await _put_layout(api_client, op, layout["version"], [])
    resp = await api_client.post("/api/presets/morning/apply", headers=op, json={"version": layout["version"]})
    assert resp.status == 200
    applied = (await resp.json())["layout"]
    assert applied["version"] == layout["version"] + 1
    assert [(w["id"], w["rect"]) for w in applied["windows"]] == [("a", saved_windows[0]["rect"])]

    assert (await api_client.delete("/api/presets/morning", headers=op)).status == 204
    assert (await (await api_client.get("/api/presets", headers=op)).json())["presets"] == []
    missing = await api_client.post("/api/presets/morning/apply", headers=op, json={"version": applied["version"]})
    assert missing.status == 404
    assert (await api_client.delete("/api/presets/morning", headers=op)).status == 404


async def test_preset_with_explicit_windows_is_validated(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.put("/api/presets/bad", headers=op, json={
        "windows": [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300}, source="nope")]})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["windows[0].source"]
    assert (await (await api_client.get("/api/presets", headers=op)).json())["presets"] == []


async def test_applying_a_preset_on_a_stale_version_is_409(api_client):
    op = await login(api_client, "operator1")
    layout = await _put_layout(api_client, op, 0, [])
    assert (await api_client.put("/api/presets/p", headers=op, json={"windows": []})).status == 200
    resp = await api_client.post("/api/presets/p/apply", headers=op, json={"version": layout["version"] - 1})
    assert resp.status == 409
    assert (await resp.json())["current_version"] == layout["version"]


async def test_scene_apply_sets_the_scene_name_and_a_deleted_preset_makes_it_422(api_client):
    op = await login(api_client, "operator1")
    wall = await _wall(api_client, op)
    screens = _screens(wall)
    led = _video("led", {**screens["led-main"]["canvas"]}, source="cam-river-01")
    lcd = _video("lcd", {**screens["lcd-2-3"]["canvas"]}, source="cam-traffic-02")
    for name, window, screen in (("left", led, "led-main"), ("right", lcd, "lcd-2-3")):
        resp = await api_client.put(f"/api/presets/{name}", headers=op, json={"windows": [window], "screens": [screen]})
        assert resp.status == 200, await resp.text()
    resp = await api_client.put("/api/scenes/flood", headers=op, json={"presets": ["left", "right"]})
    assert resp.status == 200, await resp.text()
    scenes = await (await api_client.get("/api/scenes", headers=op)).json()
    assert [(s["name"], s["presets"]) for s in scenes["scenes"]] == [("flood", ["left", "right"])]

    resp = await api_client.post("/api/scenes/flood/apply", headers=op, json={"version": 0})
    assert resp.status == 200, await resp.text()
    layout = (await resp.json())["layout"]
    assert layout["scene"] == "flood"
    assert sorted(w["id"] for w in layout["windows"]) == ["lcd", "led"]

    assert (await api_client.delete("/api/presets/right", headers=op)).status == 204
    resp = await api_client.post("/api/scenes/flood/apply", headers=op, json={"version": layout["version"]})
    assert resp.status == 422
    body = await resp.json()
    assert [e["path"] for e in body["errors"]] == ["presets[1]"]
    assert "right" in body["errors"][0]["message"]
    assert (await _wall(api_client, op))["layout"] == layout


async def test_scene_naming_an_unknown_preset_is_refused(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.put("/api/scenes/s", headers=op, json={"presets": ["nope"]})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["presets[0]"]
    assert (await api_client.delete("/api/scenes/s", headers=op)).status == 404


# -- optimistic concurrency -------------------------------------------------------------------------
async def test_two_writers_on_the_same_version_one_wins_the_other_gets_409_and_nothing_is_lost(api_client, redis_url):
    op1 = await login(api_client, "operator1")
    op2 = await login(api_client, "operator2")
    layout = await _put_layout(api_client, op1, 0, [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300})])
    for round_ in range(6):
        version = layout["version"]
        writes = [
            api_client.patch("/api/wall/windows/a", headers=op1,
                             json={"version": version, "rect": {"x": 10 * round_, "y": 0, "w": 400, "h": 300}}),
            api_client.put("/api/wall/layout", headers=op2, json={"version": version, "windows": [
                _video("a", {"x": 0, "y": 20 * round_, "w": 500, "h": 300}),
                _video(f"b{round_}", {"x": 600, "y": 0, "w": 400, "h": 300})]}),
        ]
        responses = await asyncio.gather(*writes)
        statuses = sorted(r.status for r in responses)
        assert statuses == [200, 409], statuses
        winner = next(r for r in responses if r.status == 200)
        loser = next(r for r in responses if r.status == 409)
        won = (await winner.json())["layout"]
        lost = await loser.json()
        assert won["version"] == version + 1
        assert lost["error"] == "conflict" and lost["current_version"] == version + 1
        assert lost["layout"] == won
        assert (await _wall(api_client, op1))["layout"] == won
        layout = won
    assert _stream_len(redis_url) == 1 + 6


async def test_a_stale_write_gets_409_with_the_current_layout_and_changes_nothing(api_client):
    op = await login(api_client, "operator1")
    layout = await _put_layout(api_client, op, 0, [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300})])
    resp = await api_client.put("/api/wall/layout", headers=op, json={"version": 0, "windows": []})
    assert resp.status == 409
    body = await resp.json()
    assert body["error"] == "conflict" and body["current_version"] == 1 and body["layout"] == layout
    assert "version 0" in body["message"]
    add = await api_client.post("/api/wall/windows", headers=op, json={
        "version": 0, "window": {"kind": "clock", "rect": {"x": 0, "y": 0, "w": 10, "h": 10}}})
    assert add.status == 409
    assert (await _wall(api_client, op))["layout"] == layout


# -- bad layouts and bad requests ------------------------------------------------------------------------
async def test_bad_layout_gets_422_with_exact_paths_and_nothing_is_half_written(api_client, redis_url):
    op = await login(api_client, "operator1")
    wall = await _wall(api_client, op)
    canvas = wall["wall"]["canvas"]
    layout = await _put_layout(api_client, op, 0, [_video("keep", {"x": 0, "y": 0, "w": 400, "h": 300})])
    writes_before = _stream_len(redis_url)
    bad = [
        _video("a", {"x": 0, "y": 0, "w": 0, "h": 300}),
        _video("b", {"x": 0, "y": 0, "w": 400, "h": 300}, source="no-such-camera"),
        _video("a", {"x": 500, "y": 0, "w": 400, "h": 300}),
        _video("d", {"x": canvas["w"] - 100, "y": 0, "w": 400, "h": 300}),
    ]
    resp = await api_client.put("/api/wall/layout", headers=op, json={"version": layout["version"], "windows": bad})
    assert resp.status == 422
    body = await resp.json()
    assert body["error"] == "invalid" and body["message"]
    paths = [e["path"] for e in body["errors"]]
    assert sorted(paths) == sorted(["windows[0].rect.w", "windows[1].source", "windows[2].id", "windows[3].rect"])
    messages = {e["path"]: e["message"] for e in body["errors"]}
    assert "no-such-camera" in messages["windows[1].source"]
    assert "duplicate" in messages["windows[2].id"]
    assert "canvas" in messages["windows[3].rect"]

    after = await _wall(api_client, op)
    assert after["layout"] == layout
    assert _stream_len(redis_url) == writes_before


async def test_malformed_json_is_400(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.put("/api/wall/layout", headers={**op, "Content-Type": "application/json"},
                                data=b'{"version": 0, "windows": [')
    assert resp.status == 400
    body = await resp.json()
    assert body["error"] == "bad_request" and "JSON" in body["message"]


async def test_a_body_that_is_not_an_object_is_422(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.put("/api/wall/layout", headers=op, json=[1, 2])
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["path"] == "(body)"


async def test_an_unknown_field_is_422_naming_it(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.put("/api/wall/layout", headers=op, json={"version": 0, "windows": [], "colour": "red"})
    assert resp.status == 422
    errors = (await resp.json())["errors"]
    assert errors == [{"path": "colour", "message": "unknown field"}]
    resp = await api_client.patch("/api/wall/windows/a", headers=op, json={"version": 0, "zindex": 4})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["zindex"]


async def test_a_misspelt_field_inside_a_window_or_its_rect_is_422_not_dropped(api_client):
    op = await login(api_client, "operator1")
    window = {"id": "w1", "kind": "clock", "rect": {"x": 0, "y": 0, "w": 100, "h": 100, "d": 1}, "lable": False}
    resp = await api_client.put("/api/wall/layout", headers=op, json={"version": 0, "windows": [window]})
    assert resp.status == 422
    paths = sorted(e["path"] for e in (await resp.json())["errors"])
    assert paths == ["windows[0].lable", "windows[0].rect.d"]


async def test_a_wrongly_typed_field_is_422_with_its_path(api_client):
    op = await login(api_client, "operator1")
    resp = await api_client.put("/api/wall/layout", headers=op, json={
        "version": 0, "windows": [{"id": "a", "kind": "video", "source": "cam-river-01",
                                   "rect": {"x": 0, "y": 0, "w": "wide", "h": 10}}]})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["windows[0].rect.w"]
    resp = await api_client.put("/api/wall/layout", headers=op, json={"version": -1, "windows": []})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["version"]


async def test_a_body_that_is_too_large_is_400_and_changes_nothing(api_client):
    op = await login(api_client, "operator1")
    big = json.dumps({"version": 0, "windows": [], "scene": "x" * (1024 * 1024 + 10)}).encode()
    resp = await api_client.put("/api/wall/layout", headers={**op, "Content-Type": "application/json"}, data=big)
    assert resp.status == 400
    body = await resp.json()
    assert body["error"] == "bad_request" and "larger" in body["message"]
    assert (await _wall(api_client, op))["layout"]["version"] == 0


# -- live updates -------------------------------------------------------------------------------------
async def test_console_socket_receives_the_layout_after_a_rest_write(api_client):
    op = await login(api_client, "operator1")
    watcher = await connect_socket(api_client, "/console", token_of(await login(api_client, "commander1")),
                                   events=("layout", "presets"))
    try:
        await wait_until(lambda: watcher.received["layout"], what="the connect-time layout")
        resp = await api_client.post("/api/wall/windows", headers=op, json={
            "version": 0, "window": {"kind": "text", "text": "Flood alert", "rect": {"x": 0, "y": 0, "w": 800,
                                                                                     "h": 100}}})
        assert resp.status == 201
        await wait_until(lambda: any(x["version"] == 1 for x in watcher.received["layout"]),
                         what="the layout broadcast of version 1")
        live = next(x for x in watcher.received["layout"] if x["version"] == 1)
        assert live == (await resp.json())["layout"]
        assert (await api_client.put("/api/presets/p", headers=op, json={})).status == 200
        await wait_until(lambda: any(p["presets"] for p in watcher.received["presets"]),
                         what="the presets broadcast")
    finally:
        await watcher.disconnect()


async def test_wall_socket_receives_its_screen_parts_in_screen_pixels(api_client):
    admin = await login(api_client, "admin")
    op = await login(api_client, "operator1")
    wall = await _wall(api_client, op)
    screens = _screens(wall)
    token = (await (await api_client.post("/api/screens/led-main/token", headers=admin)).json())["token"]
    led = await connect_socket(api_client, "/wall", token, events=("screen",))
    try:
        await wait_until(lambda: led.received["screen"], what="the connect-time screen view")
        assert led.received["screen"][0]["parts"] == []
        c = screens["led-main"]["canvas"]
        half = {"x": c["x"], "y": c["y"], "w": c["w"] // 2, "h": c["h"]}
        await _put_layout(api_client, op, 0, [
            _video("whole", c, source="cam-river-01", z=1),
            _video("elsewhere", screens["lcd-1-1"]["canvas"], source="cam-river-02", z=1)])
        await wait_until(lambda: any(v["version"] == 1 for v in led.received["screen"]), what="the screen view of v1")
        view = next(v for v in led.received["screen"] if v["version"] == 1)
        assert view["screen"]["id"] == "led-main"
        assert view["timezone"]
        assert [p["window_id"] for p in view["parts"]] == ["whole"]
        w, h = screens["led-main"]["resolution"]
        assert view["parts"][0]["screen_rect"] == {"x": 0, "y": 0, "w": w, "h": h}
        assert view["parts"][0]["source_name"] == next(s["name"] for s in wall["sources"] if s["id"] == "cam-river-01")

        await _put_layout(api_client, op, 1, [_video("half", half, source="cam-river-01")])
        await wait_until(lambda: any(v["version"] == 2 for v in led.received["screen"]), what="the screen view of v2")
        part = next(v for v in led.received["screen"] if v["version"] == 2)["parts"][0]
        r = part["screen_rect"]
        assert r["x"] == 0 and r["y"] == 0 and r["h"] == h
        assert abs(r["w"] - w // 2) <= 1  # half the screen's own pixels, not canvas pixels
    finally:
        await led.disconnect()


async def test_layout_apply_over_socketio_writes_and_answers_409_on_a_stale_version(api_client):
    op = await login(api_client, "operator1")
    sio = await connect_socket(api_client, "/console", token_of(op), events=("layout",))
    try:
        windows = [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300})]
        ack = await sio.call("layout:apply", {"version": 0, "windows": windows, "scene": "manual"},
                             namespace="/console", timeout=10)
        assert ack["ok"] is True and ack["layout"]["version"] == 1 and ack["layout"]["scene"] == "manual"
        assert (await _wall(api_client, op))["layout"] == ack["layout"]

        stale = await sio.call("layout:apply", {"version": 0, "windows": []}, namespace="/console", timeout=10)
        assert stale["ok"] is False and stale["status"] == 409 and stale["error"] == "conflict"
        assert stale["current_version"] == 1 and stale["layout"] == ack["layout"]

        bad = await sio.call("layout:apply", {"version": 1, "windows": [_video("a", {"x": 0, "y": 0, "w": -5,
                                                                                     "h": 3})]},
                             namespace="/console", timeout=10)
        assert bad["ok"] is False and bad["status"] == 422
        assert [e["path"] for e in bad["errors"]] == ["windows[0].rect.w"]
        assert (await _wall(api_client, op))["layout"]["version"] == 1
    finally:
        await sio.disconnect()


async def test_audit_stream_has_one_entry_per_accepted_write(api_client, redis_url):
    op = await login(api_client, "operator1")
    v = (await _put_layout(api_client, op, 0, [_video("a", {"x": 0, "y": 0, "w": 400, "h": 300})]))["version"]
    assert (await api_client.put("/api/wall/layout", headers=op, json={"version": 0, "windows": []})).status == 409
    assert (await api_client.patch("/api/wall/windows/a", headers=op,
                                   json={"version": v, "rect": {"x": 0, "y": 0, "w": 0, "h": 1}})).status == 422
    resp = await api_client.patch("/api/wall/windows/a", headers=op, json={"version": v, "z": 5})
    assert resp.status == 200
    resp = await api_client.post("/api/wall/split", headers=op, json={"version": v + 1, "screens": ["lcd-1-1"], "n": 1,
                                                                       "sources": ["cam-park-01"]})
    assert resp.status == 200
    resp = await api_client.delete("/api/wall/windows/a", headers=op, params={"version": str(v + 2)})
    assert resp.status == 200

    r = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        entries = r.xrange(keys.WALL_CHANGES)
    finally:
        r.close()
    assert [int(fields["version"]) for _, fields in entries] == [1, 2, 3, 4]
    assert [fields["action"] for _, fields in entries] == ["replace", "update a", "split", "remove a"]
    assert all(fields["by"] == "operator1" for _, fields in entries)
    final = (await _wall(api_client, op))["layout"]
    assert json.loads(entries[-1][1]["layout"])["windows"] == final["windows"]
