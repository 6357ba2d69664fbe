"""One-click video calls in real headless Chromium (issue 9): a commander in the console and a grid worker on the
field page, each with Chromium's fake camera and microphone and one peer connection into the hall's media server.

The console rings the nearest worker (or three at once); the phone rings full screen, answers, and both sides
decode the other's picture and hear the other's voice (getStats: frames decoded, audio samples and energy); the
instruction reaches the phone, the snapshot the event's photos, the call the wall (read from a screen's kiosk
video), its record the event's audit log. A phone whose connection drops comes back into the same call by itself.

The hall here is one of its own: the demo district on a small wall (two 640x360 screens, no cameras) so the
machine's two cores carry the calls and one kiosk.
"""
from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import HallProcess
from tests.e2e.e2e_helpers import CHROMIUM, CHROMIUM_ARGS, api_as, login, on_patrol, small_wall_hall, wait_js

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# Calls need Chromium's fake camera and microphone, peers on loopback and sound without a click.
CALL_ARGS = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]
PHONE = {"width": 360, "height": 740}
CONSOLE = {"width": 1400, "height": 900}
SPOT = (36.6475, 117.1021)  # Harmony grid 1
WORKERS = ("worker2", "worker3", "worker4", "worker5", "worker6")  # the workers these tests put on duty
DOCK = "[data-testid=call-dock]"
SCREEN = "[data-testid=call-screen]"


@pytest.fixture(scope="module")
def browser(browser: Browser) -> Iterator[Browser]:
    """A Chromium of the calls' own (fake camera and microphone), from the suite's one Playwright: a second
    sync Playwright in the same thread is refused while the first runs."""
    b = browser.browser_type.launch(executable_path=CHROMIUM, args=CALL_ARGS)
    yield b
    b.close()


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HallProcess]:
    """`hall serve` on the demo district with a small wall of two 640x360 screens and no cameras."""
    yield from small_wall_hall(tmp_path_factory, "calls", fps=15)


@pytest.fixture
def api(hall) -> Callable[..., dict]:
    return api_as(hall, "commander1")


@pytest.fixture
def pages(browser: Browser, hall) -> Iterator[Callable[..., Page]]:
    """Open the console (`kind` "console"), the field page ("field", phone-sized, its position at `at`) or a
    screen's kiosk page ("kiosk"), each in a context of its own; a script error in any of them fails the test."""
    contexts, errors = [], []

    def _open(kind: str, user: str = "", at: tuple[float, float] | None = None) -> Page:
        if kind == "field":
            ctx = browser.new_context(viewport=PHONE, has_touch=True,
                                      permissions=["geolocation", "camera", "microphone"],
                                      geolocation={"latitude": at[0], "longitude": at[1]} if at else None)
        else:
            ctx = browser.new_context(viewport=CONSOLE if kind == "console" else {"width": 640, "height": 360},
                                      permissions=["camera", "microphone"])
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{kind}: {exc}"))
        if kind == "kiosk":
            page.goto(hall.screen_url(user))
            return page
        page.goto(hall.url + ("/console/" if kind == "console" else "/field/"))
        login(page, user, hall.users[user])
        if kind == "console":
            expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "connected")
        else:
            expect(page.get_by_test_id("who")).to_contain_text(user)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    assert not errors, f"script errors: {errors}"


@pytest.fixture(autouse=True)
def nobody_on_duty(hall, api):
    """Each test puts its own workers on duty; none is left on duty (or in a call) for the next."""
    yield
    for name in WORKERS:
        api("POST", "/api/workers/me/duty", {"status": "off_duty"}, user=name)


def an_event(api, lat: float = SPOT[0], lon: float = SPOT[1]) -> dict:
    description = f"Water pouring from a burst pipe {uuid.uuid4().hex[:8]}"
    return api("POST", "/api/events", {"channel": "resident", "description": description, "category": "0201",
                                       "lat": lat, "lon": lon}, user="integration", status=201)["event"]


def phone_on_duty(pages, name: str, at: tuple[float, float]) -> Page:
    """A worker's phone on the field page, switched on duty; its position has reached the hall."""
    page = pages("field", name, at)
    expect(page.get_by_test_id("duty-off_duty")).to_have_attribute("aria-pressed", "true")  # connected: the hall's word
    page.get_by_test_id("duty-on_duty").click()
    expect(page.get_by_test_id("duty-line")).to_contain_text("location shared")
    return page


