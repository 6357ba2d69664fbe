"""The console's events panel in real headless Chromium against a running hall: the live list, filters with the
API's exact totals, the detail with the actions of the loop, conflicts, read-only experts and deadline warnings.

The session's `hall` is shared and never empty: every test makes its own events with unique descriptions.
"""
from __future__ import annotations

import json
import re
import struct
import urllib.request
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from backend.config import DEFAULT_CONFIG
from backend.redis_server import EmbeddedRedis
from tests.conftest import HallProcess
from tests.e2e.e2e_helpers import CONSOLE_VIEWPORT, login, wait_js
from tests.events_support import report_body

pytestmark = pytest.mark.e2e


def unique(what: str = "event") -> str:
    return f"{what} {uuid.uuid4().hex[:10]}"


def report(hall, user: str = "worker1", **kw) -> dict:
    """File a report through the API (a grid worker's by default: it skips the on-site verification)."""
    body = report_body(channel="worker" if user == "worker1" else "resident", description=unique(), **kw)
    status, res = hall.request("POST", "/api/events", body, hall.token(user))
    assert status == 201, res
    return res["event"]


def act(hall, event_id: str, action: str, user: str, **body) -> dict:
    status, res = hall.request("POST", f"/api/events/{event_id}/{action}", body, hall.token(user))
    assert status == 200, res
    return res["event"]


