"""Seat screens end to end: an operator shares their screen from the console in real headless Chromium (its fake
"monitor" from getDisplayMedia), `hall serve` (a real process) places it on the wall, a kiosk page of that screen
shows the moving picture at the window's place, and stopping the share leaves the ENDED slate there, which the
console offers to remove."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORDS, HallProcess
from tests.e2e.e2e_helpers import CONSOLE_VIEWPORT, login, wait_js
from tests.test_wall_video_e2e import grab, luma, mean_rgb, region, shows_slate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
# getDisplayMedia resolves with Chromium's fake 1280x720 monitor under these flags (TESTING.md)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]
SCREEN = (0, 0, 640, 360)  # the whole of s1: "next free place" is the first screen nothing shows

CONFIG = """\
district: Seat screens end-to-end
display: {{timezone: UTC, fps: 15, labels: false}}
encoder: {{preset: ultrafast, bitrate_kbps: 1500, gop_seconds: 1}}
wall:
  name: e2e wall
  px_per_mm: 1
  screens:
    - {{id: s1, kind: lcd, resolution: [640, 360], size_mm: [640, 360], position_mm: [0, 0]}}
sources:
  - {{id: pat, name: Pattern, url: "pattern://seat-e2e?size=640x360&fps=15"}}
users:
  - {{name: admin, role: admin, password: {admin}}}
  - {{name: operator1, role: operator, password: {operator1}, display_name: Operator Li}}
"""


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HallProcess]:
    d = tmp_path_factory.mktemp("seat-share")
    config = d / "hall.yaml"
    config.write_text(CONFIG.format(admin=DEMO_PASSWORDS["admin"], operator1=DEMO_PASSWORDS["operator1"]))
    proc = HallProcess(None, d, config=config)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def media_browser(browser):
    """A Chromium of its own with the fake capture devices (the package's browser has none)."""
    b = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


def moving(a: np.ndarray, b: np.ndarray) -> bool:
    """Two reads of the screen differ (a live picture, not a still or a slate) and are not black."""
    ra, rb = region(a, SCREEN, 0.05), region(b, SCREEN, 0.05)
    return float(np.abs(ra - rb).mean()) > 0.5 and float(luma(rb).mean()) > 15


def test_a_shared_screen_appears_on_the_wall_and_shows_ended_once_stopped(hall, media_browser):
    token = hall.token("admin")
    version = hall.wall()["layout"]["version"]
    assert hall.request("PUT", "/api/wall/layout", {"version": version, "windows": []}, token=token)[0] == 200
    errors: list[str] = []
    kiosk = media_browser.new_page(viewport={"width": 640, "height": 360})
    kiosk.on("pageerror", lambda exc: errors.append(str(exc)))
    kiosk.goto(hall.screen_url("s1"))
    wait_js(kiosk, "document.body.classList.contains('video-live')", timeout=30)

    ctx = media_browser.new_context(viewport=CONSOLE_VIEWPORT)
    console = ctx.new_page()
    console.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        console.goto(hall.url + "/console/")
        login(console, "operator1", hall.users["operator1"])
        expect(console.get_by_test_id("conn-status")).to_have_attribute("data-state", "connected")
        share = console.get_by_test_id("seat-share")
        expect(share).to_have_text("▣ Share my screen")
        share.click()
        expect(share).to_have_attribute("data-state", "sharing", timeout=20_000)
        expect(share).to_contain_text("Stop sharing")
        expect(console.get_by_test_id("notice")).to_contain_text("Your screen is on the wall")
        # the wall: a window of the new source, its name in the console's sources
        layout = hall.wall()["layout"]
        assert [w["source"] for w in layout["windows"]] == ["seat:operator1"]
        expect(console.get_by_test_id("source-list")).to_contain_text("Operator Li's screen")

        prev = grab(kiosk)
        deadline = time.monotonic() + 30
        while True:
            time.sleep(0.4)
            img = grab(kiosk)
            if prev is not None and img is not None and moving(prev, img) and not shows_slate(img, SCREEN):
                break
            assert time.monotonic() < deadline, ("the shared screen never moved on the wall; last mean "
                                                 f"{None if img is None else mean_rgb(region(img, SCREEN, 0.05))}")
            prev = img

        share.click()  # stop sharing
        expect(share).to_have_attribute("data-state", "idle")
        deadline = time.monotonic() + 20
        while not ((img := grab(kiosk)) is not None and shows_slate(img, SCREEN)):
            assert time.monotonic() < deadline, "the wall never showed the ENDED slate where the screen was"
            time.sleep(0.3)
        ended = [s for s in hall.wall()["sources"] if s["id"] == "seat:operator1"]
        assert ended and ended[0]["state"] == "ended"

        # the console offers to remove it: the window goes, and the ended source with it
        remove = console.get_by_test_id("seat-share-remove")
        expect(remove).to_be_visible()
        remove.click()
        expect(remove).to_be_hidden()
        wall = hall.wall()
        assert wall["layout"]["windows"] == [] and all(s["id"] != "seat:operator1" for s in wall["sources"])
    finally:
        ctx.close()
        kiosk.close()
    assert not errors, f"script errors: {errors}"
