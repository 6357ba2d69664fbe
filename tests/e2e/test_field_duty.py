"""The field page's duty switch in real headless Chromium against a running hall: on duty, the phone's position
reaches the hall (and again after a move); off duty, nothing is sent; a department has no switch; the task list
reloads when the hall pushes a change (no polling)."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for
from tests.e2e.test_field_page import IN_G01, api, open_field, unique  # noqa: F401  (fixtures shared)

pytestmark = pytest.mark.e2e

MOVED = {"latitude": 36.6490, "longitude": 117.1030}  # about 180 m north of IN_G01, still Harmony grid 1


@pytest.fixture
def worker1_off_duty(api):  # noqa: F811
    api("POST", "/api/workers/me/duty", {"status": "off_duty"}, user="worker1")
    yield
    api("POST", "/api/workers/me/duty", {"status": "off_duty"}, user="worker1")


def test_a_worker_on_duty_shares_the_phones_position_and_stops_off_duty(api, open_field, worker1_off_duty):  # noqa: F811
    page = open_field("worker1", geolocation=IN_G01)
    expect(page.get_by_test_id("duty-off_duty")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("duty-line")).to_contain_text("Off duty")
    started = time.time()

    page.get_by_test_id("duty-on_duty").click()
    expect(page.get_by_test_id("duty-on_duty")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("duty-line")).to_contain_text("location shared at")
    expect(page.get_by_test_id("duty-line")).to_contain_text("(Harmony grid 1)")
    w = api("GET", "/api/workers/worker1")
    assert (w["status"], w["lat"], w["lon"], w["grid"]) == ("on_duty", IN_G01["latitude"], IN_G01["longitude"], "g01")
    assert w["at"] >= started - 60 and w["stale"] is False

    page.context.set_geolocation(MOVED)  # the worker walks on: sent once the reporting rule allows it
    moved = wait_for(lambda: api("GET", "/api/workers/worker1")["lat"] == MOVED["latitude"], timeout=20, step=0.5)
    assert moved, "the move never reached the hall"
    points = api("GET", "/api/workers/worker1/track", user="worker1")["points"]
    assert [(p["lat"], p["status"]) for p in points[-2:]] == [(IN_G01["latitude"], "on_duty"),
                                                               (MOVED["latitude"], "on_duty")]

    page.get_by_test_id("duty-busy").click()
    expect(page.get_by_test_id("duty-line")).to_contain_text("Busy")
    assert wait_for(lambda: api("GET", "/api/workers/worker1")["status"] == "busy")

    page.get_by_test_id("duty-off_duty").click()
    expect(page.get_by_test_id("duty-line")).to_contain_text("not shared")
    count = len(api("GET", "/api/workers/worker1/track")["points"])
    page.context.set_geolocation(IN_G01)
    page.wait_for_timeout(7000)  # longer than the reporting interval: a phone on duty would have sent by now
    after = api("GET", "/api/workers/worker1")
    assert after["status"] == "off_duty" and after["lat"] == MOVED["latitude"]
    assert len(api("GET", "/api/workers/worker1/track")["points"]) == count


def test_a_duty_change_made_elsewhere_shows_on_the_phone(api, open_field, worker1_off_duty):  # noqa: F811
    page = open_field("worker1", geolocation=IN_G01)
    expect(page.get_by_test_id("duty-off_duty")).to_have_attribute("aria-pressed", "true")
    api("POST", "/api/workers/me/duty", {"status": "busy"}, user="worker1")  # e.g. from a second phone
    expect(page.get_by_test_id("duty-busy")).to_have_attribute("aria-pressed", "true")


def test_a_department_has_no_duty_switch(open_field):  # noqa: F811
    page = open_field("dept1")
    expect(page.get_by_test_id("task-list")).to_be_visible()
    expect(page.get_by_test_id("duty")).to_have_count(0)


def test_the_task_list_reloads_when_the_hall_pushes_a_change(api, open_field):  # noqa: F811
    page = open_field("worker1")
    expect(page.get_by_test_id("list-status")).to_contain_text("Updated")
    description = unique("Bicycles blocking the fire escape")
    api("POST", "/api/events", {"channel": "resident", "description": description, "category": "0601",
                                "lat": IN_G01["latitude"], "lon": IN_G01["longitude"]}, user="integration", status=201)
    # no click, no poll: the `tasks` push reloads the list
    expect(page.get_by_test_id("task-list").locator("li", has_text=description)).to_have_count(1)
