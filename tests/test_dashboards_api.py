"""The five dashboards from the real hall (real Redis, the demo district): each document's figures equal the
hall's own statistics, in the hall's words, with no personal data; a change is pushed to the kiosks watching the
panel over /wall within a second."""

from __future__ import annotations

import json
import time

import pytest

from backend import appkeys
from tests.conftest import connect_socket, wait_until
from tests.events_support import make_client, report_body, tokens

PANELS = {"information": "info-aggregation", "events": "event-management", "disputes": "dispute-mediation",
          "warning": "early-warning", "performance": "performance"}


@pytest.fixture
async def hall(redis_url, tmp_path):
    api = await make_client(redis_url, tmp_path)
    who = await tokens(api)
    yield api, who
    await api.close()


async def report(api, who, **kw) -> str:
    resp = await api.post("/api/events", json=report_body(**kw), headers=who["integration"])
    assert resp.status == 201, await resp.text()
    return (await resp.json())["event"]["id"]


async def act(api, who, eid, action, user, **body):
    resp = await api.post(f"/api/events/{eid}/{action}", json=body, headers=who[user])
    assert resp.status == 200, await resp.text()


async def panel(api, who, pid, user="operator1") -> dict:
    resp = await api.get(f"/api/dashboards/{pid}", headers=who[user])
    assert resp.status == 200, await resp.text()
    return await resp.json()


def figures(doc) -> dict:
    return {f["id"]: f for f in doc["figures"]}


def tiles(doc) -> dict:
    return {t["id"]: t for t in doc["tiles"]}


async def test_every_dashboard_is_built_in_the_halls_words(hall):
    api, who = hall
    for eid in [await report(api, who), await report(api, who, category="0401", lat=36.652, lon=117.108)]:
        await act(api, who, eid, "accept", "operator1")
    for name, pid in PANELS.items():
        doc = await panel(api, who, pid)
        assert doc["dashboard"] == name and doc["panel"] == pid and "error" not in doc, doc.get("error")
        assert doc["type"] == {"figure_mm": 80, "label_mm": 30, "title_mm": 40}
        assert doc["figures"] and all(f["label"] and f["text"] for f in doc["figures"])
        text = json.dumps(doc)
        # nobody's log-in name, no KPI keys, no state values where a label belongs; no resident's contact
        assert "closure_rate" not in text and "138-0000-0000" not in text and "worker1" not in text, name
    info = figures(await panel(api, who, "info-aggregation"))
    assert info["residents"]["value"] == 78_149 and info["grids"]["value"] == 24 and info["events_open"]["value"] == 2


async def test_the_event_management_numbers_equal_the_statistics_api(hall):
    api, who = hall
    ids = [await report(api, who) for _ in range(3)] + [await report(api, who, channel="camera")]
    await act(api, who, ids[0], "refuse", "operator1", note="prank")
    doc = await panel(api, who, "event-management")
    today = await (await api.get("/api/events/stats?period=today", headers=who["operator1"])).json()
    week = await (await api.get("/api/events/stats?period=week", headers=who["operator1"])).json()
    f = figures(doc)
    assert f["reported_today"]["value"] == today["total"] == 4
    assert f["reported_week"]["value"] == week["total"]
    assert f["completion_rate"]["value"] == week["kpis"]["closure_rate"]
    assert f["open_now"]["value"] == 3
    t = tiles(doc)
    states = t["states"]["figure"]["data"][0]
    assert dict(zip(states["y"], states["x"], strict=True)) == {"Reported": 3}
    sources = t["sources"]["figure"]["data"][0]
    assert dict(zip(sources["y"], sources["x"], strict=True)) == {"Resident app": 3, "Camera alarm": 1}
    assert [r["sub"] for r in t["newest"]["rows"]][:1] == ["Reported"]
    assert t["newest"]["rows"][0]["text"].startswith("Exposed garbage · ")
    assert t["heat"]["total"] == 4 and sum(p[2] for p in t["heat"]["heat"]) == 4
    reporters = t["reporters"]["rows"]
    assert reporters and all(r["text"].startswith("Resident #") or r["sub"] == "staff" for r in reporters)


