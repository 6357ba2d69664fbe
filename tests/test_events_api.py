"""The event REST API on the real app and a real Redis: intake, the loop, 409s, roles, bad input, export."""

from __future__ import annotations

import asyncio
import json

import pytest

from backend import appkeys
from tests.events_support import JPEG, PNG, make_client, report_body, tokens


@pytest.fixture
async def api(redis_url, tmp_path):
    client = await make_client(redis_url, tmp_path)
    yield client
    await client.close()


@pytest.fixture
async def who(api):
    return await tokens(api)


async def post(api, path, who, body=None, status=200):
    resp = await api.post(path, json=body or {}, headers=who)
    data = await resp.json()
    assert resp.status == status, data
    return data


async def act(api, eid, action, who, body=None, status=200):
    return await post(api, f"/api/events/{eid}/{action}", who, body, status)


async def test_a_resident_report_goes_round_the_whole_loop(api, who):
    photo = await api.post("/api/events/photos", data=JPEG, headers={**who["integration"],
                                                                      "Content-Type": "image/jpeg"})
    assert photo.status == 201, await photo.text()
    sha = (await photo.json())["sha256"]
    rep = await post(api, "/api/events", who["integration"], report_body(photos=[sha], reporter_name="resident-42"),
                     201)
    ev = rep["event"]
    assert rep["created"] and ev["state"] == "reported" and ev["grid"] == "g01" and ev["community"] == "c-harmony"
    assert ev["countdown"]["node"] == "accept" and ev["countdown"]["light"] == "green"
    eid = ev["id"]
    # the integration that filed it reads the resident as a pseudonym; the centre, who calls back, by name
    assert ev["reporter"].startswith("Resident #") and ev["contact"] is None
    centre = (await (await api.get(f"/api/events/{eid}", headers=who["operator1"])).json())["event"]
    assert centre["reporter"] == "resident-42" and centre["reporter_alias"] == ev["reporter"]
    assert (await act(api, eid, "accept", who["operator1"]))["event"]["state"] == "verifying"
    await act(api, eid, "verify", who["worker1"], {"note": "seen it"})
    ev = (await act(api, eid, "register", who["operator1"], {"urgency": "urgent"}))["event"]
    assert ev["routing"]["candidates"][0]["department"] == "street-west"
    await act(api, eid, "dispatch", who["commander1"], {"department": "street-west", "co_handlers": ["sanitation"]})
    ev = (await act(api, eid, "receive", who["dept1"]))["event"]
    assert ev["countdown"]["node"] == "handle" and ev["actions"] == ["request_postpone", "request_suspend", "feedback"]
    await act(api, eid, "feedback", who["dept1"], {"result": "cleared", "photos": [sha]})
    await act(api, eid, "check_pass", who["worker1"])
    ev = (await act(api, eid, "close", who["operator1"]))["event"]
    assert ev["state"] == "closed" and ev["close_type"] == "normal"
    ev = (await act(api, eid, "evaluate", who["operator1"], {"rating": 5, "note": "called back, satisfied"}))["event"]
    assert ev["state"] == "evaluated" and ev["version"] == 10
    audit = (await (await api.get(f"/api/events/{eid}/audit", headers=who["expert1"])).json())["audit"]
    assert [a["action"] for a in audit] == ["report", "accept", "verify", "register", "dispatch", "receive",
                                            "feedback", "check_pass", "close", "evaluate"]
    assert audit[2]["by"] == "worker1" and audit[2]["note"] == "seen it"
    stats = await (await api.get("/api/events/stats", headers=who["expert1"])).json()
    assert stats["total"] == 1 and stats["states"] == {"evaluated": 1}
    assert stats["kpis"]["closure_rate"] == 100.0 and stats["kpis"]["registration_rate"] == 100.0
    assert stats["channels"] == {"resident": 1} and stats["grids"] == {"g01": 1}
    got = await (await api.get(f"/api/events/photos/{sha}", headers=who["expert1"])).read()
    assert got == JPEG


async def test_an_illegal_transition_is_409_naming_the_allowed_ones(api, who):
    eid = (await post(api, "/api/events", who["integration"], report_body(), 201))["event"]["id"]
    body = await act(api, eid, "dispatch", who["commander1"], {"department": "water"}, 409)
    assert body["error"] == "conflict" and body["state"] == "reported"
    assert body["allowed"] == ["accept", "refuse", "mark_duplicate", "supervise", "set_urgency", "escalate", "attach"]
    assert "accept" in body["message"]


