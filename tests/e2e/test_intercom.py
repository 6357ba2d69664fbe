"""The intercom end to end in real headless Chromium against a running hall: a grid worker's push-to-talk on the
field page reaches two other field pages of the talkgroup (the sound they receive grows while the talker holds
the floor: WebRTC's inbound totalAudioEnergy, as the page's level meter reads it), and one of them, pressing too,
waits for the floor until the talker lets go. The talker's browser sings a tone (a WAV made here, Chromium's
--use-file-for-fake-audio-capture is per browser process); the listeners' browser sends silence."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.e2e_helpers import CONSOLE_VIEWPORT, login, wait_js
from tests.e2e.test_field_page import PHONE, api  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
GROUP = "street:s-west"  # worker1, worker2 and worker3 are in it while on duty (config/grids.geojson)
WORKERS = ("worker1", "worker2", "worker3")


def media_args(wav: Path) -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-audio-capture={wav}",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]


def write_wav(path: Path, hz: float | None, seconds: float = 5.0, rate: int = 48_000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.4 * np.sin(2 * np.pi * hz * t) if hz else np.zeros_like(t)) * 32767
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return path


@pytest.fixture
def browsers(browser: Browser, tmp_path: Path) -> Iterator[tuple[Browser, Browser]]:
    """The talker's Chromium (a 1 kHz tone as its microphone) and the listeners' (silence)."""
    kind = browser.browser_type
    talker = kind.launch(executable_path=CHROMIUM, args=media_args(write_wav(tmp_path / "tone.wav", 1000.0)))
    listeners = kind.launch(executable_path=CHROMIUM, args=media_args(write_wav(tmp_path / "silence.wav", None)))
    yield talker, listeners
    talker.close()
    listeners.close()


@pytest.fixture
def on_duty(api) -> Iterator[None]:  # noqa: F811
    for w in WORKERS:
        api("POST", "/api/workers/me/duty", {"status": "on_duty"}, user=w)
    yield
    for w in WORKERS:
        api("POST", "/api/workers/me/duty", {"status": "off_duty"}, user=w)


def open_talk(b: Browser, hall, user: str, errors: list[str]) -> Page:
    """The field page on a phone, logged in, on its Talk view with the street's group chosen and connected."""
    ctx = b.new_context(viewport=PHONE, has_touch=True, permissions=["microphone"])
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{user}: {exc}"))
    page.goto(hall.url + "/field/")
    login(page, user, hall.users[user])
    expect(page.get_by_test_id("who")).to_contain_text(user)
    page.get_by_test_id("nav-talk").click()
    page.locator(f"[data-testid=talk-groups] [data-group='{GROUP}']").click()
    expect(page.locator(f"[data-testid=talk-groups] [data-group='{GROUP}']")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("ptt")).to_be_enabled(timeout=20_000)  # its voice connection is up
    return page


def energy(page: Page) -> float:
    return float(page.get_by_test_id("talk-meter").get_attribute("data-energy") or 0)


def hold(page: Page) -> None:
    """Press the push-to-talk button and keep it down (the pointer stays pressed)."""
    box = page.get_by_test_id("ptt").bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()


