"""Panel windows on a kiosk draw live event figures with plotly.js (real hall, real Chromium): the numbers
drawn are the hall's, a new report shows after a refresh, the map shows open events as points, a failed
refresh keeps the picture with a stale mark, and a panel taken off the wall stops fetching."""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.e2e_helpers import api_call, wait_js
from tests.events_support import report_body

pytestmark = pytest.mark.e2e

REFRESH_S = 1  # ?panel_refresh= on the kiosk URL: tests need not wait 15 s


@pytest.fixture
def open_panel_kiosk(open_kiosk) -> Callable[[str], Page]:
    """A screen's kiosk page with fast panel refreshes; its figure requests are listed on `page.figure_requests`."""

    def watch(page: Page) -> None:
        page.figure_requests = []  # type: ignore[attr-defined]
        page.on("request", lambda r: page.figure_requests.append(r.url)  # type: ignore[attr-defined]
                if "/api/events/figures/" in r.url or "/vendor/plotly" in r.url else None)

    return lambda screen_id: open_kiosk(screen_id, query=f"&panel_refresh={REFRESH_S}", setup=watch)


def led(wall: dict) -> dict:
    return next(s for s in wall["wall"]["screens"] if s["id"] == "led-main")


def put_panel(hall, panel: str, rect: dict) -> str:
    status, body = api_call(hall, "POST", "/api/wall/windows",
                            {"version": hall.wall()["layout"]["version"],
                             "window": {"kind": "panel", "panel": panel, "rect": rect}}, "operator1")
    assert status == 201, body
    return body["window"]["id"]


def report(hall, **kw) -> str:
    status, body = api_call(hall, "POST", "/api/events", report_body(**kw), "integration")
    assert status == 201, body
    return body["event"]["id"]


def api_figure(hall, name: str) -> dict:
    status, body = api_call(hall, "GET", f"/api/events/figures/{name}", user="operator1")
    assert status == 200, body
    return body


def drawn(page: Page, wid: str, name: str):
    """The cell of one figure in one panel window."""
    return page.get_by_test_id(f"part-{wid}").locator(f".figure[data-figure='{name}']")


def plotted(cell) -> list[dict]:
    """The traces plotly.js holds for the drawn figure (what it is showing, not what was fetched)."""
    return cell.evaluate("el => (el.data || []).map(t => ({x: t.x, y: t.y, text: t.text, "
                         "colour: t.marker && t.marker.color}))")