def console_on_event(pages, event_id: str, user: str = "commander1") -> Page:
    page = pages("console", user)
    page.get_by_test_id("tab-events").click()
    page.get_by_test_id(f"event-row-{event_id}").click()
    expect(page.get_by_test_id("detail-id")).to_have_text(event_id)
    return page


STATS = "async (el) => el && el.callPeer ? await el.callPeer.stats() : null"


def stats(page: Page, selector: str) -> dict:
    return page.evaluate(STATS, page.query_selector(selector)) or {}


def receives(page: Page, selector: str, what: str, timeout: float = 40) -> None:
    """The page's peer connection decodes the other side's picture and hears a voice that is not silence: frames,
    audio samples and audio energy all grow (read from getStats)."""
    deadline = time.monotonic() + timeout
    base = None
    while True:
        now = stats(page, selector)
        if base is None and now.get("framesDecoded", 0) > 5:
            base = now
        elif base is not None and all(now.get(k, 0) > base.get(k, 0) for k in ("framesDecoded", "audioSamples",
                                                                               "audioEnergy")):
            return
        assert time.monotonic() < deadline, (f"{what} never received the other side: {base} -> {now}; the page says: "
                                             f"{page.inner_text('body')[:600]!r}")
        page.wait_for_timeout(500)


# -- the call from the console's event detail, both ways, with everything a call offers --------------------------------
GRAB = """(v) => {
  if (!v || !v.videoWidth || v.readyState < 2) return null;
  const c = document.createElement("canvas");
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext("2d");
  g.drawImage(v, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let s = "";
  for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
  return { w: c.width, h: c.height, rgba: btoa(s) };
}"""


def kiosk_picture(page: Page) -> np.ndarray | None:
    """What the kiosk's screen video shows now (HxWx3 RGB)."""
    got = page.evaluate(GRAB, page.query_selector("#screen-video"))
    if not got:
        return None
    rgba = np.frombuffer(base64.b64decode(got["rgba"]), np.uint8).reshape(got["h"], got["w"], 4)
    return rgba[:, :, :3].astype(np.int16)