async def test_roles_are_checked_per_action(api, who):
    eid = (await post(api, "/api/events", who["integration"], report_body(), 201))["event"]["id"]
    body = await act(api, eid, "accept", who["worker1"], status=403)
    assert "worker" in body["message"]
    await act(api, eid, "accept", who["expert1"], status=403)
    resp = await api.post(f"/api/events/{eid}/accept", json={})
    assert resp.status == 401


async def test_a_retried_report_returns_the_first_event(api, who):
    body = report_body(idempotency_key="app-123-report-7")
    first = await post(api, "/api/events", who["integration"], body, 201)
    again = await post(api, "/api/events", who["integration"], body, 201)
    assert first["created"] and not again["created"]
    assert again["event"]["id"] == first["event"]["id"]
    # concurrent retries: still one event
    results = await asyncio.gather(*(post(api, "/api/events", who["integration"],
                                          report_body(idempotency_key="burst"), 201) for _ in range(10)))
    assert len({r["event"]["id"] for r in results}) == 1 and sum(r["created"] for r in results) == 1
    listed = await (await api.get("/api/events", headers=who["operator1"])).json()
    assert listed["total"] == 2


async def test_two_commanders_dispatch_at_once_exactly_one_wins(api, who):
    eid = (await post(api, "/api/events", who["worker1"], report_body(channel="worker", contact=None),
                      201))["event"]["id"]
    await act(api, eid, "accept", who["operator1"])
    await act(api, eid, "register", who["operator1"])
    other = who["admin"]

    async def dispatch(h, dept):
        resp = await api.post(f"/api/events/{eid}/dispatch", json={"department": dept}, headers=h)
        return resp.status, await resp.json()

    for _ in range(1):
        results = await asyncio.gather(dispatch(who["commander1"], "water"), dispatch(other, "sanitation"))
        statuses = sorted(s for s, _ in results)
        assert statuses == [200, 409], results
        loser = next(b for s, b in results if s == 409)
        assert loser["state"] == "dispatched" and loser["allowed"] == ["receive", "return", "supervise",
                                                                        "set_urgency", "escalate", "attach"]
    audit = (await (await api.get(f"/api/events/{eid}/audit", headers=other)).json())["audit"]
    assert [a["action"] for a in audit].count("dispatch") == 1


async def test_many_concurrent_dispatches_one_winner(api, who):
    eid = (await post(api, "/api/events", who["worker1"], report_body(channel="worker", contact=None),
                      201))["event"]["id"]
    await act(api, eid, "accept", who["operator1"])
    await act(api, eid, "register", who["operator1"])
    heads = [who["commander1"], who["operator1"], who["admin"]] * 4
    resps = await asyncio.gather(*(api.post(f"/api/events/{eid}/dispatch", json={"department": "water"}, headers=h)
                                   for h in heads))
    assert sorted(r.status for r in resps) == [200] + [409] * 11


async def test_worker_self_handled_short_path(api, who):
    ev = (await post(api, "/api/events", who["worker1"], report_body(channel="worker", contact=None, self_handled=True,
                                                                      result="picked it up"), 201))["event"]
    assert ev["state"] == "self_handled" and ev["countdown"]["node"] == "confirm"
    ev = (await act(api, ev["id"], "confirm", who["operator1"]))["event"]
    assert ev["state"] == "closed"
    posts = await (await api.get("/api/events/kpi/posts", headers=who["operator1"])).json()
    worker = next(p for p in posts["grid_workers"] if p["name"] == "worker1")
    assert worker["components"]["valid_report"] == 100.0 and worker["grade"] == "A"


async def test_a_point_outside_every_grid_is_accepted_and_flagged(api, who):
    ev = (await post(api, "/api/events", who["integration"], report_body(lat=36.9, lon=117.5), 201))["event"]
    assert ev["outside_grid"] and ev["grid"] is None
    stats = await (await api.get("/api/events/stats", headers=who["operator1"])).json()
    assert stats["grids"] == {"outside": 1}