def wait_for(page: Page, pred, timeout: float = 15.0):
    """Poll pred() while the page runs (Playwright hands over page events, such as requests, only while it
    is called: so wait through the page, never with time.sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        page.wait_for_timeout(200)
    return pred()


def test_a_panel_draws_the_halls_figures_side_by_side_and_a_new_report_shows_after_a_refresh(
        hall, fresh_wall, open_panel_kiosk):
    screen = led(hall.wall())
    wid = put_panel(hall, "event-management", screen["canvas"])  # figures: states, trend
    page = open_panel_kiosk(screen["id"])

    states, trend = drawn(page, wid, "states"), drawn(page, wid, "trend")
    expect(states.locator(".main-svg").first).to_be_visible()
    expect(trend.locator(".main-svg").first).to_be_visible()
    expected = api_figure(hall, "states")["data"][0]
    expect(states.locator(".barlayer .point")).to_have_count(len(expected["x"]))
    assert plotted(states)[0]["y"] == expected["y"]
    expect(page.get_by_test_id(f"part-{wid}")).to_contain_text("Event management")
    # the two figures share the wide panel evenly, side by side, and fill it
    a, b, panel = states.bounding_box(), trend.bounding_box(), page.get_by_test_id(f"part-{wid}").bounding_box()
    assert abs(a["width"] - b["width"]) <= 2 and abs(a["y"] - b["y"]) <= 1 and b["x"] > a["x"] + a["width"] - 3
    assert a["width"] + b["width"] > 0.95 * panel["width"] and a["height"] > 0.8 * panel["height"]

    before = sum(plotted(states)[0]["y"])
    updates = int(states.get_attribute("data-updates"))
    report(hall)
    assert wait_for(page, lambda: sum(plotted(states)[0]["y"]) == before + 1), "the new report never showed"
    assert int(states.get_attribute("data-updates")) > updates
    assert plotted(trend)[0]["y"][-1] == api_figure(hall, "trend")["data"][0]["y"][-1]
    expect(page.get_by_test_id(f"panel-stale-{wid}")).to_be_hidden()

    # a bigger window: the same figures, redrawn to fill the panel again
    width = states.locator(".main-svg").first.bounding_box()["width"]
    page.set_viewport_size({"width": 1280, "height": 720})
    assert wait_for(page, lambda: states.locator(".main-svg").first.bounding_box()["width"] > width * 1.25)
    expect(states.locator(".barlayer .point")).to_have_count(len(api_figure(hall, "states")["data"][0]["x"]))


def test_the_map_panel_shows_the_open_events_as_points_coloured_by_their_light(hall, fresh_wall, open_panel_kiosk):
    screen = led(hall.wall())
    c = screen["canvas"]
    wid = put_panel(hall, "info-aggregation", {"x": c["x"], "y": c["y"], "w": c["w"] // 2, "h": c["h"]})
    page = open_panel_kiosk(screen["id"])
    cell = drawn(page, wid, "map")
    expect(cell.locator(".main-svg").first).to_be_visible()

    eid = report(hall, lat=36.652, lon=117.108)
    assert wait_for(page, lambda: eid in (plotted(cell)[1]["text"] or [])), "the new event is not on the map"
    points = plotted(cell)[1]
    expected = next(tr for tr in api_figure(hall, "map")["data"] if tr["mode"] == "markers")
    assert sorted(points["text"]) == sorted(expected["text"])
    expect(cell.locator(".scatterlayer .point")).to_have_count(len(expected["x"]))
    assert points["colour"][points["text"].index(eid)] == "#3fb950"  # just reported: green
    # grid outlines are drawn as lines under the points
    assert len([x for x in plotted(cell)[0]["x"] if x is None]) == 8
    expect(cell.locator(".scatterlayer .js-line")).not_to_have_count(0)


def test_a_failed_refresh_keeps_the_picture_and_marks_it_stale(hall, fresh_wall, open_panel_kiosk):
    screen = led(hall.wall())
    wid = put_panel(hall, "early-warning", screen["canvas"])  # figures: hours, categories
    page = open_panel_kiosk(screen["id"])
    hours = drawn(page, wid, "hours")
    expect(hours.locator(".barlayer .point")).to_have_count(24)
    shown = plotted(hours)[0]["y"]

    page.route("**/api/events/figures/**", lambda route: route.fulfill(status=503, body="down for a moment"))
    stale = page.get_by_test_id(f"panel-stale-{wid}")
    expect(stale).to_be_visible()
    expect(page.get_by_test_id(f"part-{wid}").locator(".panel-canvas")).to_have_attribute("data-state", "stale")
    report(hall)  # the hall moves on; the wall keeps showing its last picture meanwhile
    page.wait_for_timeout(REFRESH_S * 1500)
    expect(hours.locator(".barlayer .point")).to_have_count(24)
    assert plotted(hours)[0]["y"] == shown

    page.unroute("**/api/events/figures/**")
    expect(stale).to_be_hidden()
    assert wait_for(page, lambda: sum(plotted(hours)[0]["y"]) == sum(shown) + 1)


def test_plotly_is_loaded_only_for_figure_panels_and_a_removed_panel_stops_fetching(hall, fresh_wall,
                                                                                    open_panel_kiosk):
    screen = led(hall.wall())
    page = open_panel_kiosk(screen["id"])
    expect(page.get_by_test_id("parts")).to_be_attached()
    wait_js(page, "document.body.dataset.version !== undefined")
    page.wait_for_timeout(REFRESH_S * 1500)
    assert page.figure_requests == [] and page.evaluate("typeof window.Plotly") == "undefined"

    wid = put_panel(hall, "performance", screen["canvas"])  # figures: kpis, grades
    expect(drawn(page, wid, "kpis").locator(".main-svg").first).to_be_visible()
    expect(drawn(page, wid, "grades").locator(".main-svg").first).to_be_visible()
    assert sum("/vendor/plotly" in u for u in page.figure_requests) == 1
    assert wait_for(page, lambda: sum(u.endswith("/figures/kpis") for u in page.figure_requests) >= 2), "no refresh"

    status, body = api_call(hall, "DELETE", f"/api/wall/windows/{wid}?version={hall.wall()['layout']['version']}",
                            user="operator1")
    assert status == 200, body
    expect(page.get_by_test_id(f"part-{wid}")).to_have_count(0)
    page.wait_for_timeout(300)  # a request already on its way may still be logged
    seen = len(page.figure_requests)
    page.wait_for_timeout(REFRESH_S * 3000)
    assert len(page.figure_requests) == seen, "a removed panel kept fetching its figures"
