"""The operator console and the kiosk pages in real headless Chromium, against a running hall."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.e2e_helpers import api_call, drag, login, put_layout, wait_js, windows_on_wall

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[2] / "docs"


def screens_in_reading_order(wall: dict) -> list[dict]:
    return sorted(wall["wall"]["screens"], key=lambda s: (s["canvas"]["y"], s["canvas"]["x"]))


def window_id(locator) -> str:
    return locator.get_attribute("data-testid").removeprefix("window-")


def add_window(hall, window: dict, user: str = "admin") -> dict:
    status, body = api_call(hall, "POST", "/api/wall/windows",
                            {"version": hall.wall()["layout"]["version"], "window": window}, user)
    assert status == 201, body
    return body["window"]


def same_box(a: dict, b: dict, tol: float = 1.5) -> bool:
    return all(abs(a[k] - b[k]) <= tol for k in ("x", "y", "width", "height"))


def test_login_with_a_wrong_password_shows_the_servers_error(hall, open_console):
    page = open_console()
    login(page, "operator1", "not-" + hall.users["operator1"])
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.get_by_test_id("wall")).to_be_hidden()


def test_a_role_without_wall_access_is_sent_back_to_the_login_form(hall, open_console):
    page = open_console()
    login(page, "worker1", hall.users["worker1"])
    expect(page.get_by_test_id("login-error")).to_contain_text("may not use the wall console")
    expect(page.get_by_test_id("wall")).to_be_hidden()


def test_logging_out_returns_to_the_login_form_and_forgets_the_token(hall, open_console):
    page = open_console("operator1")
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def test_source_dragged_onto_a_screen_shows_in_the_other_console_and_on_the_kiosk(hall, empty_wall, open_console,
                                                                                  open_kiosk):
    screen = screens_in_reading_order(empty_wall)[0]
    source = empty_wall["sources"][0]
    first, second = open_console("operator1"), open_console("operator2")
    kiosk = open_kiosk(screen["id"])

    drag(first, first.get_by_test_id(f"source-{source['id']}"), first.get_by_test_id(f"screen-{screen['id']}"))

    created = windows_on_wall(first)
    expect(created).to_have_count(1)
    wid = window_id(created)
    expect(created).to_have_attribute("data-source", source["id"])
    expect(created).to_have_attribute("data-kind", "video")
    # The other operator sees it live, drawn over the same screen.
    mirrored = second.get_by_test_id(f"window-{wid}")
    expect(mirrored).to_be_visible()
    expect(mirrored).to_contain_text(source["name"])
    assert same_box(mirrored.bounding_box(), second.get_by_test_id(f"screen-{screen['id']}").bounding_box())
    # ...and so does the screen itself, filled edge to edge.
    part = kiosk.get_by_test_id(f"part-{wid}")
    expect(part).to_be_visible()
    expect(part).to_contain_text(source["name"])
    assert same_box(part.bounding_box(), {"x": 0, "y": 0, "width": 960, "height": 540}, tol=2)
    # The server agrees: one video window filling that screen.
    [window] = hall.wall()["layout"]["windows"]
    assert window["source"] == source["id"] and window["rect"] == screen["canvas"]


def test_a_stale_move_shows_the_conflict_notice_and_the_consoles_converge(hall, empty_wall, open_console):
    a, b = screens_in_reading_order(empty_wall)[:2]
    source = empty_wall["sources"][0]
    wid = add_window(hall, {"kind": "video", "source": source["id"], "rect": a["canvas"]})["id"]
    watcher, mover = open_console("operator1"), open_console("operator2")
    win = mover.get_by_test_id(f"window-{wid}")
    expect(win).to_be_visible()

    # operator2 starts dragging the window...
    box = win.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    mover.mouse.move(x, y)
    mover.mouse.down()
    mover.mouse.move(x + 15, y + 10, steps=4)
    # ...while operator1 moves it elsewhere through the API.
    status, body = api_call(hall, "PATCH", f"/api/wall/windows/{wid}",
                            {"version": hall.wall()["layout"]["version"], "rect": b["canvas"]}, "operator1")
    assert status == 200, body
    new_version = str(body["layout"]["version"])
    expect(mover.get_by_test_id("layout-version")).to_have_text(new_version)
    mover.mouse.move(x + 40, y + 25, steps=4)
    mover.mouse.up()

    notice = mover.get_by_test_id("notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("changed by operator1")
    expect(notice).to_contain_text("not applied")
    # Nobody's wall moved to operator2's drop point: everyone shows operator1's change.
    assert hall.wall()["layout"]["windows"][0]["rect"] == b["canvas"]
    for page in (mover, watcher):
        expect(page.get_by_test_id("layout-version")).to_have_text(new_version)
        target = page.get_by_test_id(f"screen-{b['id']}").bounding_box()
        expect(page.get_by_test_id(f"window-{wid}")).to_be_visible()
        wait_js(
        page,
            "([id, t]) => { const r = document.querySelector(`[data-testid='window-${id}']`).getBoundingClientRect();"
            " return Math.abs(r.x - t.x) < 2 && Math.abs(r.y - t.y) < 2; }", [wid, target])


def test_quick_split_4_on_a_screen_gives_four_windows(hall, empty_wall, open_console):
    screen = screens_in_reading_order(empty_wall)[0]
    sources = [s["id"] for s in empty_wall["sources"][:4]]
    page = open_console("operator1")

    page.get_by_test_id(f"screen-{screen['id']}").click()
    for sid in sources:
        page.get_by_test_id(f"source-{sid}").click()
        expect(page.get_by_test_id(f"source-{sid}")).to_have_class(re.compile(r"\bselected\b"))
    page.get_by_test_id("split-4").click()

    expect(windows_on_wall(page)).to_have_count(4)
    windows = hall.wall()["layout"]["windows"]
    assert len(windows) == 4
    c = screen["canvas"]
    for w in windows:
        r = w["rect"]
        assert w["kind"] == "video" and w["source"] in sources
        assert c["x"] <= r["x"] and r["x"] + r["w"] <= c["x"] + c["w"]
        assert c["y"] <= r["y"] and r["y"] + r["h"] <= c["y"] + c["h"]
    assert sorted(w["source"] for w in windows) == sorted(sources) or len(sources) < 4


def test_a_saved_preset_brings_the_wall_back(hall, empty_wall, open_console):
    a, b = screens_in_reading_order(empty_wall)[:2]
    src = empty_wall["sources"]
    add_window(hall, {"kind": "video", "source": src[0]["id"], "rect": a["canvas"]})
    doomed = add_window(hall, {"kind": "video", "source": src[1 % len(src)]["id"], "rect": b["canvas"]})
    before = sorted((w["kind"], w["source"], tuple(w["rect"].values())) for w in hall.wall()["layout"]["windows"])
    name = f"e2e-{uuid.uuid4().hex[:6]}"
    page = open_console("operator1")
    expect(windows_on_wall(page)).to_have_count(2)

    page.get_by_test_id("preset-name").fill(name)
    page.get_by_test_id("preset-save").click()
    expect(page.get_by_test_id(f"preset-{name}")).to_be_visible()

    page.get_by_test_id(f"window-{doomed['id']}").click()
    page.keyboard.press("Delete")
    expect(windows_on_wall(page)).to_have_count(1)
    assert len(hall.wall()["layout"]["windows"]) == 1

    page.get_by_test_id(f"preset-apply-{name}").click()
    expect(windows_on_wall(page)).to_have_count(2)
    after = sorted((w["kind"], w["source"], tuple(w["rect"].values())) for w in hall.wall()["layout"]["windows"])
    assert after == before

    page.get_by_test_id(f"preset-delete-{name}").click()
    expect(page.get_by_test_id(f"preset-{name}")).to_have_count(0)


def test_console_with_a_working_layout_screenshot_for_the_readme(hall, empty_wall, open_console, open_kiosk,
                                                                tmp_path):
    """A realistic wall (split cameras, a panel, a clock, a banner), also checked on a kiosk; the screenshot
    goes to docs/console.png with HALL_UPDATE_SCREENSHOT=1 (so a test run leaves the checkout as it was)."""
    screens = screens_in_reading_order(empty_wall)
    sources = [s["id"] for s in empty_wall["sources"]]
    panels = [p["id"] for p in empty_wall["panels"]]
    first, second, last = screens[0], screens[min(1, len(screens) - 1)], screens[-1]
    windows = []

    def quarter(c, i):
        w, h = c["w"] // 2, c["h"] // 2
        return {"x": c["x"] + (i % 2) * w, "y": c["y"] + (i // 2) * h, "w": w, "h": h}

    for i in range(4):
        windows.append({"kind": "video", "source": sources[i % len(sources)], "rect": quarter(first["canvas"], i)})
    if panels and second is not first:
        windows.append({"kind": "panel", "panel": panels[0], "rect": second["canvas"]})
    c = last["canvas"]
    windows.append({"kind": "video", "source": sources[-1], "rect": dict(c)})
    windows.append({"kind": "clock", "title": "Local time",
                    "rect": {"x": c["x"] + c["w"] - c["w"] // 3, "y": c["y"], "w": c["w"] // 3, "h": c["h"] // 4}})
    windows.append({"kind": "text", "text": "Flood watch: river level 2.1 m, rising",
                    "rect": {"x": c["x"], "y": c["y"] + c["h"] - c["h"] // 6, "w": c["w"], "h": c["h"] // 6}})
    for i, w in enumerate(windows):
        w.update(id=f"readme-{i + 1}", z=i + 1)
    layout = put_layout(hall, windows, user="operator1")
    for path, body in (("/api/presets/Morning%20briefing", {}), ("/api/presets/Flood%20watch", {}),
                       ("/api/scenes/Flood%20response", {"presets": ["Morning briefing", "Flood watch"]})):
        status, answer = api_call(hall, "PUT", path, body, "operator1")
        assert status == 200, answer

    kiosk = open_kiosk(last["id"])
    clock = next(w for w in layout["windows"] if w["kind"] == "clock")
    text = next(w for w in layout["windows"] if w["kind"] == "text")
    expect(kiosk.get_by_test_id(f"part-{clock['id']}")).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    expect(kiosk.get_by_test_id(f"part-{text['id']}")).to_have_text("Flood watch: river level 2.1 m, rising")

    page = open_console("operator1")
    expect(windows_on_wall(page)).to_have_count(len(windows))
    expect(page.get_by_test_id("preset-Morning briefing")).to_be_visible()
    page.get_by_test_id(f"window-{layout['windows'][0]['id']}").click()
    page.mouse.move(0, 0)
    DOCS.mkdir(exist_ok=True)
    target = DOCS / "console.png" if os.environ.get("HALL_UPDATE_SCREENSHOT") == "1" else tmp_path / "console.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000


# -- drops, hidden windows, split keys, the district's time (issue 8) -----------------------------------------
def quarters(c: dict) -> list[dict]:
    w, h = c["w"] // 2, c["h"] // 2
    return [{"x": c["x"] + (i % 2) * w, "y": c["y"] + (i // 2) * h, "w": w, "h": h} for i in range(4)]


def test_a_source_dropped_on_a_window_replaces_its_source_instead_of_stacking_a_window(hall, empty_wall, open_console):
    screen = screens_in_reading_order(empty_wall)[0]
    shown, dropped = empty_wall["sources"][0], empty_wall["sources"][1]
    before = add_window(hall, {"kind": "video", "source": shown["id"], "rect": screen["canvas"],
                               "title": shown["name"]})
    page = open_console("operator1")
    expect(windows_on_wall(page)).to_have_count(1)

    drag(page, page.get_by_test_id(f"source-{dropped['id']}"), page.get_by_test_id(f"window-{before['id']}"))

    win = page.get_by_test_id(f"window-{before['id']}")
    expect(win).to_have_attribute("data-source", dropped["id"])
    expect(win).to_contain_text(dropped["name"])
    expect(windows_on_wall(page)).to_have_count(1)
    [after] = hall.wall()["layout"]["windows"]
    assert after["id"] == before["id"] and after["rect"] == before["rect"] and after["z"] == before["z"]
    assert after["source"] == dropped["id"] and after["title"] == dropped["name"]


def test_a_panel_dropped_on_a_camera_window_takes_its_place(hall, empty_wall, open_console):
    screen = screens_in_reading_order(empty_wall)[1]
    panel = empty_wall["panels"][0]
    cam = add_window(hall, {"kind": "video", "source": empty_wall["sources"][0]["id"], "rect": screen["canvas"]})
    page = open_console("operator1")
    version = hall.wall()["layout"]["version"]

    drag(page, page.get_by_test_id(f"panel-{panel['id']}"), page.get_by_test_id(f"window-{cam['id']}"))

    expect(page.get_by_test_id(f"window-{cam['id']}")).to_have_attribute("data-kind", "panel")
    layout = hall.wall()["layout"]
    [w] = layout["windows"]
    assert (w["kind"], w["panel"], w["source"]) == ("panel", panel["id"], None)
    assert (w["rect"], w["z"]) == (cam["rect"], cam["z"])
    assert layout["version"] == version + 1, "the swap was not one write"


def test_a_drop_on_the_empty_part_of_a_screen_adds_a_window_there_only(hall, empty_wall, open_console):
    screen = screens_in_reading_order(empty_wall)[0]
    cells = quarters(screen["canvas"])
    sources = empty_wall["sources"]
    for i in range(3):  # a 4-split with its last cell empty
        add_window(hall, {"kind": "video", "source": sources[i]["id"], "rect": cells[i]})
    page = open_console("operator1")
    expect(windows_on_wall(page)).to_have_count(3)

    drag(page, page.get_by_test_id(f"source-{sources[5]['id']}"), page.get_by_test_id(f"screen-{screen['id']}"),
         dx=0.8, dy=0.8)

    expect(windows_on_wall(page)).to_have_count(4)
    windows = hall.wall()["layout"]["windows"]
    added = next(w for w in windows if w["source"] == sources[5]["id"])
    c, x, y = screen["canvas"], cells[3]["x"], cells[3]["y"]  # the empty cell, up to the screen's edges
    assert added["rect"] == {"x": x, "y": y, "w": c["x"] + c["w"] - x, "h": c["y"] + c["h"] - y}, added["rect"]


def test_windows_hidden_behind_others_are_marked_and_can_be_brought_to_front_or_removed(hall, empty_wall,
                                                                                      open_console):
    a, b = screens_in_reading_order(empty_wall)[:2]
    src = [s["id"] for s in empty_wall["sources"]]
    put_layout(hall, [
        {"id": "under-1", "kind": "video", "source": src[0], "rect": quarters(a["canvas"])[0], "z": 1},
        {"id": "under-2", "kind": "video", "source": src[1], "rect": quarters(a["canvas"])[3], "z": 2},
        {"id": "cover", "kind": "video", "source": src[2], "rect": a["canvas"], "z": 3},
        # partly covered by the one above it: still shows, so not hidden
        {"id": "peeking", "kind": "video", "source": src[3], "rect": b["canvas"], "z": 4},
        {"id": "over-half", "kind": "panel", "panel": empty_wall["panels"][0]["id"], "rect": quarters(b["canvas"])[0],
         "z": 5},
    ])
    page = open_console("operator1")
    rows = page.get_by_test_id("window-table")
    expect(page.get_by_test_id("window-count")).to_have_text("5 · 2 hidden")
    for wid in ("under-1", "under-2"):
        expect(page.get_by_test_id(f"window-row-{wid}")).to_have_attribute("data-hidden", "true")
        expect(page.get_by_test_id(f"window-row-{wid}")).to_contain_text("hidden")
    for wid in ("cover", "peeking", "over-half"):
        expect(page.get_by_test_id(f"window-row-{wid}")).not_to_have_attribute("data-hidden", "true")
    expect(rows.get_by_test_id("window-front-cover")).to_have_count(0)

    page.get_by_test_id("window-front-under-1").click()
    expect(page.get_by_test_id("window-row-under-1")).not_to_have_attribute("data-hidden", "true")
    expect(page.get_by_test_id("window-count")).to_have_text("5 · 1 hidden")
    z = {w["id"]: w["z"] for w in hall.wall()["layout"]["windows"]}
    assert z["under-1"] > max(v for k, v in z.items() if k != "under-1")

    page.get_by_test_id("window-remove-under-2").click()
    expect(page.get_by_test_id("window-row-under-2")).to_have_count(0)
    expect(page.get_by_test_id("window-count")).to_have_text("4")
    assert "under-2" not in {w["id"] for w in hall.wall()["layout"]["windows"]}


def test_keys_1_4_9_and_1_then_6_split_the_selected_screens(hall, empty_wall, open_console):
    screen = screens_in_reading_order(empty_wall)[0]
    c = screen["canvas"]
    sources = [s["id"] for s in empty_wall["sources"]][:4]
    page = open_console("operator1")
    page.get_by_test_id(f"screen-{screen['id']}").click()
    for sid in sources:
        page.get_by_test_id(f"source-{sid}").click()
    expect(page.get_by_test_id(f"source-{sources[-1]}")).to_have_class(re.compile(r"\bselected\b"))

    def widths_after(keys: str, cols: int) -> int:
        version = hall.wall()["layout"]["version"]
        for k in keys:
            page.keyboard.press(k)
        expect(page.get_by_test_id("layout-version")).not_to_have_text(str(version))
        expect(windows_on_wall(page)).to_have_count(min(cols * cols, len(sources)))
        layout = hall.wall()["layout"]
        widths = {w["rect"]["w"] for w in layout["windows"]}
        assert all(abs(w - c["w"] / cols) < 1 for w in widths), (keys, widths)
        return layout["version"] - version

    assert widths_after("4", 2) == 1
    assert widths_after("9", 3) == 1
    assert widths_after("1", 1) == 1
    # "1" then "6" is one 16-way split, not a 1-way split first.
    assert widths_after("16", 4) == 1


def test_the_console_shows_times_in_the_districts_zone_not_the_browsers(hall, empty_wall, browser):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.e2e.e2e_helpers import CONSOLE_VIEWPORT

    zone = ZoneInfo("Asia/Shanghai")  # config/demo.yaml's display.timezone
    screen = screens_in_reading_order(empty_wall)[0]
    layout = put_layout(hall, [{"id": "tz-1", "kind": "video", "source": empty_wall["sources"][0]["id"],
                                "rect": screen["canvas"]}], user="operator1")
    name = f"tz-{uuid.uuid4().hex[:6]}"
    status, body = api_call(hall, "PUT", f"/api/presets/{name}", {}, "operator1")
    assert status == 200, body
    status, scene = api_call(hall, "PUT", f"/api/scenes/{name}", {"presets": [name]}, "operator1")
    assert status == 200, scene
    # A browser half a world away from the district.
    ctx = browser.new_context(viewport=CONSOLE_VIEWPORT, timezone_id="America/Los_Angeles")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(hall.url + "/console/")
        login(page, "operator1", hall.users["operator1"])
        assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/Los_Angeles"

        def local(iso: str, fmt: str) -> str:
            return datetime.fromisoformat(iso).astimezone(zone).strftime(fmt)

        expect(page.get_by_test_id("status-updated")).to_have_text(
            f"by operator1 at {local(layout['updated_at'], '%H:%M:%S')}")
        expect(page.get_by_test_id(f"preset-meta-{name}")).to_contain_text(local(body["preset"]["updated_at"], "%H:%M"))
        expect(page.get_by_test_id(f"scene-meta-{name}")).to_contain_text(local(scene["scene"]["updated_at"], "%H:%M"))
        clock = page.get_by_test_id("district-clock")
        expect(clock).to_have_attribute("title", re.compile("Asia/Shanghai"))
        before = datetime.now(zone).strftime("%H:%M")
        shown = clock.text_content() or ""
        after = datetime.now(zone).strftime("%H:%M")
        assert shown[:5] in (before, after), (shown, before, after)
        assert not errors, errors
    finally:
        api_call(hall, "DELETE", f"/api/scenes/{name}", None, "operator1")
        api_call(hall, "DELETE", f"/api/presets/{name}", None, "operator1")
        ctx.close()
