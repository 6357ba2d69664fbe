"""The district's map in real headless Chromium: the console's Map tab under the pages' Content-Security-Policy,
clicking a camera for its live picture, box-selecting around an event, a map panel on a wall screen, the map
around an event in the console and on the field page."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.e2e_helpers import api_call, on_patrol, wait_js

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# What the pages will be served with (the house's policy): the map must draw under it.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "worker-src 'self' blob:; connect-src 'self' ws: wss:")
SCHOOL = (36.6472, 117.0990)  # No. 3 primary school gate: cam-school-01 stands there


def with_csp(page: Page, errors: list[str]) -> None:
    """Serve the hall's pages (the documents) with the CSP header (the real response, one header added);
    collect what the browser refuses."""
    def add_header(route):
        resp = route.fetch()
        route.fulfill(response=resp, headers={**resp.headers, "content-security-policy": CSP})
    page.route(lambda url: url.split("?")[0].split("#")[0].endswith(("/console/", "/field/")), add_header)
    page.on("console", lambda m: errors.append(m.text)
            if "Content Security Policy" in m.text or "Refused" in m.text else None)


def map_ready(page: Page, testid: str = "map") -> None:
    expect(page.get_by_test_id(testid)).to_have_attribute("data-state", "ready", timeout=30_000)


def click_at(page: Page, lat: float, lon: float, testid: str = "map") -> None:
    """Click the map where a place is (projected by the map itself)."""
    box = page.get_by_test_id(testid).bounding_box()
    x, y = page.get_by_test_id(testid).evaluate(
        "(el, p) => { const q = el.hallMap.map.project(p); return [q.x, q.y]; }", [lon, lat])
    page.mouse.click(box["x"] + x, box["y"] + y)


def shot(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_the_console_map_draws_the_district_under_the_pages_csp(open_console, tmp_path):
    page = open_console("operator1")
    errors: list[str] = []
    with_csp(page, errors)
    assert page.reload().headers["content-security-policy"] == CSP
    expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "connected")
    page.get_by_test_id("tab-map").click()
    map_ready(page)
    assert page.locator(".map-label-grid").count() >= 20
    expect(page.locator(".map-label-grid[data-grid=g01]")).to_have_text("Harmony grid 1")
    drawn = page.get_by_test_id("map").evaluate("""el => {
        const m = el.hallMap.map;
        const n = (layer) => m.queryRenderedFeatures({layers: [layer]}).length;
        return {grids: n('grids-fill'), buildings: n('buildings-fill'), water: n('water-fill'),
                cameras: n('cameras-dot')};
    }""")
    assert drawn["grids"] >= 20 and drawn["buildings"] >= 100 and drawn["water"] >= 1 and drawn["cameras"] >= 10, drawn
    shot(page, tmp_path, "console-map")
    assert not errors, errors


def test_clicking_a_camera_shows_its_live_picture_and_how_to_put_it_on_the_wall(open_console, hall, empty_wall):
    page = open_console("operator1")
    page.get_by_test_id("tab-map").click()
    map_ready(page)
    page.get_by_test_id("layer-events").uncheck()  # other tests' reports at the school gate lie over the camera
    click_at(page, *SCHOOL)
    details = page.get_by_test_id("map-details")
    expect(details).to_have_attribute("data-layer", "cameras")
    expect(details).to_have_attribute("data-id", "cam-school-01")
    expect(details.get_by_test_id("camera-thumb")).to_have_attribute("data-loaded", "true", timeout=20_000)
    show = details.get_by_test_id("wall-show-cam-school-01")
    _, doc = api_call(hall, "GET", "/api/openapi.json")
    if "/api/wall/show" not in doc["paths"]:  # the wall's one-step show is another part of the hall
        expect(show).to_be_disabled()
        assert "not on this hall yet" in show.get_attribute("title")
        return
    show.click()
    expect(page.get_by_test_id("wall").locator("[data-testid^='window-']")).to_have_count(1)
    assert [w["source"] for w in hall.wall()["layout"]["windows"]] == ["cam-school-01"]


def test_around_an_event_the_map_lists_workers_cameras_residents_and_earlier_events(open_console, hall, tmp_path):
    status, body = api_call(hall, "POST", "/api/events", {
        "channel": "resident", "description": "water on the road by the school gate", "category": "0201",
        "lat": SCHOOL[0] + 0.0002, "lon": SCHOOL[1] + 0.0002}, user="integration")
    assert status == 201, body
    earlier = body["event"]["id"]
    status, body = api_call(hall, "POST", "/api/events", {
        "channel": "resident", "description": "manhole cover missing by the school", "category": "0202",
        "lat": SCHOOL[0], "lon": SCHOOL[1] + 0.0004}, user="integration")
    assert status == 201, body
    eid = body["event"]["id"]
    on_patrol(hall, "worker1", SCHOOL[0] - 0.0003, SCHOOL[1] - 0.0006)

    page = open_console("commander1")
    page.get_by_test_id("tab-map").click()
    map_ready(page)
    expect(page.get_by_test_id("map")).not_to_have_attribute("data-events", "0")
    page.get_by_test_id("map").evaluate("(el, p) => el.hallMap.map.jumpTo({center: p, zoom: 17})",
                                        [SCHOOL[1], SCHOOL[0]])
    page.wait_for_timeout(300)
    click_at(page, SCHOOL[0], SCHOOL[1] + 0.0004)
    details = page.get_by_test_id("map-details")
    expect(details).to_have_attribute("data-layer", "events")
    expect(details).to_have_attribute("data-id", eid)
    expect(details.get_by_test_id("event-steps")).to_contain_text("report")
    details.get_by_test_id("event-around").click()
    area = page.get_by_test_id("map-area")
    expect(area.get_by_test_id("area-worker-worker1")).to_contain_text("Grid worker Chen")
    call = area.get_by_test_id("call-worker1")
    expect(call).to_be_enabled()  # rings worker1 (tests/e2e/test_calls.py makes the calls)
    expect(area.get_by_test_id("area-camera-cam-school-01")).to_be_visible()
    assert int(area.get_by_test_id("area-residents").inner_text().replace(",", "")) > 0
    expect(area.get_by_test_id(f"map-event-{earlier}")).to_be_visible()
    expect(area.get_by_test_id(f"map-event-{eid}")).to_have_count(0)  # not the event itself
    path = shot(page, tmp_path, "console-map-around-event")
    if os.environ.get("HALL_UPDATE_SCREENSHOT"):  # the README's picture of the map
        shutil.copy(path, ROOT / "docs" / "map.png")

    # a box dragged on the map asks the same of the box
    page.get_by_test_id("map-select-box").click()
    box = page.get_by_test_id("map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 150, cy - 120)
    page.mouse.down()
    page.mouse.move(cx + 150, cy + 120, steps=8)
    page.mouse.up()
    expect(page.get_by_test_id("map-area-card")).to_contain_text("Inside the box")
    expect(page.get_by_test_id("map-area").get_by_test_id("area-camera-cam-school-01")).to_be_visible()


def report_at(hall, lat: float, lon: float, user: str = "integration", channel: str = "resident") -> dict:
    status, body = api_call(hall, "POST", "/api/events", {
        "channel": channel, "description": "seen on the map test", "category": "0101", "lat": lat, "lon": lon},
        user=user)
    assert status == 201, body
    return body["event"]


def test_the_console_event_detail_shows_the_map_around_it_and_its_address(open_console, hall, tmp_path):
    ev = report_at(hall, *SCHOOL)
    on_patrol(hall, "worker1", SCHOOL[0], SCHOOL[1] + 0.001)
    page = open_console("operator1")
    page.get_by_test_id("tab-events").click()
    row = page.get_by_test_id(f"event-row-{ev['id']}")
    place = row.get_by_test_id("row-place")
    expect(place).to_have_text(ev["place"])  # the address: a building or the grid, never "lat, lon"
    assert ev["place"] and "36.6" not in ev["place"]
    row.click()
    detail = page.get_by_test_id("event-detail")
    map_ready(page, "event-map")
    expect(detail.get_by_test_id("near-camera-cam-school-01")).to_be_visible()
    expect(detail.get_by_test_id("near-worker-worker1")).to_contain_text("Grid worker Chen")
    assert page.get_by_test_id("event-map").evaluate("(e, id) => e.hallMap.events.has(id)", ev["id"])
    expect(detail.locator("dd[data-field=place]")).to_have_text(ev["place"])
    shot(page, tmp_path, "console-event-detail")


def test_the_field_page_shows_the_map_of_the_event_where_it_is(browser, hall, tmp_path):
    ev = report_at(hall, 36.6475, 117.1021, user="worker1", channel="worker")  # Harmony grid 1: worker1's
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        with_csp(page, errors)
        page.goto(hall.url + "/field/")
        page.get_by_test_id("login-username").fill("worker1")
        page.get_by_test_id("login-password").fill(hall.users["worker1"])
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("who")).to_contain_text("worker1")
        page.goto(f"{hall.url}/field/#/event/{ev['id']}")
        expect(page.get_by_test_id("detail-where")).to_contain_text(ev["place"])
        map_ready(page, "event-map")
        assert page.get_by_test_id("event-map").evaluate("(e, id) => e.hallMap.events.has(id)", ev["id"])
        assert page.locator(".map-label-grid").count() >= 1
        shot(page, tmp_path, "field-event-map")
    finally:
        ctx.close()
    assert not errors, errors


def test_the_heat_map_of_a_period_and_the_pilot_street_in_3d(open_console, hall, tmp_path):
    for lat, lon in ((36.6455, 117.1005), (36.6458, 117.1010), (36.6620, 117.1150)):
        report_at(hall, lat, lon)
    page = open_console("commander1")
    page.get_by_test_id("tab-map").click()
    map_ready(page)
    the_map = page.get_by_test_id("map")
    page.get_by_test_id("heat-period").select_option("7")
    expect(the_map).to_have_attribute("data-heat", re.compile(r"^[1-9]\d*$"))
    assert int(the_map.get_attribute("data-heat")) >= 3
    page.get_by_test_id("map-3d").click()
    expect(the_map).to_have_attribute("data-three-d", "true")
    page.wait_for_timeout(900)  # the tilt animates
    tilted = the_map.evaluate("""e => ({pitch: e.hallMap.map.getPitch(),
        extruded: e.hallMap.map.queryRenderedFeatures({layers: ['buildings-3d']}).length})""")
    assert tilted["pitch"] > 30 and tilted["extruded"] > 0, tilted
    shot(page, tmp_path, "console-map-3d-heat")


def test_a_workers_patrol_track_plays_back_on_the_map(open_console, hall):
    walk = [(36.6450 + i * 0.0004, 117.1000 + i * 0.0003) for i in range(5)]  # a phone on /field
    on_patrol(hall, "worker27", *walk[0], then=walk[1:])  # a track of its own: no other test walks worker27
    page = open_console("commander1")
    page.get_by_test_id("tab-map").click()
    map_ready(page)
    page.get_by_test_id("track-worker").fill("worker27")
    page.get_by_test_id("track-load").click()
    track = page.get_by_test_id("map-track")
    expect(track).to_have_attribute("data-points", re.compile(r"^[2-9]\d*$"))
    page.get_by_test_id("track-speed").select_option("300")
    page.get_by_test_id("track-play").click()
    expect(track).not_to_have_attribute("data-head", "0")


@pytest.fixture(scope="module")
def tiled_hall(tmp_path_factory: pytest.TempPathFactory):
    """A second hall whose map has a base map: a PMTiles archive of its own, served by the hall."""
    import yaml

    from backend.config import DEFAULT_CONFIG
    from backend.redis_server import EmbeddedRedis
    from tests.conftest import HallProcess
    from tests.map_tiles import pmtiles_file

    d = tmp_path_factory.mktemp("tiled-hall")
    cfg = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    cfg["sources"] = []  # no cameras needed here: keep the machine free
    cfg.pop("cascade", None)  # its targets and feeds name the demo's screens and sources
    cfg.pop("rules", None)  # its alarms and schedules name the demo's screens and presets
    cfg["events"]["grids"] = str(Path(DEFAULT_CONFIG).parent / cfg["events"]["grids"])
    cfg["gis"]["district"] = str(Path(DEFAULT_CONFIG).parent / cfg["gis"]["district"])
    cfg["gis"]["tiles"] = str(pmtiles_file(d / "base.pmtiles", (117.0875, 36.6325, 117.1625, 36.6775)))
    path = d / "tiled.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    server = EmbeddedRedis(d / "redis")
    server.start()
    proc = HallProcess(server.url, d, config=path)
    yield proc
    proc.stop()
    server.stop()


def test_a_pmtiles_base_map_served_by_the_hall_draws_under_the_map_within_the_csp(browser, tiled_hall):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        with_csp(page, errors)
        ranges: list[int] = []
        page.on("response", lambda r: ranges.append(r.status) if "/map-tiles/" in r.url else None)
        page.goto(tiled_hall.url + "/console/")
        page.get_by_test_id("login-username").fill("operator1")
        page.get_by_test_id("login-password").fill(tiled_hall.users["operator1"])
        page.get_by_test_id("login-submit").click()
        page.get_by_test_id("tab-map").click()
        map_ready(page)
        the_map = page.get_by_test_id("map")
        wait_js(page, """() => { const m = document.querySelector('[data-testid=map]').hallMap.map;
                                          return m.getSource('tiles') && m.areTilesLoaded(); }""", timeout=20)
        # a corner of the map (outside the district's layers) shows the base map: magenta under the background
        rgb = the_map.evaluate("""e => {
            const gl = e.hallMap.map.getCanvas();
            const c = document.createElement('canvas'); c.width = gl.width; c.height = gl.height;
            const x = c.getContext('2d'); x.drawImage(gl, 0, 0);
            return Array.from(x.getImageData(5, 5, 1, 1).data.slice(0, 3)); }""")
        assert rgb[0] > 90 and rgb[2] > 90 and rgb[1] < 60, rgb
        assert 206 in ranges  # read by parts (HTTP Range), as PMTiles is meant to be
    finally:
        ctx.close()
    assert not errors, errors


def test_grid_workers_are_on_the_map_and_one_clicked_shows_their_grids_tasks_and_call(open_console, hall):
    spot = (36.6600, 117.1440)  # Wetland grid 2: worker4's
    on_patrol(hall, "worker4", spot[0], spot[1])
    report_at(hall, spot[0] - 0.002, spot[1] + 0.002)  # an open event in worker4's grids
    page = open_console("commander1")
    page.get_by_test_id("tab-map").click()
    map_ready(page)
    the_map = page.get_by_test_id("map")
    expect(the_map).not_to_have_attribute("data-workers", "0")
    the_map.evaluate("(e, p) => e.hallMap.map.jumpTo({center: p, zoom: 16})", [spot[1], spot[0]])
    page.wait_for_timeout(300)
    click_at(page, *spot)
    details = page.get_by_test_id("map-details")
    expect(details).to_have_attribute("data-layer", "workers")
    expect(details).to_have_attribute("data-id", "worker4")
    expect(details).to_contain_text("g07, g08")
    expect(details.get_by_test_id("worker-tasks")).to_contain_text("open event")
    expect(details.get_by_test_id("call-worker4")).to_be_enabled()
    expect(details.get_by_test_id("track-worker4")).to_be_visible()


def test_an_expert_sees_the_map_without_the_workers(open_console):
    page = open_console("expert1")
    page.get_by_test_id("tab-map").click()
    map_ready(page)
    expect(page.get_by_test_id("layer-workers")).to_have_count(0)
    expect(page.get_by_test_id("map-track")).to_be_hidden()
    assert page.get_by_test_id("map").get_attribute("data-workers") is None
