"""Panel windows on a kiosk, pushed by the hall (real hall, real Chromium): a panel of event figures draws the
hall's numbers and a new report shows within a second without the kiosk asking for anything; a cut connection
keeps the picture with a stale mark and catches up once it is back; plotly.js is loaded only for charts, and a
panel taken off the wall is no longer sent; the map panel's events and grid workers move as they change."""
from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.e2e_helpers import api_call, on_patrol, wait_js
from tests.events_support import report_body

pytestmark = pytest.mark.e2e

SOCKET = re.compile(r"/socket\.io/")


@pytest.fixture
def open_panel_kiosk(open_kiosk) -> Callable[[str], Page]:
    """A screen's kiosk page; what it asks the hall over HTTP is listed on `page.asked` (its video is left out:
    these tests are about the panels, and an encoder per kiosk is a lot for two cores)."""

    def watch(page: Page) -> None:
        page.asked = []  # type: ignore[attr-defined]
        page.on("request", lambda r: page.asked.append(r.url) if "/api/" in r.url or "/vendor/plotly" in r.url  # type: ignore[attr-defined]
                else None)
        page.route("**/whep/**", lambda route: route.abort())

    return lambda screen_id: open_kiosk(screen_id, setup=watch)


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
    """The traces plotly.js holds for the drawn figure (what it is showing, not what was sent)."""
    return cell.evaluate("el => (el.data || []).map(t => ({x: t.x, y: t.y, labels: t.labels, values: t.values}))")


