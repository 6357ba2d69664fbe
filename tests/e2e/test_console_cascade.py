"""The console's cascade card in real headless Chromium against a running hall (the demo district's example
target, off until started): its state, why it fails and when it tries again, started and stopped by an operator
(the other centre's session ends), only shown to an expert."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.e2e_helpers import api_call

pytestmark = pytest.mark.e2e


@pytest.fixture
def target_off(hall):
    """The demo's example target stopped before and after (the session's hall is shared)."""
    api_call(hall, "POST", "/api/cascade/targets/city-centre/stop", user="operator1")
    yield
    api_call(hall, "POST", "/api/cascade/targets/city-centre/stop", user="operator1")


def test_an_operator_starts_a_target_sees_why_it_fails_and_stops_it(open_console, target_off):
    page = open_console("operator1")
    card = page.get_by_test_id("cascade-card")
    expect(card).to_be_visible()
    target = card.locator("[data-testid=cascade-target][data-name=city-centre]")
    expect(target).to_have_attribute("data-state", "stopped")
    expect(target).to_contain_text("led-main → city-centre.invalid:8080")
    target.get_by_test_id("cascade-switch").click()
    expect(target.get_by_test_id("cascade-switch")).to_have_text("Stop")
    # the address cannot be reached: the card says so, and when it tries again (the media:health push)
    expect(target).to_have_attribute("data-state", "failed", timeout=20_000)
    expect(target.locator(".cascade-error")).to_contain_text("cannot reach the other centre")
    expect(target).to_contain_text(re.compile(r"next try in \d+ s"))
    target.get_by_test_id("cascade-switch").click()
    expect(target).to_have_attribute("data-state", "stopped")
    expect(target).to_contain_text("stopped by operator1")
    expect(target.get_by_test_id("cascade-switch")).to_have_text("Start")


def test_an_expert_sees_the_targets_but_no_switch(open_console, target_off):
    page = open_console("expert1")
    target = page.locator("[data-testid=cascade-target][data-name=city-centre]")
    expect(target).to_be_visible()
    expect(target.get_by_test_id("cascade-switch")).to_have_count(0)


def test_an_operator_sends_another_picture_to_a_target(open_console, hall, target_off):
    page = open_console("operator1")
    target = page.locator("[data-testid=cascade-target][data-name=city-centre]")
    picker = target.get_by_test_id("cascade-publish")
    picker.focus()  # the screens and sources are read when the list opens
    expect(picker.locator("optgroup[label=Sources] option").first).to_be_attached()
    source = picker.locator("optgroup[label=Sources] option").first.get_attribute("value")
    picker.select_option(source)
    expect(target).to_contain_text(f"{source} → city-centre.invalid:8080")
    expect(target.get_by_test_id("cascade-switch")).to_have_text("Stop")  # choosing a picture starts the target
    status, body = api_call(hall, "GET", "/api/cascade/targets", user="operator1")
    assert status == 200
    assert next(t for t in body["targets"] if t["name"] == "city-centre")["publish"] == source
    api_call(hall, "POST", "/api/cascade/targets/city-centre/publish", {"publish": "led-main"}, user="operator1")