def png(width: int = 8, height: int = 6, rgb: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A real (tiny, one-colour) PNG, made with the standard library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def upload_photo(hall, user: str = "worker1") -> str:
    req = urllib.request.Request(hall.url + "/api/events/photos", data=png(), method="POST", headers={
        "Authorization": f"Bearer {hall.token(user)}", "Content-Type": "image/png"})
    with urllib.request.urlopen(req, timeout=10) as res:
        assert res.status == 201
        return json.loads(res.read())["sha256"]


def get_event(hall, event_id: str) -> dict:
    status, res = hall.request("GET", f"/api/events/{event_id}", token=hall.token("admin"))
    assert status == 200, res
    return res["event"]


def api_total(hall, **query) -> int:
    status, res = hall.request("GET", f"/api/events?{urlencode({**query, 'limit': 1})}", token=hall.token("admin"))
    assert status == 200, res
    return res["total"]


def open_events(page: Page) -> None:
    page.get_by_test_id("tab-events").click()
    expect(page.get_by_test_id("events-panel")).to_be_visible()
    expect(page.get_by_test_id("events-total")).to_have_text(re.compile(r"^\d+$"))


def row(page: Page, event_id: str):
    return page.get_by_test_id(f"event-row-{event_id}")


def open_detail(page: Page, event_id: str) -> None:
    row(page, event_id).click()
    expect(page.get_by_test_id("detail-id")).to_have_text(event_id)


def take(page: Page, action: str) -> None:
    """Open an action's form in the detail."""
    page.get_by_test_id(f"action-{action}").click()
    expect(page.get_by_test_id("action-form")).to_have_attribute("data-action", action)


# -- the live list ------------------------------------------------------------------------------
def test_a_report_made_through_the_api_appears_in_the_open_panel_without_a_reload(hall, open_console):
    page = open_console("operator1")
    open_events(page)
    page.evaluate("window.__notReloaded = true")
    list_requests: list[str] = []
    page.on("request", lambda r: list_requests.append(r.url)
            if re.search(r"/api/events\?", r.url) and "limit=25" in r.url else None)

    ev = report(hall, address="Harmony Rd 7, east gate")

    r = row(page, ev["id"])
    expect(r).to_be_visible()
    expect(r).to_have_attribute("data-state", "reported")
    expect(r).to_contain_text("Exposed garbage")
    expect(r).to_contain_text("Harmony Rd 7, east gate")
    expect(r.locator(".light")).to_have_class(re.compile(r"light-green"))
    # newest first: the new report is the first row
    expect(page.get_by_test_id("events-rows").locator("tr").first).to_have_attribute("data-id", ev["id"])
    assert page.evaluate("window.__notReloaded") is True
    assert list_requests == [], f"the list was read again: {list_requests}"

    # the counts at the top follow the notices (throttled) without a reload either
    status, stats = hall.request("GET", "/api/events/stats?period=today", token=hall.token("admin"))
    assert status == 200
    expect(page.get_by_test_id("count-reported").locator("b")).to_have_text(str(stats["states_now"]["reported"]))

    # a change made elsewhere updates the row in place (badges included)
    act(hall, ev["id"], "set_urgency", "operator2", urgency="critical")
    expect(r.locator(".badge-critical")).to_be_visible()
    assert list_requests == []


def test_filters_show_the_apis_exact_total(hall, open_console):
    waiting = report(hall)
    act(hall, waiting["id"], "accept", "operator1")
    act(hall, waiting["id"], "register", "operator1")  # -> to_dispatch (the demo district recommends)
    page = open_console("operator1")
    open_events(page)
    expect(page.get_by_test_id("events-total")).to_have_text(str(api_total(hall)))

    page.get_by_test_id("filter-state").select_option("to_dispatch")
    total = api_total(hall, state="to_dispatch")
    assert total >= 1
    expect(page.get_by_test_id("events-total")).to_have_text(str(total))
    rows = page.get_by_test_id("events-rows").locator("tr.ev-row")
    expect(rows).to_have_count(min(total, 25))
    expect(row(page, waiting["id"])).to_be_visible()
    expect(page.get_by_test_id("events-rows").locator("[data-state]:not([data-state=to_dispatch])")).to_have_count(0)

    page.get_by_test_id("filter-grid").select_option("s-west")
    expect(page.get_by_test_id("events-total")).to_have_text(str(api_total(hall, state="to_dispatch", grid="s-west")))

    page.get_by_test_id("filter-state").select_option("")
    page.get_by_test_id("filter-grid").select_option("")
    page.get_by_test_id("filter-overdue").select_option("true")
    expect(page.get_by_test_id("events-total")).to_have_text(str(api_total(hall, overdue="true")))

    # the counts at the top are the API's open states now
    page.get_by_test_id("filter-overdue").select_option("")
    status, stats = hall.request("GET", "/api/events/stats?period=today", token=hall.token("admin"))
    assert status == 200
    expect(page.get_by_test_id("count-to_dispatch").locator("b")).to_have_text(
        str(stats["states_now"]["to_dispatch"]))


# -- the loop from the console --------------------------------------------------------------------
def test_operator_accepts_and_registers_and_the_commander_dispatches_to_a_recommended_department(
        hall, open_console):
    operator = open_console("operator1")
    open_events(operator)
    ev = report(hall)
    expect(row(operator, ev["id"])).to_be_visible()

    open_detail(operator, ev["id"])
    expect(operator.get_by_test_id("detail-audit")).to_contain_text("report by worker1")
    take(operator, "accept")
    operator.get_by_test_id("action-submit").click()
    expect(operator.get_by_test_id("detail-state")).to_have_text("To register")

    take(operator, "register")
    operator.get_by_test_id("field-urgency").select_option("urgent")
    operator.get_by_test_id("action-submit").click()
    expect(operator.get_by_test_id("detail-state")).to_have_text("To dispatch")
    assert get_event(hall, ev["id"])["urgency"] == "urgent"

    commander = open_console("commander1")
    open_events(commander)
    open_detail(commander, ev["id"])
    take(commander, "dispatch")
    candidates = get_event(hall, ev["id"])["routing"]["candidates"]
    assert candidates, "the demo district recommends departments for exposed garbage"
    first = candidates[0]
    choice = commander.get_by_test_id(f"candidate-{first['department']}")
    expect(choice).to_contain_text(first["reason"])
    # the candidates come first, before the other departments
    expect(commander.get_by_test_id("field-department").locator("label").first).to_have_attribute(
        "data-testid", f"candidate-{first['department']}")
    choice.click()
    commander.get_by_test_id("co-water").check()
    commander.get_by_test_id("action-submit").click()
    expect(commander.get_by_test_id("detail-state")).to_have_text("Dispatched")

    now = get_event(hall, ev["id"])
    assert now["state"] == "dispatched"
    assert now["department"] == first["department"]
    assert now["co_handlers"] == ["water"]
    # the operator's panel followed live
    expect(row(operator, ev["id"])).to_have_attribute("data-state", "dispatched")
    expect(row(operator, ev["id"]).get_by_test_id("row-department")).not_to_have_text("—")


def test_a_note_is_asked_for_and_the_servers_422_is_shown_by_the_field(hall, open_console):
    ev = report(hall)
    page = open_console("operator1")
    open_events(page)
    open_detail(page, ev["id"])
    take(page, "refuse")
    page.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("field-error-note")).to_have_text("required")
    assert get_event(hall, ev["id"])["state"] == "reported"

    page.get_by_test_id("action-cancel").click()
    take(page, "mark_duplicate")
    page.get_by_test_id("field-original").fill("EV19990101-00000000")
    page.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("field-error-original")).to_contain_text("no event")
    assert get_event(hall, ev["id"])["state"] == "reported"


