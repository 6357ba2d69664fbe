"""The field page (/field/) of grid workers and department handlers, in real headless Chromium against a running
hall: reporting with photos and the phone's location, a retried submission, and a department's part of the loop."""
from __future__ import annotations

import hashlib
import io
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.e2e_helpers import api_as, login

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
IN_G01 = {"latitude": 36.6475, "longitude": 117.1021}  # Harmony grid 1, looked after by worker1 (config/grids.geojson)


def jpeg(colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A small real JPEG, as a phone camera would hand over (only much smaller)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def photo_file(data: bytes) -> dict:
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": data}


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


@pytest.fixture
def api(hall) -> Callable[..., dict]:
    """Call the REST API as a demo user (one token per user); asserts the expected status."""
    return api_as(hall, "operator1")


@pytest.fixture
def open_field(browser: Browser, hall) -> Iterator[Callable[..., Page]]:
    """Open the field page on a phone-sized page in a fresh context, logged in as `user`.

    `geolocation` ({latitude, longitude}) gives the page a position and the permission to read it; `timezone`
    puts the phone in another time zone than the district's.
    An uncaught script error in any of these pages fails the test."""
    contexts = []
    errors: list[str] = []

    def _open(user: str | None = None, geolocation: dict | None = None, timezone: str | None = None) -> Page:
        ctx = browser.new_context(viewport=PHONE, has_touch=True, geolocation=geolocation,
                                  permissions=["geolocation"] if geolocation else [], timezone_id=timezone)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(hall.url + "/field/")
        if user:
            login(page, user, hall.users[user])
            expect(page.get_by_test_id("who")).to_contain_text(user)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    assert not errors, f"script errors in the field page: {errors}"


def fill_report(page: Page, description: str, *, lat: str | None = None, lon: str | None = None) -> None:
    page.get_by_test_id("nav-report").click()
    page.get_by_test_id("report-major").select_option("01")
    page.get_by_test_id("report-category").select_option("0101")
    page.get_by_test_id("report-description").fill(description)
    if lat is not None:
        page.get_by_test_id("report-lat").fill(lat)
        page.get_by_test_id("report-lon").fill(lon)


def events_described(api, description: str, user: str = "operator1") -> list[dict]:
    return [e for e in api("GET", "/api/events?limit=500", user=user)["events"] if e["description"] == description]


def dispatched_event(api, description: str) -> dict:
    """A grid worker's report taken by the centre through accept, register and dispatch to sanitation."""
    ev = api("POST", "/api/events", {"channel": "worker", "description": description, "category": "0101",
                                     "lat": IN_G01["latitude"], "lon": IN_G01["longitude"],
                                     "photos": []}, user="worker1", status=201)["event"]
    for action, body in (("accept", {}), ("register", {}), ("dispatch", {"department": "sanitation"})):
        ev = api("POST", f"/api/events/{ev['id']}/{action}", body)["event"]
    assert ev["state"] == "dispatched", ev
    return ev


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_worker_reports_an_event_with_a_photo_and_sees_it_in_the_list_with_a_light(api, open_field):
    page = open_field("worker1")
    description = unique("垃圾堆在小区门口 garbage by the gate")
    photo = jpeg()
    fill_report(page, description, lat="36.6480", lon="117.1300")  # typed by hand: Riverside grid 1 (g03)
    page.get_by_test_id("report-address").fill("河畔花园 3号门")
    page.get_by_test_id("report-photo-input").set_input_files(photo_file(photo))
    expect(page.get_by_test_id("photo-uploaded")).to_have_count(1)
    no_sideways_scroll(page)
    page.get_by_test_id("report-submit").click()

    expect(page.get_by_test_id("flash")).to_contain_text("Report sent")
    row = page.get_by_test_id("task-list").locator("li", has_text=description)
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-state", "reported")
    expect(row.get_by_test_id("light")).to_have_attribute("data-light", "green")
    expect(row).to_contain_text("Exposed garbage")
    expect(row).to_contain_text("河畔花园 3号门")
    no_sideways_scroll(page)

    [ev] = events_described(api, description)
    assert ev["channel"] == "worker" and ev["reporter"] == "worker1" and ev["grid"] == "g03"
    assert ev["photos"] == [hashlib.sha256(photo).hexdigest()]
    # Its page shows the photo, fetched with the token and shown through a blob: URL.
    row.click()
    expect(page.get_by_test_id("detail-description")).to_have_text(description)
    thumb = page.get_by_test_id("detail-photos").locator("img")
    expect(thumb).to_have_attribute("data-loaded", "true")
    assert thumb.get_attribute("src").startswith("blob:")
    assert page.evaluate("el => el.naturalWidth", thumb.element_handle()) == 64


def test_the_phones_location_puts_the_report_in_the_workers_grid(api, open_field):
    page = open_field("worker1", geolocation=IN_G01)
    description = unique("Street light out by the school")
    fill_report(page, description)
    expect(page.get_by_test_id("report-lat")).to_have_value("36.647500")
    expect(page.get_by_test_id("report-lon")).to_have_value("117.102100")
    expect(page.get_by_test_id("geo-status")).to_contain_text("Location found")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Report sent")

    [ev] = events_described(api, description)
    assert ev["grid"] == "g01" and ev["lat"] == IN_G01["latitude"] and ev["lon"] == IN_G01["longitude"]


def test_a_retried_submission_after_a_lost_answer_files_exactly_one_event(api, open_field):
    page = open_field("worker1")
    description = unique("Manhole cover missing")
    keys: list[str] = []

    def drop_the_answer(route: Route) -> None:
        if route.request.method != "POST":
            return route.continue_()
        keys.append(route.request.post_data_json["idempotency_key"])
        if len(keys) == 1:
            route.fetch()  # the hall gets the report and files it...
            return route.abort("connectionreset")  # ...but its answer never reaches the phone
        return route.continue_()

    page.route(lambda url: url.endswith("/api/events"), drop_the_answer)
    fill_report(page, description, lat="36.6475", lon="117.1021")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("report-status")).to_contain_text("Not sent")
    expect(page.get_by_test_id("report-description")).to_have_value(description)  # the content is kept
    assert len(events_described(api, description)) == 1  # it did arrive

    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("flash")).to_contain_text("already reached the hall")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(events_described(api, description)) == 1
    # The next report is a new submission with a key of its own.
    fill_report(page, unique("Another one"))
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Report sent")
    assert len(keys) == 3 and keys[2] != keys[0]