async def test_duplicates_are_linked(api, who):
    a = (await post(api, "/api/events", who["integration"], report_body(), 201))["event"]["id"]
    b = (await post(api, "/api/events", who["integration"], report_body(), 201))["event"]["id"]
    ev = (await act(api, b, "mark_duplicate", who["operator1"], {"original": a}))["event"]
    assert ev["state"] == "duplicate" and ev["duplicate_of"] == a
    orig = (await (await api.get(f"/api/events/{a}", headers=who["operator1"])).json())["event"]
    assert orig["duplicates"] == [b]
    body = await act(api, a, "mark_duplicate", who["operator1"], {"original": "EV-nope"}, 422)
    assert body["errors"][0]["path"] == "original"


@pytest.mark.parametrize("field, value", [
    ("channel", "pigeon"), ("channel", 3), ("description", ""), ("description", "x" * 2001), ("description", None),
    ("category", "01"), ("category", "9999"), ("lat", 91), ("lat", "north"), ("lon", -181), ("address", "a" * 201),
    ("photos", ["not-a-hash"]), ("photos", ["0" * 64]), ("urgency", "panic"), ("contact", "c" * 101),
    ("idempotency_key", ""), ("idempotency_key", "k" * 129), ("self_handled", "maybe"), ("camera", "cam-nowhere"),
    ("colour", "red"),
])
async def test_every_bad_field_is_a_4xx_naming_it(api, who, field, value):
    body = report_body()
    if value is None:
        body.pop(field)
    else:
        body[field] = value
    resp = await api.post("/api/events", json=body, headers=who["integration"])
    data = await resp.json()
    assert 400 <= resp.status < 500, data
    paths = [e["path"] for e in data.get("errors", [])]
    assert any(p == field or p.startswith(field + "[") for p in paths), data


async def test_lat_without_lon_and_channel_by_role(api, who):
    data = await post(api, "/api/events", who["integration"], report_body(lon=None), 422)
    assert data["errors"][0]["path"] == "lon" and "together" in data["errors"][0]["message"]
    data = await post(api, "/api/events", who["worker1"], report_body(channel="resident"), 422)
    assert data["errors"][0]["path"] == "channel"
    data = await post(api, "/api/events", who["integration"], report_body(self_handled=True), 422)
    assert {e["path"] for e in data["errors"]} >= {"self_handled", "result"}
    await post(api, "/api/events", who["expert1"], report_body(), 403)


async def test_bad_action_parameters_name_the_field(api, who):
    eid = (await post(api, "/api/events", who["worker1"], report_body(channel="worker", contact=None),
                      201))["event"]["id"]
    await act(api, eid, "accept", who["operator1"])
    data = await act(api, eid, "register", who["operator1"], {"category": "0102", "conditions": "huge"}, 422)
    assert data["errors"][0]["path"] == "conditions"
    data = await act(api, eid, "register", who["operator1"], {"rating": 9}, 422)
    assert data["errors"][0]["path"] == "rating"
    data = await act(api, eid, "register", who["operator1"], {"version": 99}, 409)
    assert data["version"] == 2
    await act(api, eid, "register", who["operator1"], {"version": 2})
    data = await act(api, eid, "dispatch", who["commander1"], {}, 422)
    assert data["errors"][0]["path"] == "department"
    resp = await api.post("/api/events/EV-none/accept", json={}, headers=who["operator1"])
    assert resp.status == 404


async def test_photos_are_type_checked_and_size_limited(api, who):
    h = {**who["worker1"], "Content-Type": "image/jpeg"}
    resp = await api.post("/api/events/photos", data=b"GIF89a not really", headers=h)
    assert resp.status == 422 and "not an image" in (await resp.json())["errors"][0]["message"]
    resp = await api.post("/api/events/photos", data=b"<html>" + JPEG, headers=h)
    assert resp.status == 422
    resp = await api.post("/api/events/photos", data=PNG, headers=h)
    assert resp.status == 201 and (await resp.json())["content_type"] == "image/png"
    big = JPEG + b"\x00" * (5 * 1024 * 1024)
    resp = await api.post("/api/events/photos", data=big, headers=h)
    assert resp.status == 413
    resp = await api.post("/api/events/photos", data=b"", headers=h)
    assert resp.status == 422


