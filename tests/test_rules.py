"""Layouts that follow events and the clock, on the real hall (real Redis): an alarm rule switches its region to
the map round the event and the nearest cameras, as "rule:<name>" through the versioned writes, tells the
consoles why, and goes back by time or by hand; a warning from another system does the same; a schedule is
applied once per occurrence however many hall processes run."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from backend import appkeys, keys
from backend.rules.config import ScheduleRule
from backend.rules.schedules import Schedules, next_occurrence, occurrence
from tests.conftest import connect_socket, wait_until
from tests.events_support import make_client, report_body, tokens

TZ = ZoneInfo("Asia/Shanghai")
SCHOOL = (36.6472, 117.0990)  # cam-school-01 stands there


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


async def wall(api, who) -> dict:
    return (await (await api.get("/api/wall", headers=who["operator1"])).json())["layout"]


async def put_camera_on_led(api, who) -> None:
    layout = await wall(api, who)
    windows = [
        {"id": "before", "kind": "video", "source": "cam-park-01", "rect": {"x": 0, "y": 0, "w": 7619, "h": 4286}},
        {"id": "lcd", "kind": "video", "source": "cam-river-01", "rect": {"x": 7778, "y": 1063, "w": 1920, "h": 1080}}]
    resp = await api.put("/api/wall/layout", headers=who["operator1"],
                         json={"version": layout["version"], "windows": windows})
    assert resp.status == 200, await resp.text()


async def test_a_critical_event_switches_the_led_to_its_map_and_nearest_cameras_and_back_in_time(hall):
    api, who = hall
    await put_camera_on_led(api, who)
    console = await connect_socket(api, "/console", who["operator1"]["Authorization"][7:], events=("rule",))
    try:
        quiet = await report(api, who, category="0601", lat=SCHOOL[0], lon=SCHOOL[1])  # normal urgency: nothing
        await api.post(f"/api/events/{quiet}/refuse", json={"note": "x"}, headers=who["operator1"])
        await api.app[appkeys.RULES].alarms.settled()
        assert [w["id"] for w in (await wall(api, who))["windows"]] == ["before", "lcd"]
        eid = await report(api, who, category="0602", lat=SCHOOL[0], lon=SCHOOL[1], urgency="critical")
        await wait_until(lambda: console.received["rule"], what="the alarm notice")
        layout = await wall(api, who)
        windows = {w["id"]: w for w in layout["windows"]}
        assert set(windows) == {"lcd", "alarm-critical-hazard-map", "alarm-critical-hazard-cam1",
                                "alarm-critical-hazard-cam2", "alarm-critical-hazard-cam3"}
        focus = windows["alarm-critical-hazard-map"]
        assert focus["panel"] == "district-map" and focus["focus"]["event"] == eid
        assert (focus["focus"]["lat"], focus["focus"]["lon"]) == SCHOOL
        assert windows["alarm-critical-hazard-cam1"]["source"] == "cam-school-01"  # the nearest camera first
        assert layout["updated_by"] == "rule:critical-hazard"
        notice = console.received["rule"][0]
        assert notice["kind"] == "alarm" and notice["rule"] == "critical-hazard" and notice["event"] == eid
        assert "Geological hazard sign, critical" in notice["reason"] and notice["screens"] == ["led-main"]
        assert 170 < notice["until"] - time.time() <= 180
        audit = await api.app[appkeys.REDIS].xrevrange(keys.WALL_CHANGES, count=1)
        assert audit[0][1]["by"] == "rule:critical-hazard" and audit[0][1]["action"].startswith("alarm: event ")
        # the same event again (another step on it) does not switch the wall again
        version = layout["version"]
        await api.post(f"/api/events/{eid}/accept", json={}, headers=who["operator1"])
        await api.app[appkeys.RULES].alarms.settled()
        assert (await wall(api, who))["version"] == version
        # its time is up: the region shows what it showed before, as the rule
        assert await api.app[appkeys.RULES].alarms.tick(time.time() + 181) == 1
        back = await wall(api, who)
        assert [w["id"] for w in back["windows"]] == ["lcd", "before"] and back["updated_by"] == "rule:critical-hazard"
        await wait_until(lambda: len(console.received["rule"]) == 2, what="the revert notice")
        assert console.received["rule"][1]["kind"] == "revert" and console.received["rule"][1]["restored"]
        rules = await (await api.get("/api/rules", headers=who["expert1"])).json()
        assert rules["alarms"][0]["active"] is None and rules["schedules"][0]["name"] == "morning-briefing"
    finally:
        await console.disconnect()


async def test_an_operator_puts_the_region_back_by_hand_and_an_expert_may_not(hall):
    api, who = hall
    await put_camera_on_led(api, who)
    await report(api, who, category="9001", lat=36.655, lon=117.131, urgency="critical")
    await api.app[appkeys.RULES].alarms.settled()
    rules = await (await api.get("/api/rules", headers=who["operator1"])).json()
    assert rules["alarms"][0]["active"]["cameras"][0] == "cam-river-02"
    assert (await api.post("/api/rules/alarms/critical-hazard/revert", headers=who["expert1"])).status == 403
    resp = await api.post("/api/rules/alarms/critical-hazard/revert", headers=who["operator1"])
    assert resp.status == 200 and (await resp.json())["alarm"]["by"] == "operator1"
    assert [w["id"] for w in (await wall(api, who))["windows"]] == ["lcd", "before"]
    assert (await api.post("/api/rules/alarms/critical-hazard/revert", headers=who["operator1"])).status == 404
    assert (await api.post("/api/rules/alarms/nope/revert", headers=who["operator1"])).status == 404


async def test_a_region_changed_by_hand_during_the_alarm_is_left_as_it_is(hall):
    api, who = hall
    await put_camera_on_led(api, who)
    await report(api, who, category="0602", lat=SCHOOL[0], lon=SCHOOL[1], urgency="critical")
    await api.app[appkeys.RULES].alarms.settled()
    layout = await wall(api, who)
    resp = await api.put("/api/wall/layout", headers=who["operator1"], json={"version": layout["version"], "windows": [
        {"id": "mine", "kind": "video", "source": "cam-traffic-01", "rect": {"x": 0, "y": 0, "w": 3000, "h": 2000}}]})
    assert resp.status == 200
    notice = await api.app[appkeys.RULES].alarms.revert("critical-hazard", "operator2")
    assert notice["restored"] is False and [w["id"] for w in (await wall(api, who))["windows"]] == ["mine"]


async def test_an_orange_hazard_warning_switches_the_led_to_its_grid(hall):
    api, who = hall
    hook = "/api/connectors/hazard/webhook"
    headers = {"X-Hall-Token": "hazard-demo-webhook-token"}
    resp = await api.post(hook, json={"warning": {"level": "yellow", "area": "g07", "text": "watch"}}, headers=headers)
    await api.app[appkeys.RULES].alarms.settled()
    assert resp.status == 200 and not (await wall(api, who))["windows"]  # yellow: no rule for it
    resp = await api.post(hook, json={"warning": {"level": "orange", "area": "g07", "text": "slope"}}, headers=headers)
    assert resp.status == 200
    await api.app[appkeys.RULES].alarms.settled()
    windows = {w["id"]: w for w in (await wall(api, who))["windows"]}
    g07 = api.app[appkeys.EVENTS].grids.by_id["g07"]
    focus = windows["alarm-critical-hazard-map"]["focus"]
    assert g07.contains(focus["lat"], focus["lon"]) and focus["label"] == "Hazard warning orange: slope"
    state = await api.app[appkeys.RULES].alarms.active("critical-hazard")
    assert state["reason"].startswith("Geological hazard warnings: orange warning for ")


def test_a_schedule_applies_on_its_weekdays_in_the_districts_time():
    rule = ScheduleRule(name="briefing", at="08:30", weekdays=[1, 2, 3, 4, 5], preset="Morning briefing", late_s=600)
    monday = datetime(2025, 6, 2, 8, 30, tzinfo=TZ).timestamp()
    assert occurrence(rule, monday - 1, TZ) is None
    assert occurrence(rule, monday, TZ).isoformat() == "2025-06-02T08:30:00+08:00"
    assert occurrence(rule, monday + 599, TZ) is not None and occurrence(rule, monday + 601, TZ) is None
    saturday = datetime(2025, 6, 7, 8, 31, tzinfo=TZ).timestamp()
    assert occurrence(rule, saturday, TZ) is None
    assert next_occurrence(rule, saturday, TZ).isoformat() == "2025-06-09T08:30:00+08:00"  # Monday next


async def test_a_schedule_is_applied_once_by_several_hall_processes(hall):
    api, _ = hall
    wc = api.app[appkeys.WALL_CONTROL]
    await wc.save_preset("Morning briefing", [], ["led-main"], "test")
    rule = ScheduleRule(name="briefing", at="08:30", weekdays=[1, 2, 3, 4, 5, 6, 7], preset="Morning briefing")
    heard = []

    async def notice(n):
        heard.append(n)

    redis = api.app[appkeys.REDIS]
    halls = [Schedules(redis, [rule], wc, TZ, notice, f"hall-{k}") for k in range(3)]
    at = datetime.now(TZ).replace(hour=8, minute=30, second=0, microsecond=0).timestamp() + 5
    applied = [await s.tick(at) for s in halls] + [await s.tick(at + 60) for s in halls]
    assert sum(applied) == 1 and [n["kind"] for n in heard] == ["schedule"]
    layout = await wc.layout()
    assert layout.updated_by == "schedule:briefing"
    missing = ScheduleRule(name="gone", at="08:30", preset="No such preset")
    await Schedules(redis, [missing], wc, TZ, notice, "x").tick(at)
    assert heard[-1]["kind"] == "failed" and "No such preset" in heard[-1]["error"]