def test_a_report_whose_answer_was_lost_survives_a_reload_of_the_page_and_is_filed_once(api, open_field):
    page = open_field("worker1")
    description = unique("Open burning behind the market")
    page.route(lambda url: url.endswith("/api/events"),
               lambda route: (route.fetch(), route.abort()) if route.request.method == "POST" else route.continue_())
    fill_report(page, description, lat="36.6475", lon="117.1021")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("report-status")).to_contain_text("Not sent")
    page.unroute_all()

    page.reload()  # as a phone may do with a tab in the background: the draft and its key come back
    expect(page.get_by_test_id("report-description")).to_have_value(description)
    expect(page.get_by_test_id("report-category")).to_have_value("0101")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("flash")).to_contain_text("already reached the hall")
    assert len(events_described(api, description)) == 1


def test_a_grid_worker_verifies_a_residents_report_on_site_and_can_call_the_resident(api, open_field):
    description = unique("Resident: water running down the stairwell")
    ev = api("POST", "/api/events", {"channel": "resident", "description": description, "category": "0201",
                                     "lat": IN_G01["latitude"], "lon": IN_G01["longitude"],
                                     "contact": "138 0013 8000"}, user="integration", status=201)["event"]
    api("POST", f"/api/events/{ev['id']}/accept", {})
    page = open_field("worker1")
    page.get_by_test_id("filter-needs").click()
    row = page.get_by_test_id(f"task-{ev['id']}")
    expect(row).to_contain_text("For you: Verified on site · Not found on site")
    row.click()
    expect(page.get_by_test_id("contact-call")).to_have_attribute("href", "tel:13800138000")
    no_sideways_scroll(page)
    page.get_by_test_id("action-verify").click()
    page.get_by_test_id("input-note").fill("Pipe joint leaking on the 3rd floor")
    page.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("detail-state")).to_have_attribute("data-state", "to_register")
    expect(page.get_by_test_id("actions")).not_to_contain_text("Verified on site")

    [entry] = [a for a in api("GET", f"/api/events/{ev['id']}/audit")["audit"] if a["action"] == "verify"]
    assert entry["by"] == "worker1" and entry["note"] == "Pipe joint leaking on the 3rd floor"
    page.get_by_test_id("back").click()
    expect(page.get_by_test_id(f"task-{ev['id']}")).to_have_count(0)  # no longer the worker's task