async def test_list_filters_and_export(api, who):
    await post(api, "/api/events", who["integration"], report_body(category="0301"), 201)
    await post(api, "/api/events", who["integration"], report_body(category="0101", lat=36.66, lon=117.15), 201)
    await post(api, "/api/events", who["worker1"], report_body(channel="worker", contact=None, category="0201"), 201)
    get = lambda q: api.get(f"/api/events?{q}", headers=who["operator1"])  # noqa: E731
    assert (await (await get("channel=worker")).json())["total"] == 1
    assert (await (await get("category=03")).json())["events"][0]["category"] == "0301"
    assert (await (await get("grid=g08")).json())["total"] == 1
    assert (await (await get("grid=s-west")).json())["total"] == 2
    assert (await (await get("state=reported&limit=2")).json())["total"] == 3
    resp = await get("state=flying")
    assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == "state"
    resp = await get("limit=0")
    assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == "limit"
    csv_resp = await api.get("/api/events/export?format=csv", headers=who["operator1"])
    text = await csv_resp.text()
    lines = text.splitlines()
    assert csv_resp.status == 200 and lines[0].startswith("id,state,channel") and len(lines) == 4
    js = await (await api.get("/api/events/export", headers=who["operator1"])).json()
    assert len(js["events"]) == 3
    audit = await api.get("/api/events/audit?format=csv", headers=who["operator1"])
    assert len((await audit.text()).splitlines()) == 4
    aj = await (await api.get("/api/events/audit", headers=who["operator1"])).json()
    assert [a["action"] for a in aj["audit"]] == ["report"] * 3


async def test_stats_periods_and_figures(api, who):
    await post(api, "/api/events", who["integration"], report_body(), 201)
    h = who["operator1"]
    for period in ("today", "week", "month"):
        st = await (await api.get(f"/api/events/stats?period={period}", headers=h)).json()
        assert st["total"] == 1 and sum(st["trend"]["hours"]) == 1
    resp = await api.get("/api/events/stats?period=custom&start=2025-01-01", headers=h)
    assert resp.status == 422 and (await resp.json())["errors"][0]["path"] == "end"
    resp = await api.get("/api/events/stats?period=custom&start=2025-01-01&end=2025-01-31", headers=h)
    assert (await resp.json())["total"] == 0
    fig = await (await api.get("/api/events/figures/states", headers=h)).json()
    assert fig["data"][0]["type"] == "bar" and fig["data"][0]["y"] == [1]
    for name in ("trend", "hours", "channels", "categories", "kpis", "grades"):
        resp = await api.get(f"/api/events/figures/{name}", headers=h)
        assert resp.status == 200, name
    assert (await api.get("/api/events/figures/pie-in-the-sky", headers=h)).status == 404


async def test_openapi_lists_every_event_route(api):
    doc = await (await api.get("/api/openapi.json")).json()
    paths = doc["paths"]
    assert "/api/events" in paths and "/api/events/{id}/dispatch" in paths
    assert paths["/api/events/{id}/dispatch"]["post"]["x-roles"] == ["admin", "commander", "operator"]
    assert "409" in paths["/api/events/{id}/dispatch"]["post"]["responses"]
    assert "ReportIn" in doc["components"]["schemas"]


async def test_a_residents_contact_is_shown_only_to_those_who_call_back(api, who):
    eid = (await post(api, "/api/events", who["integration"], report_body(), 201))["event"]["id"]
    screen_token, _, _ = await api.app[appkeys.USERS].issue("screen:lcd-1-1", "screen", ttl_seconds=600,
                                                            screen="lcd-1-1")
    seen = {}
    for name, headers in (("operator1", who["operator1"]), ("expert1", who["expert1"]),
                          ("integration", who["integration"]),
                          ("screen", {"Authorization": f"Bearer {screen_token}"})):
        resp = await api.get(f"/api/events/{eid}", headers=headers)
        assert resp.status == 200, name
        seen[name] = (await resp.json())["event"]["contact"]
    assert seen == {"operator1": "138-0000-0000", "expert1": None, "integration": None, "screen": None}
    listed = await (await api.get("/api/events", headers={"Authorization": f"Bearer {screen_token}"})).json()
    assert [e["contact"] for e in listed["events"]] == [None]


async def test_whole_exports_are_for_the_hall_and_the_archive_only(api, who):
    await post(api, "/api/events", who["integration"], report_body(), 201)
    for path in ("/api/events/export", "/api/events/audit"):
        assert (await api.get(path, headers=who["worker1"])).status == 403
        assert (await api.get(path, headers=who["expert1"])).status == 403
        assert (await api.get(path, headers=who["commander1"])).status == 200
    exported = await (await api.get("/api/events/export", headers=who["integration"])).json()
    assert exported["events"][0]["contact"] is None