async def test_disputes_count_the_dispute_classes_by_state_and_type_and_the_success_rate(hall):
    api, who = hall
    settled, other = await report(api, who, category="0401"), await report(api, who, category="0402")
    await report(api, who)  # garbage: no dispute
    for action, user, body in (("accept", "operator1", {}), ("verify", "worker1", {"note": "seen"}),
                               ("register", "operator1", {}), ("dispatch", "commander1", {"department": "mediation"}),
                               ("receive", "flow-department", {}), ("feedback", "flow-department", {"result": "ok"}),
                               ("check_pass", "worker1", {}), ("close", "operator1", {})):
        await act(api, who, settled, action, user, **body)
    await act(api, who, other, "refuse", "operator1", note="not a dispute")
    doc = await panel(api, who, "dispute-mediation")
    f = figures(doc)
    assert f["reported"]["value"] == 2 and f["open"]["value"] == 0
    assert f["success_rate"]["value"] == 100.0 and f["success_rate"]["note"] == "1 settled of 1 ended"
    chart = tiles(doc)["by_state"]["figure"]
    got = {(t["name"], y): x for t in chart["data"] for y, x in zip(t["y"], t["x"], strict=True) if x}
    assert got == {("Neighbour dispute", "Closed"): 1, ("Night noise", "Refused"): 1}


async def test_the_warning_dashboard_explains_a_rising_class_against_earlier_days(hall):
    api, who = hall
    for _ in range(4):
        await report(api, who, category="0402")
    doc = await panel(api, who, "early-warning")
    rising = tiles(doc)["rising"]["rows"]
    assert rising and rising[0]["text"].startswith("Night noise: 4 by ")
    assert "against 0.0 ± 0.0" in rising[0]["sub"] and "on the last 28 days" in rising[0]["sub"]
    assert figures(doc)["rising"]["value"] == 1 and figures(doc)["today"]["value"] == 4


async def test_performance_ranks_workers_and_departments_by_display_name(hall):
    api, who = hall
    eid = await report(api, who, lat=36.645, lon=117.100)
    await act(api, who, eid, "accept", "operator1")
    await act(api, who, eid, "verify", "worker1", note="seen")
    doc = await panel(api, who, "performance")
    workers = tiles(doc)["workers"]["rows"]
    assert [w["name"] for w in workers] == ["Grid worker Chen"]
    assert workers[0]["values"]["handled"] == "1" and workers[0]["values"]["on_time"] == "100%"
    assert workers[0]["grade"] == "A"
    cover = tiles(doc)["coverage"]["items"]
    assert len(cover) == 24 and {c["text"] for c in cover} == {"0%"} and cover[0]["label"] == "Harmony grid 1"


async def test_a_report_reaches_the_kiosk_watching_the_panel_within_a_second(hall):
    api, who = hall
    screen_token = await api.app[appkeys.USERS].screen_token("lcd-1-1")
    kiosk = await connect_socket(api, "/wall", screen_token, events=("panel",))
    try:
        ack = await kiosk.call("panels:watch", {"panels": ["event-management"]}, namespace="/wall", timeout=10)
        assert ack["ok"] and 0.6 < ack["mm_per_px"] < 0.7  # an LCD of 1209.6 mm over 1920 pixels
        before = figures(ack["panels"]["event-management"])["reported_today"]["value"]
        wc = api.app[appkeys.WALL_CONTROL]
        await wc.add_window((await wc.layout()).version, _panel_window("event-management"), "test")
        started = time.monotonic()
        await report(api, who)
        await wait_until(lambda: any(figures(d)["reported_today"]["value"] == before + 1
                                     for d in kiosk.received["panel"]), timeout=5, what="the pushed panel")
        took = time.monotonic() - started
        print(f"report -> panel pushed to the kiosk: {took * 1000:.0f} ms")
        assert took < 1.0
        bad = await kiosk.call("panels:watch", {"panels": ["nope"]}, namespace="/wall", timeout=10)
        assert bad["status"] == 422 and bad["errors"][0]["path"] == "panels[0]"
    finally:
        await kiosk.disconnect()


async def test_only_screens_watch_panels_and_only_the_centre_and_screens_read_them(hall):
    api, who = hall
    assert (await api.get("/api/dashboards/performance", headers=who["worker1"])).status == 403
    assert (await api.get("/api/dashboards/performance")).status == 401
    assert (await api.get("/api/dashboards/nope", headers=who["operator1"])).status == 404
    screen = await api.app[appkeys.USERS].screen_token("led-main")
    resp = await api.get("/api/dashboards", headers={"Authorization": f"Bearer {screen}"})
    assert {p["id"] for p in (await resp.json())["panels"]} >= set(PANELS.values()) | {"ticker"}


def _panel_window(panel: str):
    from backend.schemas import NewWindow
    from layouts import Rect

    return NewWindow(kind="panel", panel=panel, rect=Rect(7778, 1063, 1920, 1080))