def test_a_department_receives_a_dispatched_event_and_feeds_back_with_a_photo(api, open_field):
    ev = dispatched_event(api, unique("Garbage by the west gate"))
    page = open_field("dept1")
    page.get_by_test_id("filter-needs").click()
    row = page.get_by_test_id(f"task-{ev['id']}")
    expect(row).to_contain_text("For you: Receive")
    expect(row.get_by_test_id("light")).to_have_attribute("data-light", "green")
    row.click()

    page.get_by_test_id("action-receive").click()
    page.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("detail-notice")).to_contain_text("Done: Receive")
    expect(page.get_by_test_id("detail-state")).to_have_attribute("data-state", "in_progress")

    page.get_by_test_id("action-feedback").click()
    page.get_by_test_id("action-submit").click()  # no result yet: the server's message sits by that field
    expect(page.locator("[data-field=result]").get_by_test_id("error-result")).to_be_visible()
    expect(page.get_by_test_id("input-result")).to_be_focused()
    photo = jpeg((40, 160, 90))
    page.get_by_test_id("input-result").fill("Cleared and the bin replaced")
    page.get_by_test_id("action-photo-input").set_input_files(photo_file(photo))
    expect(page.get_by_test_id("photo-uploaded")).to_have_count(1)
    page.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("detail-notice")).to_contain_text("Done: Send feedback")
    expect(page.get_by_test_id("detail-state")).to_have_attribute("data-state", "to_check")
    expect(page.get_by_test_id("detail-result-photos").locator("img")).to_have_attribute("data-loaded", "true")
    expect(page.get_by_test_id("audit")).to_contain_text("feedback by dept1")

    now = api("GET", f"/api/events/{ev['id']}")["event"]
    assert now["state"] == "to_check" and now["result"] == "Cleared and the bin replaced"
    assert now["result_photos"] == [hashlib.sha256(photo).hexdigest()]


def pull_down(page: Page, distance: int = 120) -> None:
    """A finger dragging the list down from the top of the page (touch events, as a phone sends them)."""
    page.evaluate("""distance => {
        const el = document.querySelector("[data-view=tasks]");
        const touch = y => new Touch({identifier: 1, target: el, clientX: 180, clientY: y});
        el.dispatchEvent(new TouchEvent("touchstart", {touches: [touch(150)], bubbles: true}));
        el.dispatchEvent(new TouchEvent("touchmove", {touches: [touch(150 + distance)], bubbles: true}));
        el.dispatchEvent(new TouchEvent("touchend", {touches: [], bubbles: true}));
    }""", distance)


def test_new_work_shows_after_a_refresh_or_a_pull_down(api, open_field):
    page = open_field("dept1")
    expect(page.get_by_test_id("list-status")).to_contain_text("Updated")
    first = dispatched_event(api, unique("Bins overflowing"))
    page.get_by_test_id("refresh").click()
    expect(page.get_by_test_id(f"task-{first['id']}")).to_be_visible()
    second = dispatched_event(api, unique("Leaflets on the lamp posts"))
    pull_down(page)
    expect(page.get_by_test_id(f"task-{second['id']}")).to_be_visible()