def test_push_to_talk_reaches_two_field_pages_and_a_third_waits_for_the_floor(hall, browsers, on_duty):
    talker_browser, listener_browser = browsers
    errors: list[str] = []
    talker = open_talk(talker_browser, hall, "worker1", errors)
    listener = open_talk(listener_browser, hall, "worker2", errors)
    queued = open_talk(listener_browser, hall, "worker3", errors)
    try:
        expect(listener.get_by_test_id("talk-floor")).to_have_text("The floor is free")
        talker.wait_for_timeout(1500)  # silence reaches the listeners meanwhile: the energy before anyone talks
        before = {p: energy(p) for p in (listener, queued)}

        hold(talker)
        expect(talker.get_by_test_id("talk-floor")).to_contain_text("You have the floor")
        expect(talker.get_by_test_id("ptt")).to_have_attribute("data-state", "talking")
        expect(listener.get_by_test_id("talk-floor")).to_have_text("Grid worker Chen talks")

        hold(queued)  # the third presses too: queued behind the talker
        expect(queued.get_by_test_id("talk-floor")).to_have_text("Waiting for the floor (1st) · Grid worker Chen talks")
        expect(queued.get_by_test_id("ptt")).to_have_attribute("data-state", "queued")

        # the talker's tone arrives at both other pages while the floor is held
        for page in (listener, queued):
            wait_js(page, "([min]) => Number(document.querySelector('[data-testid=talk-meter]').dataset.energy) > min",
                    [before[page] + 0.001], timeout=20)  # silence adds about 1e-9 a second
        while_held = energy(listener) - before[listener]

        talker.mouse.up()  # let go: the queued page gets the floor
        expect(queued.get_by_test_id("talk-floor")).to_contain_text("You have the floor", timeout=15_000)
        expect(listener.get_by_test_id("talk-floor")).to_have_text("Grid worker Li talks")
        expect(talker.get_by_test_id("talk-floor")).to_have_text("Grid worker Li talks")
        # the third page's voice is silence: what the listener receives now adds (almost) nothing
        listener.wait_for_timeout(500)  # the tone's tail still on its way
        settled = energy(listener)
        listener.wait_for_timeout(2000)
        assert energy(listener) - settled < while_held, (energy(listener), settled, while_held)
        queued.mouse.up()
        expect(listener.get_by_test_id("talk-floor")).to_have_text("The floor is free")

        # the transmission is in the group's replay list of every page
        for page in (listener, queued):
            expect(page.get_by_test_id("talk-clips").locator("li[data-clip]").first).to_contain_text(
                "Grid worker Chen", timeout=15_000)
    finally:
        for page in (talker, listener, queued):
            page.context.close()
    assert not errors, f"script errors in the field pages: {errors}"


def test_the_commander_takes_the_floor_from_the_console_and_makes_an_ad_hoc_group(hall, browsers, on_duty):
    talker_browser, console_browser = browsers
    errors: list[str] = []
    worker = open_talk(talker_browser, hall, "worker1", errors)
    ctx = console_browser.new_context(viewport=CONSOLE_VIEWPORT, permissions=["microphone"])
    console = ctx.new_page()
    console.on("pageerror", lambda exc: errors.append(f"console: {exc}"))
    try:
        console.goto(hall.url + "/console/")
        login(console, "commander1", hall.users["commander1"])
        expect(console.get_by_test_id("conn-status")).to_have_attribute("data-state", "connected")
        console.get_by_test_id("tab-intercom").click()
        row = console.locator(f"[data-testid=intercom-groups] tr[data-group='{GROUP}']")
        row.click()
        expect(console.get_by_test_id("intercom-title")).to_contain_text("Street")
        expect(console.get_by_test_id("intercom-ptt")).to_be_enabled(timeout=20_000)

        hold(worker)
        expect(worker.get_by_test_id("talk-floor")).to_contain_text("You have the floor")
        expect(console.get_by_test_id("intercom-floor")).to_have_text("Grid worker Chen talks")
        expect(row).to_contain_text("Grid worker Chen talks")

        console.get_by_test_id("intercom-take").click()
        expect(console.get_by_test_id("intercom-floor")).to_contain_text("You have the floor")
        expect(worker.get_by_test_id("talk-floor")).to_have_text("Commander Zhao talks")
        expect(worker.get_by_test_id("talk-status")).to_have_text("Commander Zhao took the floor.")
        worker.mouse.up()
        assert hall.request("GET", f"/api/intercom/groups/{GROUP}",
                            token=hall.token("commander1"))[1]["group"]["floor"]["holder"] == "commander1"
        console.get_by_test_id("intercom-ptt").click()  # a press and a release: the commander lets go
        expect(worker.get_by_test_id("talk-floor")).to_have_text("The floor is free")

        # an ad hoc group of the centre's choosing reaches the worker's page
        console.get_by_test_id("adhoc-name").fill("Flood watch")
        console.get_by_test_id("adhoc-members").fill("worker1, dept1")
        console.get_by_test_id("adhoc-create").click()
        expect(console.get_by_test_id("intercom-title")).to_contain_text("Flood watch")
        expect(worker.locator("[data-testid=talk-groups]")).to_contain_text("Flood watch")
        console.once("dialog", lambda d: d.accept())
        console.get_by_test_id("intercom-delete").click()
        expect(console.get_by_test_id("intercom-groups")).not_to_contain_text("Flood watch")
        expect(worker.locator("[data-testid=talk-groups]")).not_to_contain_text("Flood watch")
    finally:
        ctx.close()
        worker.context.close()
    assert not errors, f"script errors: {errors}"
