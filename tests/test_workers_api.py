"""Grid workers over the real app (real Redis, real Socket.IO clients): who may call each route and event, a worker
reading only their own track, other systems getting names and distances only, bad input answered with the field,
and the pushes: positions to the centre's consoles (batched), tasks and duty to the field page."""

from __future__ import annotations

import asyncio
import time

import pytest
import socketio

from backend import appkeys, keys
from tests.conftest import connect_socket, wait_until
from tests.events_support import make_client, report_body, tokens

G01 = (36.6475, 117.1021)  # Harmony grid 1: worker1's
CENTRE = ("admin", "operator1", "commander1")
OTHERS = ("worker1", "dept1", "expert1", "integration", "screen")


@pytest.fixture
async def hall(redis_url, tmp_path):
    api = await make_client(redis_url, tmp_path)
    redis = api.app[appkeys.REDIS]
    await redis.sadd(keys.USERS, *[u.name for u in api.app[appkeys.CONFIG].users])  # make_client sets the hashes only
    who = await tokens(api)
    who["screen"] = {"Authorization": f"Bearer {await api.app[appkeys.USERS].screen_token('led-main')}"}
    api.who = who
    try:
        yield api
    finally:
        await api.close()


def bare(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


async def on_duty_at(hall, name: str, lat: float, lon: float, status: str = "on_duty") -> None:
    reg = hall.app[appkeys.WORKERS]
    await reg.set_status(name, status)
    await reg.report_position(name, lat, lon, accuracy=5)


async def event_in_g01(hall) -> str:
    resp = await hall.post("/api/events", json=report_body(), headers=hall.who["integration"])
    assert resp.status == 201, await resp.text()
    return (await resp.json())["event"]["id"]


# -- who may ---------------------------------------------------------------------------------------------
async def test_every_workers_route_answers_only_the_roles_it_names(hall):
    eid = await event_in_g01(hall)
    routes = [
        ("GET", "/api/workers", None, set(CENTRE)),
        ("GET", "/api/workers/me", None, {"worker1"}),
        ("POST", "/api/workers/me/duty", {"status": "on_duty"}, {"worker1"}),
        ("GET", f"/api/workers/nearest?lat={G01[0]}&lon={G01[1]}", None, {*CENTRE, "integration"}),
        ("GET", f"/api/events/{eid}/nearest-workers", None, {*CENTRE, "integration"}),
        ("GET", "/api/workers/worker1", None, {*CENTRE, "worker1"}),
        ("GET", "/api/workers/worker1/track", None, {*CENTRE, "worker1"}),
    ]
    for method, path, body, allowed in routes:
        resp = await hall.request(method, path, json=body)
        assert resp.status == 401, (path, "no token")
        for user in (*CENTRE, *OTHERS):
            resp = await hall.request(method, path, json=body, headers=hall.who[user])
            want = 200 if user in allowed else 403
            assert resp.status == want, (method, path, user, resp.status, await resp.text())
            if want == 403:
                assert (await resp.json())["error"] == "forbidden"


async def test_a_worker_reads_their_own_track_and_never_another_workers(hall):
    await on_duty_at(hall, "worker2", 36.6475, 117.1475)
    await on_duty_at(hall, "worker1", *G01)
    resp = await hall.get("/api/workers/worker2/track", headers=hall.who["worker1"])
    assert resp.status == 403
    assert "only their own" in (await resp.json())["message"]
    resp = await hall.get("/api/workers/worker2", headers=hall.who["worker1"])
    assert resp.status == 403
    resp = await hall.get("/api/workers/worker1/track", headers=hall.who["worker1"])
    assert resp.status == 200
    assert [(p["lat"], p["lon"]) for p in (await resp.json())["points"]] == [G01]
    resp = await hall.get("/api/workers/worker2/track", headers=hall.who["commander1"])
    assert [p["status"] for p in (await resp.json())["points"]] == ["on_duty"]


async def test_other_systems_get_names_distance_and_status_of_the_nearest_never_positions(hall):
    await on_duty_at(hall, "worker5", 36.6480, 117.1021)
    await on_duty_at(hall, "worker6", 36.6490, 117.1021, status="busy")
    eid = await event_in_g01(hall)
    resp = await hall.get(f"/api/events/{eid}/nearest-workers", headers=hall.who["integration"])
    body = await resp.json()
    cand = body["candidates"][0]
    assert (cand["name"], cand["display_name"], cand["status"]) == ("worker5", "Grid worker Liu", "on_duty")
    assert cand["distance_m"] > 0
    for item in body["candidates"] + body["skipped"]:
        assert item["lat"] is None and item["lon"] is None and item["grid"] is None and item["position_age_s"] is None
    assert {s["name"]: s["reason"] for s in body["skipped"]}["worker6"] == "busy"
    # the centre sees where they are, and the event's own grid worker marked
    resp = await hall.get(f"/api/events/{eid}/nearest-workers", headers=hall.who["operator1"])
    body = await resp.json()
    assert body["event"] == eid and body["event_grid"] == "g01"
    assert body["candidates"][0]["lat"] == pytest.approx(36.6480)
    own = next(s for s in body["skipped"] if s["name"] == "worker1")
    assert own["own_grid"] is True and own["reason"] == "off_duty"


async def test_the_list_shows_every_worker_with_status_position_age_grids_and_open_tasks(hall):
    await on_duty_at(hall, "worker1", *G01)
    eid = await event_in_g01(hall)
    await hall.post(f"/api/events/{eid}/accept", json={}, headers=hall.who["operator1"])  # now worker1 verifies
    resp = await hall.get("/api/workers", headers=hall.who["operator1"])
    body = await resp.json()
    assert body["stale_after_s"] == 120
    w1 = next(w for w in body["workers"] if w["name"] == "worker1")
    assert (w1["status"], w1["grid"], w1["grids"], w1["open_tasks"], w1["stale"]) == ("on_duty", "g01", ["g01", "g03"],
                                                                                      1, False)
    assert 0 <= w1["position_age_s"] < 60
    assert [w["name"] for w in body["workers"]] == sorted(u.name for u in hall.app[appkeys.CONFIG].users
                                                           if u.role == "worker")  # worker1 ... worker32, flow-worker
    resp = await hall.get("/api/workers/me", headers=hall.who["worker1"])
    assert (await resp.json())["open_tasks"] == 1


# -- bad input ---------------------------------------------------------------------------------------------
async def test_bad_input_is_answered_with_the_field_and_nothing_is_written(hall):
    who = hall.who
    resp = await hall.post("/api/workers/me/duty", json={"status": "asleep"}, headers=who["worker1"])
    assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == "status"
    resp = await hall.post("/api/workers/me/duty", json={"status": "on_duty", "extra": 1}, headers=who["worker1"])
    assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == "extra"
    assert await hall.app[appkeys.REDIS].exists(keys.worker("worker1")) == 0
    resp = await hall.get("/api/workers/nearest?lat=abc&lon=117", headers=who["operator1"])
    assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == "lat"
    resp = await hall.get("/api/workers/nearest?lat=36.6&lon=117&limit=0", headers=who["operator1"])
    assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == "limit"
    for query, path in (("since=yesterday", "since"), ("since=nan", "since"),
                        ("since=2025-06-02&until=2025-06-01", "until")):
        resp = await hall.get(f"/api/workers/worker1/track?{query}", headers=who["operator1"])
        assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == path, query
    resp = await hall.get("/api/workers/nobody/track", headers=who["operator1"])
    assert resp.status == 404
    resp = await hall.get("/api/workers/operator1", headers=who["operator1"])
    assert resp.status == 404  # not a worker
    resp = await hall.get("/api/events/EV-none/nearest-workers", headers=who["operator1"])
    assert resp.status == 404
    resp = await hall.post("/api/events", json=report_body(lat=None, lon=None), headers=who["integration"])
    eid = (await resp.json())["event"]["id"]
    resp = await hall.get(f"/api/events/{eid}/nearest-workers", headers=who["operator1"])
    assert resp.status == 422 and "no lat/lon" in (await resp.json())["errors"][0]["message"]


async def test_the_track_takes_a_period_as_dates_or_times(hall):
    await on_duty_at(hall, "worker1", *G01)
    today = time.strftime("%Y-%m-%d", time.localtime())
    resp = await hall.get(f"/api/workers/worker1/track?since={time.time() - 60}", headers=hall.who["operator1"])
    assert len((await resp.json())["points"]) == 1
    resp = await hall.get(f"/api/workers/worker1/track?until={time.time() - 60}&since=0",
                          headers=hall.who["operator1"])
    assert (await resp.json())["points"] == []
    resp = await hall.get(f"/api/workers/worker1/track?since=2000-01-01&until={today}", headers=hall.who["operator1"])
    assert resp.status == 200 and (await resp.json())["truncated"] is False


# -- /field -----------------------------------------------------------------------------------------------------
async def test_the_field_namespace_lets_in_only_workers_and_departments(hall):
    for user in ("operator1", "expert1", "integration", "screen", "admin"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect_socket(hall, "/field", bare(hall.who[user]))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect_socket(hall, "/field", None)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect_socket(hall, "/field", "not-a-token")
    dept = await connect_socket(hall, "/field", bare(hall.who["dept1"]))
    try:  # a department gets its tasks but does not patrol
        for event, data in (("duty", {"status": "on_duty"}), ("position", {"lat": G01[0], "lon": G01[1]})):
            ack = await dept.call(event, data, namespace="/field", timeout=10)
            assert (ack["ok"], ack["status"], ack["error"]) == (False, 403, "forbidden"), event
    finally:
        await dept.disconnect()


async def test_a_worker_goes_on_duty_and_reports_over_the_socket(hall):
    sio = await connect_socket(hall, "/field", bare(hall.who["worker1"]), events=("duty",))
    try:
        await wait_until(lambda: sio.received["duty"], what="the duty on connect")
        first = sio.received["duty"][0]
        assert (first["status"], first["report_every_s"], first["report_min_move_m"]) == ("off_duty", 5, 20)
        ack = await sio.call("position", {"lat": G01[0], "lon": G01[1]}, namespace="/field", timeout=10)
        assert (ack["ok"], ack["status"]) == (False, 409)
        ack = await sio.call("duty", {"status": "on_duty"}, namespace="/field", timeout=10)
        assert ack["ok"] and ack["status"] == "on_duty"
        ack = await sio.call("position", {"lat": G01[0], "lon": G01[1], "accuracy": 12.5}, namespace="/field",
                             timeout=10)
        assert ack["ok"] and (ack["grid"], ack["grid_name"]) == ("g01", "Harmony grid 1")
        resp = await hall.get("/api/workers/worker1", headers=hall.who["operator1"])
        body = await resp.json()
        assert (body["lat"], body["lon"], body["accuracy"], body["status"]) == (*G01, 12.5, "on_duty")
        for bad, path in (({"lat": 91, "lon": 117}, "lat"), ({"lat": "36.6", "lon": 117}, "lat"),
                          ({"lat": 36.6}, "lon"), ({"lat": 36.6, "lon": 117, "speed": 3}, "speed")):
            ack = await sio.call("position", bad, namespace="/field", timeout=10)
            assert (ack["ok"], ack["status"], ack["errors"][0]["path"]) == (False, 422, path), bad
        ack = await sio.call("position", [1, 2], namespace="/field", timeout=10)
        assert ack["status"] == 422 and ack["errors"][0]["path"] == "(body)"
        ack = await sio.call("duty", {"status": "napping"}, namespace="/field", timeout=10)
        assert ack["status"] == 422 and ack["errors"][0]["path"] == "status"
    finally:
        await sio.disconnect()


async def test_logging_out_ends_the_phones_field_session_at_once(hall):
    sio = await connect_socket(hall, "/field", bare(hall.who["worker1"]), events=("session:ended",))
    try:
        assert (await hall.post("/api/auth/logout", headers=hall.who["worker1"])).status == 204
        await wait_until(lambda: "/field" not in sio.namespaces, what="the revoked phone to be dropped")
        assert sio.received["session:ended"]
    finally:
        await sio.disconnect()


async def test_a_duty_change_reaches_all_of_the_workers_phones(hall):
    phone = await connect_socket(hall, "/field", bare(hall.who["worker1"]), events=("duty",))
    try:
        await wait_until(lambda: phone.received["duty"], what="the first duty")
        resp = await hall.post("/api/workers/me/duty", json={"status": "busy"}, headers=hall.who["worker1"])
        assert (await resp.json())["status"] == "busy"
        await wait_until(lambda: phone.received["duty"][-1]["status"] == "busy", what="the pushed duty")
        await hall.app[appkeys.WORKERS].set_call("worker1", "call-7")  # the lead's calls set it
        await wait_until(lambda: phone.received["duty"][-1]["call"] == "call-7", what="the call in the duty push")
    finally:
        await phone.disconnect()


async def test_field_users_hear_of_the_events_that_concern_them_and_nothing_personal(hall):
    w1 = await connect_socket(hall, "/field", bare(hall.who["worker1"]), events=("tasks",))
    w2 = await connect_socket(hall, "/field", bare(hall.who["worker2"]), events=("tasks",))
    dept = await connect_socket(hall, "/field", bare(hall.who["dept1"]), events=("tasks",))
    try:
        eid = await event_in_g01(hall)
        await wait_until(lambda: w1.received["tasks"], what="worker1's tasks push")
        assert w1.received["tasks"][0] == {"id": eid, "state": "reported", "action": "report", "light": "green",
                                           "kind": None}
        for step, body in (("accept", {}), ("verify", {"note": "seen"})):
            who = "operator1" if step == "accept" else "worker1"
            resp = await hall.post(f"/api/events/{eid}/{step}", json=body, headers=hall.who[who])
            assert resp.status == 200, await resp.text()
        await hall.post(f"/api/events/{eid}/register", json={"category": "0101"}, headers=hall.who["operator1"])
        resp = await hall.post(f"/api/events/{eid}/dispatch", json={"department": "street-west"},
                               headers=hall.who["commander1"])
        assert resp.status == 200, await resp.text()
        await wait_until(lambda: any(n["action"] == "dispatch" for n in dept.received["tasks"]),
                         what="the department's push")
        await asyncio.sleep(0.3)
        assert w2.received["tasks"] == []  # not their grid
    finally:
        for s in (w1, w2, dept):
            await s.disconnect()


# -- /console ---------------------------------------------------------------------------------------------------
async def test_positions_reach_the_centres_consoles_batched_and_never_an_experts(hall):
    op = await connect_socket(hall, "/console", bare(hall.who["operator1"]), events=("workers:positions",))
    ex = await connect_socket(hall, "/console", bare(hall.who["expert1"]), events=("workers:positions",))
    try:
        reg = hall.app[appkeys.WORKERS]
        for name in ("worker5", "worker6", "worker7"):
            await reg.set_status(name, "on_duty")
        for i in range(5):  # many reports in one moment...
            for name in ("worker5", "worker6", "worker7"):
                await reg.report_position(name, 36.65 + i * 0.001, 117.10)
        await wait_until(lambda: {w["name"] for m in op.received["workers:positions"] for w in m["workers"]}
                         >= {"worker5", "worker6", "worker7"}, what="the positions push")
        await asyncio.sleep(1.5)
        msgs = op.received["workers:positions"]
        assert len(msgs) <= 3  # ...go out as a few batches, not 15 + 3 messages
        last = {w["name"]: w for m in msgs for w in m["workers"]}
        assert last["worker5"]["lat"] == pytest.approx(36.654) and last["worker5"]["status"] == "on_duty"
        assert set(last["worker5"]) >= {"name", "display_name", "lat", "lon", "status", "at", "grids", "call"}
        assert ex.received["workers:positions"] == []
    finally:
        await op.disconnect()
        await ex.disconnect()