def test_an_action_on_a_stale_screen_is_refused_and_the_event_reloaded(api, open_field):
    ev = dispatched_event(api, unique("Vendor blocking the pavement"))
    page = open_field("dept1")
    page.goto(f"{page.url.split('#')[0]}#/event/{ev['id']}")
    expect(page.get_by_test_id("detail-state")).to_have_attribute("data-state", "dispatched")
    page.get_by_test_id("action-receive").click()
    api("POST", f"/api/events/{ev['id']}/set_urgency", {"urgency": "urgent"})  # the centre changes it meanwhile

    page.get_by_test_id("action-submit").click()
    notice = page.get_by_test_id("detail-notice")
    expect(notice).to_contain_text("changed meanwhile")
    expect(notice).to_have_attribute("data-kind", "warn")
    expect(page.locator(".facts")).to_contain_text("Urgent")
    assert api("GET", f"/api/events/{ev['id']}")["event"]["state"] == "dispatched"  # nothing was done
    # On the reloaded screen the same action goes through.
    page.get_by_test_id("action-receive").click()
    page.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("detail-state")).to_have_attribute("data-state", "in_progress")


def test_the_centre_is_sent_to_the_console(hall, open_field):
    page = open_field()
    login(page, "operator1", hall.users["operator1"])
    denied = page.get_by_test_id("denied")
    expect(denied).to_be_visible()
    expect(denied).to_contain_text("for grid workers and departments")
    expect(page.get_by_test_id("denied-console")).to_have_attribute("href", "/console/")
    expect(page.get_by_test_id("task-list")).to_have_count(0)


def test_a_wrong_password_is_said_and_nothing_else_shows(hall, open_field):
    page = open_field()
    login(page, "worker1", "not-" + hall.users["worker1"])
    expect(page.get_by_test_id("login-error")).to_contain_text("Wrong user name or password")
    expect(page.get_by_test_id("who")).to_be_hidden()


def test_a_phone_in_another_zone_shows_department_names_and_the_districts_clock(api, open_field):
    ev = dispatched_event(api, unique("Hydrant leaking"))
    api("POST", f"/api/events/{ev['id']}/return", {"note": "a water matter"}, user="dept1")
    ev = api("POST", f"/api/events/{ev['id']}/dispatch", {"department": "water", "co_handlers": ["sanitation"]})
    ev = ev["event"]
    page = open_field("dept1", timezone="America/Los_Angeles")  # 15 or 16 hours behind the district
    expect(page.get_by_test_id("list-status")).to_contain_text("Updated")
    shown = page.get_by_test_id("list-status").text_content()
    m = re.search(r"(\d\d):(\d\d):(\d\d)$", shown)
    assert m, f"{shown!r}: not the district's clock (HH:MM:SS)"
    hh, mm, ss = (int(x) for x in m.groups())
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    off = abs((now.hour * 3600 + now.minute * 60 + now.second) - (hh * 3600 + mm * 60 + ss))
    assert min(off, 86400 - off) < 120, f"{shown!r} is not the district's time {now:%H:%M:%S}"

    page.goto(f"{page.url.split('#')[0]}#/event/{ev['id']}")
    fact = lambda name: page.locator(f".facts dt:text-is('{name}') + dd")  # noqa: E731
    expect(fact("Department")).to_have_text("Water supply and property company")
    expect(fact("Co-handlers")).to_have_text("District sanitation bureau")
    local = ev["reported_at_local"]  # the district's own ISO time
    expect(fact("Reported")).to_have_text(f"{local[5:10]} {local[11:16]}")
    expect(page.get_by_test_id("audit").locator(".audit-at").first).to_have_text(f"{local[5:10]} {local[11:16]}")