def middle(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return img[h // 5: 4 * h // 5, w // 5: 4 * w // 5]


def moving_fake_camera(a: np.ndarray, b: np.ndarray) -> bool:
    """Two reads of the picture differ (live video) and it is Chromium's fake camera: green, not black, not grey."""
    r, g, bl = middle(b).reshape(-1, 3).mean(axis=0)
    return float(np.abs(middle(a) - middle(b)).mean()) > 0.5 and g > r + 30 and g > bl + 30


def test_call_nearest_from_the_event_rings_the_phone_and_both_sides_see_and_hear_each_other(hall, api, pages, tmp_path):
    ev = an_event(api)
    phone = phone_on_duty(pages, "worker2", (SPOT[0] + 0.0004, SPOT[1]))
    console = console_on_event(pages, ev["id"])

    console.get_by_test_id("call-nearest").click()
    dock = console.get_by_test_id("call-dock")
    expect(dock).to_be_visible()
    expect(dock.get_by_test_id("call-rung-worker2")).to_have_attribute("data-outcome", "ringing")

    # the phone rings full screen: who calls, about what; the tone plays (Web Audio), answer or decline
    screen = phone.get_by_test_id("call-screen")
    expect(screen).to_have_attribute("data-state", "ringing")
    expect(screen.get_by_test_id("call-caller")).to_have_text("Commander Zhao")
    expect(screen.get_by_test_id("call-event")).to_contain_text(ev["description"])
    expect(screen).to_have_attribute("data-sound", "playing")
    screen.get_by_test_id("call-answer").click()
    expect(screen).to_have_attribute("data-state", "connected")
    expect(dock).to_have_attribute("data-state", "connected")
    expect(dock.get_by_test_id("call-peer-state")).to_have_text("Grid worker Wang: connected", timeout=30_000)
    [call] = api("GET", f"/api/calls?event={ev['id']}&active=true")["calls"]
    assert call["callee"]["name"] == "worker2" and call["mode"] == "nearest"

    # pictures and voices both ways, through the media server
    receives(console, DOCK, "the console")
    receives(phone, SCREEN, "the phone")
    # the phone sends its back camera by default
    expect(screen).to_have_attribute("data-facing", "environment")
    asked = phone.evaluate("(el) => JSON.stringify(el.callPeer.local.getVideoTracks()[0].getConstraints())",
                           phone.query_selector(SCREEN))
    assert "environment" in asked

    # an instruction from the console appears on the phone
    console.get_by_test_id("call-text-input").fill("Close the valve by the north gate")
    console.get_by_test_id("call-text-send").click()
    expect(screen.get_by_test_id("call-text")).to_have_text("Close the valve by the north gate")

    if os.environ.get("HALL_UPDATE_SCREENSHOT") == "1":  # the README's picture of a call
        console.wait_for_timeout(1500)
        console.screenshot(path=str(ROOT / "docs" / "call.png"))
    else:
        console.screenshot(path=str(tmp_path / "call.png"))
    phone.screenshot(path=str(tmp_path / "phone.png"))

    # the snapshot is one of the event's photos (the detail shows it)
    console.get_by_test_id("call-snapshot").click()
    expect(dock.get_by_test_id("call-snapshots").locator("img")).to_have_count(1)
    sha = api("GET", f"/api/calls/{call['id']}")["call"]["snapshots"][0]
    assert sha in api("GET", f"/api/events/{ev['id']}")["event"]["photos"]
    expect(console.get_by_test_id("detail-photos").locator(f"img[data-sha='{sha}']")).to_have_count(1)

    # mute and the camera switch on the phone: no renegotiation (still one join), the console still sees it
    screen.get_by_test_id("call-mute").click()
    expect(dock.get_by_test_id("call-problem")).to_contain_text("muted their microphone")
    screen.get_by_test_id("call-mute").click()
    expect(dock.get_by_test_id("call-problem")).to_be_hidden()
    before = phone.evaluate("(el) => el.callPeer.camera.sender.track.id", phone.query_selector(SCREEN))
    screen.get_by_test_id("call-camera").click()
    expect(screen).to_have_attribute("data-facing", "user")
    assert phone.evaluate("(el) => el.callPeer.camera.sender.track.id", phone.query_selector(SCREEN)) != before
    assert stats(phone, SCREEN)["joins"] == 1
    receives(console, DOCK, "the console after the camera switch")

    # on the wall: the call's window on a chosen screen, its kiosk shows the worker's camera moving
    screen_id = hall.wall()["wall"]["screens"][1]["id"]
    console.get_by_test_id("call-wall-target").select_option(screen_id)
    console.get_by_test_id("call-wall").click()
    expect(dock.get_by_test_id("call-log")).to_contain_text("On the wall")
    windows = [w for w in hall.wall()["layout"]["windows"] if w["source"] == f"call:{call['id']}"]
    assert len(windows) == 1
    kiosk = pages("kiosk", screen_id)
    wait_js(kiosk, "document.body.classList.contains('video-live')", timeout=40)
    deadline = time.monotonic() + 40
    prev = kiosk_picture(kiosk)
    while True:
        kiosk.wait_for_timeout(500)
        img = kiosk_picture(kiosk)
        if prev is not None and img is not None and moving_fake_camera(prev, img):
            break
        assert time.monotonic() < deadline, "the kiosk never showed the worker's camera in the call's window"
        prev = img

    # the console hangs up: the phone says so, the wall keeps an ENDED slate the console offers to remove
    dock.get_by_test_id("call-hangup").click()
    expect(dock.get_by_test_id("call-outcome")).to_have_attribute("data-outcome", "answered")
    expect(screen.get_by_test_id("call-ended")).to_be_visible()
    remove = dock.get_by_test_id("call-wall-remove")
    expect(remove).to_be_visible()
    assert next(s for s in hall.wall()["sources"] if s["id"] == f"call:{call['id']}")["state"] == "ended"
    remove.click()
    expect(remove).to_have_count(0)
    assert not [w for w in hall.wall()["layout"]["windows"] if w["source"] == f"call:{call['id']}"]

    # the call's record is on the event: its audit log, read again by the detail when the call ended
    expect(console.get_by_test_id("detail-audit").locator("li[data-action=call]")).to_have_count(1)
    entry = next(a for a in api("GET", f"/api/events/{ev['id']}/audit")["audit"] if a["action"] == "call")
    assert entry["callee"] == "worker2" and entry["outcome"] == "answered" and entry["snapshots"] == [sha]
    expect(console.get_by_test_id("event-calls").locator(f"li[data-call='{call['id']}']")).to_contain_text("answered")


# -- a dropped connection comes back into the same call -------------------------------------------------------------
def test_a_phone_whose_connection_drops_comes_back_into_the_same_call_and_the_console_sees_it_reconnecting(api, pages):
    ev = an_event(api)
    phone = phone_on_duty(pages, "worker3", (SPOT[0] - 0.0003, SPOT[1]))
    console = console_on_event(pages, ev["id"])
    console.get_by_test_id("call-nearest").click()
    screen = phone.get_by_test_id("call-screen")
    screen.get_by_test_id("call-answer").click()
    dock = console.get_by_test_id("call-dock")
    receives(phone, SCREEN, "the phone")
    receives(console, DOCK, "the console")
    call_id = dock.get_attribute("data-call")

    # the phone's peer connection is gone (as when its network drops): nobody clicks anything
    phone.evaluate("(el) => el.callPeer.pc.close()", phone.query_selector(SCREEN))
    expect(dock.get_by_test_id("call-log")).to_contain_text("Grid worker Li is reconnecting", timeout=30_000)
    expect(dock.get_by_test_id("call-log")).to_contain_text("Grid worker Li is back", timeout=30_000)
    assert wait_js(phone, "(el) => el.callPeer.joins === 2 && el.callPeer.state === 'connected'",
                   phone.query_selector(SCREEN), timeout=30)
    receives(phone, SCREEN, "the phone, back in the call")
    receives(console, DOCK, "the console, the phone back")
    call = api("GET", f"/api/calls/{call_id}")["call"]
    assert call["state"] == "connected" and call["sides"] == {"caller": "connected", "callee": "connected"}

    # the console's connection drops: the phone says the centre is reconnecting, the console comes back by itself
    phone.evaluate("""(el) => { window.__said = []; new MutationObserver(() => window.__said.push(el.textContent))
                      .observe(el, { childList: true, characterData: true, subtree: true }); }""",
                   phone.query_selector("[data-testid=call-status]"))
    console.evaluate("(el) => el.callPeer.pc.close()", console.query_selector(DOCK))
    assert wait_js(console, "(el) => el.callPeer.joins === 2 && el.callPeer.state === 'connected'",
                   console.query_selector(DOCK), timeout=30)
    assert wait_js(phone, "window.__said.some((t) => t.includes('The centre is reconnecting'))", timeout=30)
    expect(phone.get_by_test_id("call-status")).to_have_text("Connected", timeout=30_000)
    receives(console, DOCK, "the console, back in the call")

    # the phone's page is reloaded: it goes back into the same call by itself
    phone.reload()
    expect(phone.get_by_test_id("call-screen")).to_have_attribute("data-state", "connected", timeout=30_000)
    receives(phone, SCREEN, "the reloaded phone")
    assert api("GET", f"/api/calls/{call_id}")["call"]["state"] == "connected"
    screen.get_by_test_id("call-hangup").click()
    expect(dock.get_by_test_id("call-outcome")).to_have_attribute("data-outcome", "answered")


# -- ringing several, declines and nobody near ------------------------------------------------------------------------
def test_ring_nearest_three_rings_three_at_once_and_the_first_to_answer_stops_the_others(hall, api, pages):
    ev = an_event(api)
    phone = phone_on_duty(pages, "worker4", (SPOT[0] + 0.0002, SPOT[1]))
    for i, name in enumerate(("worker5", "worker6")):
        on_patrol(hall, name, SPOT[0] + 0.0006 * (i + 1), SPOT[1])
    console = console_on_event(pages, ev["id"])
    ring = console.get_by_test_id("call-ring")
    expect(ring).to_have_text("Ring nearest 3")
    ring.click()
    dock = console.get_by_test_id("call-dock")
    for name in ("worker4", "worker5", "worker6"):
        expect(dock.get_by_test_id(f"call-rung-{name}")).to_have_attribute("data-outcome", "ringing")
    phone.get_by_test_id("call-answer").click()
    expect(dock.get_by_test_id("call-title")).to_contain_text("Grid worker Zhang")
    log = dock.get_by_test_id("call-log")
    expect(log).to_contain_text("Grid worker Liu: stopped ringing")
    expect(log).to_contain_text("Grid worker Yang: stopped ringing")
    call = api("GET", f"/api/calls/{dock.get_attribute('data-call')}")["call"]
    assert {r["name"]: r["outcome"] for r in call["rung"]} == {"worker4": "answered", "worker5": "cancelled",
                                                                "worker6": "cancelled"}
    dock.get_by_test_id("call-hangup").click()
    expect(phone.get_by_test_id("call-screen").get_by_test_id("call-ended")).to_be_visible()


def test_a_declined_call_rings_the_next_nearest_and_the_console_shows_who_declined(hall, api, pages):
    ev = an_event(api)
    phone = phone_on_duty(pages, "worker5", (SPOT[0] + 0.0002, SPOT[1]))
    on_patrol(hall, "worker6", SPOT[0] + 0.0015, SPOT[1])
    console = console_on_event(pages, ev["id"])
    console.get_by_test_id("call-nearest").click()
    dock = console.get_by_test_id("call-dock")
    expect(dock.get_by_test_id("call-rung-worker5")).to_have_attribute("data-outcome", "ringing")
    expect(dock.get_by_test_id("call-rung-worker6")).to_have_count(0)  # one at a time
    phone.get_by_test_id("call-decline").click()
    expect(phone.get_by_test_id("call-screen")).to_be_hidden()
    expect(dock.get_by_test_id("call-rung-worker5")).to_have_attribute("data-outcome", "declined")
    expect(dock.get_by_test_id("call-rung-worker6")).to_have_attribute("data-outcome", "ringing")
    dock.get_by_test_id("call-hangup").click()  # nobody answers: the commander stops ringing
    expect(dock.get_by_test_id("call-outcome")).to_have_attribute("data-outcome", "cancelled")
    dock.get_by_test_id("call-close").click()
    expect(dock).to_be_hidden()


def test_when_nobody_can_be_rung_the_console_shows_who_was_skipped_and_why(hall, api, pages):
    ev = an_event(api)
    on_patrol(hall, "worker2", SPOT[0] + 0.0003, SPOT[1])
    api("POST", "/api/workers/me/duty", {"status": "busy"}, user="worker2")
    console = console_on_event(pages, ev["id"])
    console.get_by_test_id("call-nearest").click()
    dock = console.get_by_test_id("call-dock")
    expect(dock).to_have_attribute("data-state", "nobody")
    expect(dock.get_by_test_id("call-nobody")).not_to_be_empty()
    expect(dock.get_by_test_id("call-skipped-worker2")).to_have_attribute("data-reason", "busy")
    dock.get_by_test_id("call-close").click()
    expect(dock).to_be_hidden()
    expect(console.get_by_test_id("call-nearest")).to_be_enabled()


def test_the_maps_call_button_rings_that_worker_and_the_call_view_takes_it(hall, api, pages):
    ev = an_event(api)
    phone = phone_on_duty(pages, "worker6", (SPOT[0] + 0.0005, SPOT[1] + 0.0005))
    console = console_on_event(pages, ev["id"])
    near = console.get_by_test_id("event-map-near").get_by_test_id("near-worker-worker6")
    near.get_by_test_id("call-worker6").click()
    dock = console.get_by_test_id("call-dock")
    expect(dock.get_by_test_id("call-rung-worker6")).to_have_attribute("data-outcome", "ringing")
    expect(phone.get_by_test_id("call-screen")).to_have_attribute("data-state", "ringing")
    call = api("GET", f"/api/calls/{dock.get_attribute('data-call')}")["call"]
    assert call["mode"] == "worker" and call["event"]["id"] == ev["id"]
    dock.get_by_test_id("call-hangup").click()
    expect(phone.get_by_test_id("call-screen")).to_be_hidden()