def test_a_concurrent_change_gives_the_conflict_notice_and_reloads_the_event(hall, open_console):
    ev = report(hall)
    page = open_console("operator1")
    open_events(page)
    open_detail(page, ev["id"])
    expect(page.get_by_test_id("detail-version")).to_have_text(str(ev["version"]))
    # an overlay stays allowed after the other change: only the version shown can make this a conflict
    take(page, "set_urgency")
    page.get_by_test_id("field-urgency").select_option("critical")

    act(hall, ev["id"], "supervise", "commander1", note="the district leader asks about it")
    expect(page.get_by_test_id("detail-stale")).to_contain_text("commander1")
    page.get_by_test_id("action-submit").click()

    notice = page.get_by_test_id("notice")
    expect(notice).to_contain_text("changed by commander1 (supervise)")
    expect(notice).to_contain_text("set urgency was not applied")
    now = get_event(hall, ev["id"])
    assert now["urgency"] == "normal" and now["supervised"] is True
    expect(page.get_by_test_id("detail-version")).to_have_text(str(now["version"]))
    expect(page.get_by_test_id("detail-audit")).to_contain_text("the district leader asks about it")
    expect(page.get_by_test_id("detail-stale")).to_be_hidden()

    # a move that is no longer open after someone else's decision is a conflict too
    take(page, "refuse")
    page.get_by_test_id("field-note").fill("not a matter for the centre")
    act(hall, ev["id"], "accept", "operator2")
    page.get_by_test_id("action-submit").click()
    expect(notice).to_contain_text("changed by operator2 (accept)")
    expect(page.get_by_test_id("detail-state")).to_have_text("To register")
    assert get_event(hall, ev["id"])["state"] == "to_register"
    expect(page.get_by_test_id("action-register")).to_be_visible()


def test_an_expert_sees_the_panel_read_only_with_the_photos(hall, open_console):
    ev = report(hall, photos=[upload_photo(hall)])
    page = open_console("expert1")
    open_events(page)
    open_detail(page, ev["id"])
    expect(page.get_by_test_id("detail-read-only")).to_be_visible()
    expect(page.get_by_test_id("detail-fields")).to_contain_text(ev["description"])
    expect(page.get_by_test_id("event-detail").locator("[data-testid^=action-]")).to_have_count(0)
    expect(page.get_by_test_id("detail-fields").locator("[data-field=contact]")).to_have_count(0)
    photo = page.get_by_test_id("detail-photos").locator("img")
    expect(photo).to_have_count(1)
    expect(photo).to_have_attribute("src", re.compile(r"^blob:"))
    wait_js(page, "(img) => img.complete && img.naturalWidth === 8", photo.element_handle())


def test_paging_goes_through_the_whole_list_in_pages_of_25(hall, open_console):
    for _ in range(max(0, 27 - api_total(hall))):
        report(hall)
    page = open_console("commander1")
    open_events(page)
    total = api_total(hall)
    expect(page.get_by_test_id("events-page")).to_have_text(f"1–25 of {total}")
    expect(page.get_by_test_id("events-prev")).to_be_disabled()
    page.get_by_test_id("events-next").click()
    status, res = hall.request("GET", "/api/events?offset=25&limit=1", token=hall.token("admin"))
    assert status == 200
    expect(page.get_by_test_id("events-page")).to_have_text(f"26–{min(total, 50)} of {total}")
    expect(page.get_by_test_id("events-rows").locator("tr").first).to_have_attribute(
        "data-id", res["events"][0]["id"])
    page.get_by_test_id("events-prev").click()
    expect(page.get_by_test_id("events-page")).to_have_text(f"1–25 of {total}")


def test_the_detail_of_an_event_without_routing_photos_or_duplicates_prints_no_null(hall, open_console):
    ev = report(hall)  # not registered (no routing), no photos, no duplicates
    page = open_console("operator1")
    open_events(page)
    open_detail(page, ev["id"])
    expect(page.get_by_test_id("detail-audit")).to_contain_text("report by worker1")
    assert "null" not in page.get_by_test_id("event-detail").inner_text()


def test_a_console_in_another_zone_shows_the_districts_time(hall, browser):
    ctx = browser.new_context(viewport=CONSOLE_VIEWPORT, timezone_id="America/New_York")
    try:
        page = ctx.new_page()
        page.goto(hall.url + "/console/")
        login(page, "operator1", hall.users["operator1"])
        open_events(page)
        ev = report(hall)
        local = ev["reported_at_local"]  # the district's own ISO time: "2025-06-02T09:30:15+08:00"
        district = f"{local[5:10]} {local[11:19]}"
        expect(row(page, ev["id"])).to_contain_text(f"{ev['id']} · {district}")
        open_detail(page, ev["id"])
        expect(page.get_by_test_id("detail-fields").locator("[data-field=reported]")).to_have_text(district)
        expect(page.get_by_test_id("detail-audit").locator(".audit-at")).to_have_text(district)
        expect(page.get_by_test_id("filter-state").locator("option[value=to_dispatch]")).to_have_text("To dispatch")
    finally:
        ctx.close()


