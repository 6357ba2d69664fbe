"""Live previews in the operator console: source thumbnails with health, and the wall's screens as they are now.

Real headless Chromium against a running hall with its media engine: the pictures are the engine's own
snapshots (fetched with the bearer token, shown through object URLs), the health is its `media:health` push.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.e2e_helpers import put_layout, wait_js

pytestmark = pytest.mark.e2e

MEDIA_TIMEOUT_MS = 20_000  # a pattern source starts within a second or two; leave room on a busy machine

# Mean luma (0..255) and spread of a loaded <img>, read back through a canvas (blob: URLs are same-origin).
IMAGE_STATS = """(img) => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let sum = 0, sum2 = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) {
    const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    sum += y; sum2 += y * y; n++;
  }
  const mean = sum / n;
  return {mean, std: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), src: img.currentSrc};
}"""


def screens_in_reading_order(wall: dict) -> list[dict]:
    return sorted(wall["wall"]["screens"], key=lambda s: (s["canvas"]["y"], s["canvas"]["x"]))


def pattern_source(wall: dict) -> dict:
    return next(s for s in wall["sources"] if s["kind"] == "pattern")


def wait_loaded(page: Page, testid: str) -> None:
    wait_js(
        page,
        "(id) => { const i = document.querySelector(`[data-testid='${id}']`);"
        " return !!i && i.complete && i.naturalWidth > 0; }", testid, timeout=MEDIA_TIMEOUT_MS / 1000)


def snapshot_requests(page: Page, kind: str) -> list[str]:
    """Record the URLs of snapshot requests of `kind` ("sources" or "screens") the page makes from now on."""
    seen: list[str] = []
    pattern = re.compile(rf"/api/{kind}/[^/]+/snapshot\.jpg")
    page.on("request", lambda req: seen.append(req.url) if pattern.search(req.url) else None)
    return seen


def test_a_source_on_the_wall_has_a_live_thumbnail_and_health(hall, empty_wall, open_console):
    screen = screens_in_reading_order(empty_wall)[0]
    source = pattern_source(empty_wall)
    put_layout(hall, [{"id": "prev-src", "kind": "video", "source": source["id"], "rect": screen["canvas"]}])
    page = open_console("operator1")

    item = page.get_by_test_id(f"source-{source['id']}")
    item.scroll_into_view_if_needed()
    thumb = page.get_by_test_id(f"source-thumb-{source['id']}")
    wait_loaded(page, f"source-thumb-{source['id']}")
    stats = thumb.evaluate(IMAGE_STATS)
    assert stats["src"].startswith("blob:"), stats
    assert stats["std"] > 10, f"the thumbnail is flat, not the moving pattern: {stats}"

    health = page.get_by_test_id(f"source-health-{source['id']}")
    expect(health).to_have_text("live", timeout=MEDIA_TIMEOUT_MS / 1000)
    expect(item).to_have_attribute("data-health", "live")
    expect(item).to_have_attribute("title", re.compile(r"\d+(\.\d)? fps"))

    # The thumbnail keeps refreshing (a new object URL every couple of seconds), the old URL revoked.
    first = thumb.evaluate("(img) => img.currentSrc")
    wait_js(
        page,
        "([id, old]) => { const i = document.querySelector(`[data-testid='${id}']`);"
        " return i.currentSrc !== old && i.naturalWidth > 0; }",
        [f"source-thumb-{source['id']}", first], timeout=MEDIA_TIMEOUT_MS / 1000)
    revoked = page.evaluate(
        "(url) => fetch(url).then(() => false, () => true)", first)
    assert revoked, "the previous thumbnail's object URL was not revoked"


def test_the_wall_preview_shows_what_a_screen_with_a_window_shows(hall, empty_wall, open_console):
    screens = screens_in_reading_order(empty_wall)
    shown, empty = screens[0], screens[-1]
    source = pattern_source(empty_wall)
    put_layout(hall, [{"id": "prev-wall", "kind": "video", "source": source["id"], "rect": shown["canvas"]}])
    page = open_console("operator1")

    expect(page.get_by_test_id("live-preview")).to_be_checked()
    expect(page.get_by_test_id("wall")).to_have_class(re.compile(r"\blive-preview\b"))
    wait_loaded(page, f"screen-preview-{shown['id']}")
    wait_loaded(page, f"screen-preview-{empty['id']}")
    preview = page.get_by_test_id(f"screen-preview-{shown['id']}")
    # Drawn inside its screen's rectangle, about as wide as it is drawn.
    box, sbox = preview.bounding_box(), page.get_by_test_id(f"screen-{shown['id']}").bounding_box()
    assert box and sbox and abs(box["width"] - sbox["width"]) < 2 and abs(box["height"] - sbox["height"]) < 2
    natural = preview.evaluate("(img) => img.naturalWidth")
    assert 32 <= natural <= max(64, sbox["width"] * 2.5), natural
    # The composed picture of the screen with the pattern on it is lively; the empty screen is dark.
    wait_js(
        page,
        "(id) => { const i = document.querySelector(`[data-testid='${id}']`);"
        " const c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight;"
        " const g = c.getContext('2d'); g.drawImage(i, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;"
        " let s = 0; for (let k = 0; k < d.length; k += 4) s += d[k] + d[k + 1] + d[k + 2];"
        " return s / (d.length / 4) / 3 > 40; }", f"screen-preview-{shown['id']}", timeout=MEDIA_TIMEOUT_MS / 1000)
    lit = preview.evaluate(IMAGE_STATS)
    dark = page.get_by_test_id(f"screen-preview-{empty['id']}").evaluate(IMAGE_STATS)
    assert lit["std"] > 10 and lit["mean"] > dark["mean"] + 20, (lit, dark)


def test_the_preview_toggle_and_a_hidden_page_stop_the_polling(hall, empty_wall, open_console):
    page = open_console("operator1")
    screen = screens_in_reading_order(empty_wall)[0]
    wait_loaded(page, f"screen-preview-{screen['id']}")

    # Off: the pictures go, windows are opaque again, and no screen snapshot is asked for.
    page.get_by_test_id("live-preview").uncheck()
    expect(page.get_by_test_id(f"screen-preview-{screen['id']}")).to_have_count(0)
    expect(page.get_by_test_id("wall")).not_to_have_class(re.compile(r"\blive-preview\b"))
    time.sleep(0.3)  # let requests already on their way finish
    screens_asked = snapshot_requests(page, "screens")
    time.sleep(2.5)
    assert screens_asked == [], screens_asked

    # On again: back within a moment.
    page.get_by_test_id("live-preview").check()
    wait_loaded(page, f"screen-preview-{screen['id']}")

    # A hidden page (another tab in front) asks for nothing; shown again, it resumes.
    page.evaluate("""() => {
      Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
      Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    time.sleep(0.3)
    asked = snapshot_requests(page, "s[a-z]+")
    time.sleep(3)
    assert asked == [], asked
    page.evaluate("""() => {
      delete document.hidden; delete document.visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    wait_js(page, "() => !document.hidden")
    deadline = time.monotonic() + 5
    while not asked and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert any("/api/screens/" in u for u in asked), "polling did not resume when the page was shown again"


# The mean luma of a strip of the page, read from a screenshot (what the operator sees).
def strip_luma(page: Page, box: dict, x0: float, x1: float) -> float:
    import io

    import numpy as np
    from PIL import Image

    clip = {"x": box["x"] + box["width"] * x0, "y": box["y"] + box["height"] * 0.3,
            "width": box["width"] * (x1 - x0), "height": box["height"] * 0.4}
    return float(np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("L")).mean())


def test_the_operator_chooses_how_a_picture_fits_its_window_and_the_console_draws_it_so(hall, empty_wall,
                                                                                        open_console):
    c = empty_wall["wall"]["canvas"]
    source = pattern_source(empty_wall)
    # A window four times wider than its 16:9 source's proportions: "contain" leaves wide black bars.
    rect = {"x": c["x"], "y": c["y"], "w": c["w"] // 2, "h": c["w"] // 2 * 9 // 64}
    put_layout(hall, [{"id": "fit-1", "kind": "video", "source": source["id"], "rect": rect}])
    page = open_console("operator1")
    win = page.get_by_test_id("window-fit-1")
    # With the live preview on, the screens' own pictures show: no pictures of their own in the windows.
    expect(win).to_be_visible()
    expect(page.get_by_test_id("window-picture-fit-1")).to_have_count(0)

    page.get_by_test_id("live-preview").uncheck()
    wait_loaded(page, "window-picture-fit-1")
    picture = page.get_by_test_id("window-picture-fit-1")
    expect(picture).to_have_css("object-fit", "contain")
    box = win.bounding_box()
    assert box
    assert strip_luma(page, box, 0.02, 0.12) < 12, "no black bar beside a contained picture"
    assert strip_luma(page, box, 0.45, 0.55) > 40, "the picture is not in the middle"

    win.click()
    fit = page.get_by_test_id("window-fit")
    expect(fit).to_be_visible()
    expect(fit).to_have_value("contain")
    assert fit.locator("option").evaluate_all("(os) => os.map((o) => o.value)") == ["contain", "cover", "fill"]
    fit.select_option("cover")
    expect(win).to_have_attribute("data-fit", "cover")
    assert hall.wall()["layout"]["windows"][0]["fit"] == "cover"
    picture = page.get_by_test_id("window-picture-fit-1")
    expect(picture).to_have_css("object-fit", "cover")
    wait_loaded(page, "window-picture-fit-1")
    assert strip_luma(page, box, 0.02, 0.12) > 40, "a covering picture still shows bars"

    fit.select_option("fill")
    expect(page.get_by_test_id("window-picture-fit-1")).to_have_css("object-fit", "fill")
    assert hall.wall()["layout"]["windows"][0]["fit"] == "fill"

    # Clocks and panels have no picture to fit: no choice is offered for them.
    put_layout(hall, [{"id": "fit-2", "kind": "clock", "rect": rect}])
    page.get_by_test_id("window-fit-2").click()
    expect(fit).to_be_hidden()
