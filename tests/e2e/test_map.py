"""The district's map in real headless Chromium: the console's Map tab under the pages' Content-Security-Policy,
clicking a camera for its live picture, box-selecting around an event, a map panel on a wall screen, the map
around an event in the console and on the field page."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import redis as sync_redis
from playwright.sync_api import Page, expect

from tests.e2e.e2e_helpers import api_call

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# What the pages will be served with (the house's policy): the map must draw under it.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "worker-src 'self' blob:; connect-src 'self' ws: wss:")
SCHOOL = (36.6472, 117.0990)  # No. 3 primary school gate: cam-school-01 stands there


def with_csp(page: Page, errors: list[str]) -> None:
    """Serve every page of the hall with the CSP header (the real response, one header added); collect what
    the browser refuses."""
    def add_header(route):
        resp = route.fetch()
        route.fulfill(response=resp, headers={**resp.headers, "content-security-policy": CSP})
    page.route("**/*", add_header)
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text or "Refused" in m.text else None)


def map_ready(page: Page, testid: str = "map") -> None:
    expect(page.get_by_test_id(testid)).to_have_attribute("data-state", "ready", timeout=30_000)


def click_at(page: Page, lat: float, lon: float, testid: str = "map") -> None:
    """Click the map where a place is (projected by the map itself)."""
    box = page.get_by_test_id(testid).bounding_box()
    x, y = page.get_by_test_id(testid).evaluate("(el, p) => { const q = el.hallMap.map.project(p); return [q.x, q.y]; }",
                                                [lon, lat])
    page.mouse.click(box["x"] + x, box["y"] + y)


def shot(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_the_console_map_draws_the_district_under_the_pages_csp(open_console, tmp_path):
    page = open_console("operator1")
    errors: list[str] = []
    with_csp(page, errors)
    page.reload()
    expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "connected")
    page.get_by_test_id("tab-map").click()
    map_ready(page)
    assert page.locator(".map-label-grid").count() >= 20
    expect(page.locator(".map-label-grid[data-grid=g01]")).to_have_text("Harmony grid 1")
    drawn = page.get_by_test_id("map").evaluate("""el => {
        const m = el.hallMap.map;
        const n = (layer) => m.queryRenderedFeatures({layers: [layer]}).length;
        return {grids: n('grids-fill'), buildings: n('buildings-fill'), water: n('water-fill'), cameras: n('cameras-dot')};
    }""")
    assert drawn["grids"] >= 20 and drawn["buildings"] >= 100 and drawn["water"] >= 1 and drawn["cameras"] >= 10, drawn
    path = shot(page, tmp_path, "console-map")
    if os.environ.get("HALL_UPDATE_SCREENSHOT"):
        shutil.copy(path, ROOT / "docs" / "map.png")
    assert not errors, errors