# -- deadline warnings --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quick_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HallProcess]:
    """A second real hall whose `accept` node allows 6 seconds, so its own timers warn and mark events
    overdue within the test (the demo district allows 30 minutes)."""
    d = tmp_path_factory.mktemp("quick-hall")
    cfg = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    cfg["sources"] = []  # no cameras needed here: keep the machine free
    cfg.pop("cascade", None)  # its targets and feeds name the demo's screens and sources
    cfg.pop("rules", None)  # its alarms and schedules name the demo's screens and presets
    cfg["events"]["grids"] = str(Path(DEFAULT_CONFIG).parent / cfg["events"]["grids"])
    cfg["gis"]["district"] = str(Path(DEFAULT_CONFIG).parent / cfg["gis"]["district"])
    cfg["events"]["limits"]["accept"] = {"value": 0.1, "unit": "minutes"}
    path = d / "quick.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    server = EmbeddedRedis(d / "redis")
    server.start()
    proc = HallProcess(server.url, d, config=path)
    yield proc
    proc.stop()
    server.stop()


@pytest.fixture
def quick_console(browser: Browser, quick_hall: HallProcess) -> Iterator[Page]:
    ctx = browser.new_context(viewport=CONSOLE_VIEWPORT)
    errors: list[str] = []
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(quick_hall.url + "/console/")
    login(page, "operator1", quick_hall.users["operator1"])
    expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "connected")
    yield page
    ctx.close()
    assert not errors, f"script errors in the console: {errors}"


def test_the_halls_overdue_warning_shows_a_notice_and_highlights_the_row(quick_hall, quick_console):
    page = quick_console
    open_events(page)
    # every text the notice line shows, in order (a soon-due notice may be replaced by the overdue one quickly)
    page.evaluate("""() => {
      window.__notices = [];
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid=notice] .notice-text')?.textContent;
        if (t && window.__notices[window.__notices.length - 1] !== t) window.__notices.push(t);
      }).observe(document.getElementById('notices'), {childList: true, subtree: true, characterData: true});
    }""")
    ev = report(quick_hall)
    r = row(page, ev["id"])
    expect(r).to_be_visible()

    notice = page.get_by_test_id("notice")
    expect(notice).to_contain_text(f"Overdue at accept: Exposed garbage {ev['id']}", timeout=20_000)
    expect(r).to_have_attribute("data-warning", "overdue")
    shown = page.evaluate("window.__notices")
    soon = [i for i, t in enumerate(shown) if t.startswith("Soon due at accept") and ev["id"] in t]
    over = [i for i, t in enumerate(shown) if t.startswith("Overdue at accept") and ev["id"] in t]
    assert soon and over and soon[0] < over[0], shown
    expect(r.get_by_test_id("badge-overdue")).to_be_visible()
    assert get_event(quick_hall, ev["id"])["overdue"] is True
    expect(page.get_by_test_id("count-overdue").locator("b")).not_to_have_text("0")
    # the hall's escalation rule (overdue 0 min -> community) follows, and the row shows the level
    expect(r.locator(".badge-level")).to_have_text("Community", timeout=15_000)


def test_the_walls_windows_never_show_through_the_events_panel(hall, empty_wall, open_console):
    """A full wall (windows stacked high) under the open panel: every point of the list belongs to the panel."""
    from tests.e2e.e2e_helpers import api_call

    version = empty_wall["layout"]["version"]
    screens = [s["id"] for s in empty_wall["wall"]["screens"]]
    sources = [s["id"] for s in empty_wall["sources"]]
    status, body = api_call(hall, "POST", "/api/wall/split", {"version": version, "screens": screens, "n": 4,
                                                              "sources": sources[:4]})
    assert status == 200, body
    version = body["layout"]["version"]
    for i, screen in enumerate(empty_wall["wall"]["screens"]):  # and windows stacked high on every screen
        status, body = api_call(hall, "POST", "/api/wall/windows", {"version": version, "window": {
            "kind": "video", "source": sources[i % len(sources)], "rect": screen["canvas"], "z": 50 + i}})
        assert status in (200, 201), body
        version = body["layout"]["version"]
    report(hall)
    page = open_console("operator1")
    expect(page.locator("[data-testid^=window-]").first).to_be_attached()  # the wall view drew its windows
    open_events(page)
    box = page.locator(".events-table-wrap").bounding_box()
    assert box is not None
    hits = page.evaluate("""([x0, y0, w, h]) => {
        const out = [];
        for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) {
            const el = document.elementFromPoint(x0 + w * i / 10, y0 + h * j / 10);
            out.push(Boolean(el && el.closest('[data-testid="events-panel"]')));
        }
        return out; }""", [box["x"], box["y"], box["width"], box["height"]])
    assert all(hits), f"{hits.count(False)} of {len(hits)} points show something else than the events panel"