def wait_for(page: Page, pred, timeout: float = 15.0, every_ms: int = 50):
    """Poll pred() while the page runs (Playwright hands over page events only while it is called)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        page.wait_for_timeout(every_ms)
    return pred()


def test_a_panel_of_figures_draws_the_halls_numbers_and_a_new_report_shows_within_a_second(
        hall, fresh_wall, open_panel_kiosk):
    report(hall)  # something to draw
    screen = led(hall.wall())
    wid = put_panel(hall, "event-charts", screen["canvas"])  # figures: states, channels, trend, kpis
    page = open_panel_kiosk(screen["id"])
    states, trend = drawn(page, wid, "states"), drawn(page, wid, "trend")
    for name in ("states", "channels", "trend", "kpis"):
        expect(drawn(page, wid, name).locator(".main-svg").first).to_be_visible()
    expected = api_figure(hall, "states")["data"][0]
    expect(states.locator(".barlayer .point")).to_have_count(len(expected["x"]))
    assert plotted(states)[0]["y"] == expected["y"] and plotted(states)[0]["x"] == expected["x"]
    assert not any("_" in x for x in expected["x"])  # "To check on site", never "to_check"
    expect(page.get_by_test_id(f"part-{wid}")).to_contain_text("Event charts")
    # four figures share the wide panel two by two, filling it
    boxes = [drawn(page, wid, n).bounding_box() for n in ("states", "channels", "trend", "kpis")]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) <= 1 and boxes[2]["y"] > boxes[0]["y"] + boxes[0]["height"] - 3

    before = sum(plotted(states)[0]["y"])
    asked = len(page.asked)
    started = time.monotonic()
    report(hall)
    assert wait_for(page, lambda: sum(plotted(states)[0]["y"]) == before + 1), "the new report never showed"
    took = time.monotonic() - started
    print(f"report -> figure redrawn on the kiosk: {took * 1000:.0f} ms")
    assert took < 1.5
    assert plotted(trend)[0]["y"][-1] == api_figure(hall, "trend")["data"][0]["y"][-1]
    assert [u for u in page.asked[asked:] if "/api/" in u] == [], "the kiosk asked instead of being told"
    expect(page.get_by_test_id(f"panel-stale-{wid}")).to_be_hidden()


def test_a_cut_connection_keeps_the_picture_marked_stale_and_catches_up(hall, fresh_wall, open_kiosk):
    cut = {"on": False, "sockets": []}

    def route(ws) -> None:
        if cut["on"]:
            ws.close()
            return
        ws.connect_to_server()
        cut["sockets"].append(ws)

    def setup(page: Page) -> None:
        page.route("**/whep/**", lambda r: r.abort())
        page.route_web_socket(SOCKET, route)

    report(hall)  # something to draw
    screen = led(hall.wall())
    wid = put_panel(hall, "event-charts", screen["canvas"])
    page = open_kiosk(screen["id"], setup=setup)
    states = drawn(page, wid, "states")
    expect(states.locator(".barlayer .point").first).to_be_visible()
    shown = plotted(states)[0]["y"]

    cut["on"] = True
    page.route(SOCKET, lambda r: r.abort())  # no long-polling either
    for ws in cut["sockets"]:
        ws.close()
    stale = page.get_by_test_id(f"panel-stale-{wid}")
    expect(stale).to_be_visible()
    expect(page.get_by_test_id(f"part-{wid}").locator(".panel-canvas")).to_have_attribute("data-state", "stale")
    report(hall)  # the hall moves on; the wall keeps its last picture meanwhile
    page.wait_for_timeout(1500)
    assert plotted(states)[0]["y"] == shown

    cut["on"] = False
    page.unroute(SOCKET)
    expect(stale).to_be_hidden(timeout=20_000)  # the client's own reconnection
    assert wait_for(page, lambda: sum(plotted(states)[0]["y"]) == sum(shown) + 1)


def test_plotly_is_loaded_only_for_charts_and_a_panel_taken_off_is_no_longer_sent(hall, fresh_wall,
                                                                                  open_panel_kiosk):
    screen = led(hall.wall())
    page = open_panel_kiosk(screen["id"])
    wait_js(page, "document.body.dataset.version !== undefined")
    page.wait_for_timeout(1000)
    assert not [u for u in page.asked if "/vendor/plotly" in u] and page.evaluate("typeof window.Plotly") == "undefined"

    wid = put_panel(hall, "event-charts", screen["canvas"])
    expect(drawn(page, wid, "kpis").locator(".main-svg").first).to_be_visible()
    assert sum("/vendor/plotly" in u for u in page.asked) == 1
    assert page.evaluate("[...window.hallPanels.watchers.keys()]") == ["event-charts"]

    status, body = api_call(hall, "DELETE", f"/api/wall/windows/{wid}?version={hall.wall()['layout']['version']}",
                            user="operator1")
    assert status == 200, body
    expect(page.get_by_test_id(f"part-{wid}")).to_have_count(0)
    assert wait_for(page, lambda: page.evaluate("window.hallPanels.watchers.size") == 0)
    page.wait_for_timeout(300)
    last = page.evaluate("window.hallPanels.docs.get('event-charts').at")
    report(hall)
    page.wait_for_timeout(1500)
    assert page.evaluate("window.hallPanels.docs.get('event-charts').at") == last, "a removed panel is still sent"


def test_the_map_panel_moves_its_events_and_grid_workers_as_they_change_in_type_for_10_m(hall, fresh_wall,
                                                                                        open_panel_kiosk, tmp_path):
    wall = hall.wall()
    screen = next(s for s in wall["wall"]["screens"] if s["id"] == "lcd-1-1")
    wid = put_panel(hall, "district-map", screen["canvas"])
    page = open_panel_kiosk(screen["id"])
    panel = page.get_by_test_id(f"wall-map-{wid}")
    expect(panel).to_have_attribute("data-state", "live", timeout=30_000)
    # 3 cm letters on this LCD (its mm per pixel from GET /api/wall), at the kiosk's 960 of 1920 pixels
    mm_per_px = screen["canvas"]["w"] / wall["wall"]["px_per_mm"] / screen["resolution"][0]
    want = 30 / mm_per_px * 960 / screen["resolution"][0]
    assert abs(int(panel.get_attribute("data-label-px")) - want) <= 1
    label = panel.locator(".map-label-grid[data-grid=g01]")
    expect(label).to_have_text("Harmony grid 1")
    the_map = panel.locator(".hall-map")
    assert the_map.evaluate("e => Math.round(e.hallMap.map.getPitch())") == 40  # gis.wall_pitch: the 3D street
    asked = len(page.asked)

    eid = report(hall, lat=36.652, lon=117.108)
    assert wait_for(page, lambda: the_map.evaluate("(e, id) => e.hallMap.events.get(id)?.properties.light", eid)
                    == "green"), "the new event is not on the map"
    on_patrol(hall, "worker7", 36.6512, 117.1101, then=[(36.6519, 117.1109)])
    assert wait_for(page, lambda: the_map.evaluate(
        "e => (c => c && Math.abs(c[1] - 36.6519) < 1e-6)(e.hallMap.workers.get('worker7')?.geometry.coordinates)"))
    assert [u for u in page.asked[asked:] if "/api/events" in u or "/api/gis/workers" in u] == []
    page.screenshot(path=str(tmp_path / "wall-map.png"))