async def test_taxonomy_gives_classes_departments_and_the_photo_limits(api, who):
    resp = await api.get("/api/events/taxonomy", headers=who["worker1"])
    body = await resp.json()
    assert resp.status == 200
    majors = {m["code"]: m for m in body["taxonomy"]}
    assert "01" in majors and any(m["code"] == "0101" for m in majors["01"]["minors"])
    assert {d["id"] for d in body["departments"]} >= {"sanitation", "water"}
    assert body["photos"]["max_bytes"] == 5 * 1024 * 1024 and body["photos"]["max_per_report"] >= 1
    assert "image/jpeg" in body["photos"]["types"]
    assert (await api.get("/api/events/taxonomy")).status == 401


async def test_every_event_body_works_from_real_json(api, who):
    """JSON's own types: integers where floats go, the vocabularies' words, nested limits."""
    def send(path: str, body: dict, user: str):
        return api.post(path, data=json.dumps(body), headers={**who[user], "Content-Type": "application/json"})

    resp = await send("/api/events", report_body(lat=36, lon=117, urgency="urgent"), "integration")
    assert resp.status == 201, await resp.text()
    ev = (await resp.json())["event"]
    assert (ev["lat"], ev["lon"], ev["urgency"], ev["outside_grid"]) == (36.0, 117.0, "urgent", True)
    eid = (await post(api, "/api/events", who["worker1"], report_body(channel="worker", contact=None), 201))["event"]
    eid = eid["id"]
    steps = [("accept", "operator1", {"version": 1}), ("set_urgency", "operator1", {"urgency": "critical"}),
             ("escalate", "worker1", {"level": "street"}),
             ("register", "operator1", {"category": "0201", "conditions": "default", "urgency": "normal"}),
             ("dispatch", "commander1", {"department": "water", "co_handlers": ["sanitation"]}),
             ("receive", "dept1", {}), ("request_postpone", "dept1", {"extra": {"value": 1, "unit": "hours"},
                                                                      "note": "parts"}),
             ("approve_postpone", "commander1", {}), ("feedback", "dept1", {"result": "fixed"}),
             ("check_pass", "worker1", {}), ("close", "operator1", {"close_type": "special"}),
             ("evaluate", "operator1", {"rating": 5, "note": "thanks"})]
    for action, user, body in steps:
        resp = await send(f"/api/events/{eid}/{action}", body, user)
        assert resp.status == 200, (action, await resp.text())
    ev = (await resp.json())["event"]
    assert (ev["state"], ev["close_type"], ev["rating"], ev["level"]) == ("evaluated", "special", 5, "street")


@pytest.mark.parametrize("path, body, field", [
    ("/api/events", report_body(lat="36.645"), "lat"),
    ("/api/events", report_body(self_handled="true"), "self_handled"),
    ("/api/events", report_body(photos="0" * 64), "photos"),
    ("/api/events", report_body(description={"text": "x"}), "description"),
    ("/api/events", report_body(urgency=1), "urgency"),
    ("{event}/evaluate", {"rating": "5"}, "rating"),
    ("{event}/evaluate", {"rating": 4.5}, "rating"),
    ("{event}/accept", {"version": "1"}, "version"),
    ("{event}/request_postpone", {"extra": {"value": "1", "unit": "hours"}, "note": "x"}, "extra.value"),
    ("{event}/request_postpone", {"extra": {"value": 1, "unit": "fortnights"}, "note": "x"}, "extra.unit"),
    ("{event}/dispatch", {"department": "water", "co_handlers": "sanitation"}, "co_handlers"),
    ("{event}/escalate", {"level": "galaxy"}, "level"),
    ("{event}/close", {"close_type": "whatever"}, "close_type"),
])
async def test_a_body_of_the_wrong_json_type_is_refused_naming_the_field(api, who, path, body, field):
    eid = (await post(api, "/api/events", who["integration"], report_body(), 201))["event"]["id"]
    resp = await api.post(path.replace("{event}", f"/api/events/{eid}"), json=body, headers=who["admin"])
    data = await resp.json()
    assert resp.status == 422, data
    assert field in [e["path"] for e in data["errors"]], data
