"""The console's Workers tab in real headless Chromium against a running hall: grid workers live (status, grids,
position age, open tasks) as their phones report over `/field`, a worker's track drawn over the grid outlines and
growing with each report, the nearest workers of an event with the skipped explained, and an expert kept out."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest
import socketio
from playwright.sync_api import expect

from backend.config import DEFAULT_CONFIG, load_config
from tests.events_support import report_body

pytestmark = pytest.mark.e2e

G01 = (36.6475, 117.1021)  # Harmony grid 1


class Phone:
    """A grid worker's phone: a Socket.IO client on /field with that worker's own token, as the field page connects
    (python-socketio's asyncio client, run on a loop of its own beside Playwright's synchronous calls)."""

    def __init__(self, url: str, token: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self._run(self.sio.connect(url, namespaces=["/field"], auth={"token": token}, transports=["websocket"],
                                   wait_timeout=10))

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(20)

    def say(self, event: str, data: dict) -> dict:
        ack = self._run(self.sio.call(event, data, namespace="/field", timeout=10))
        assert ack["ok"], ack
        return ack

    def close(self) -> None:
        self.say("duty", {"status": "off_duty"})
        self._run(self.sio.disconnect())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def phone(hall) -> Iterator[Callable[[str], Phone]]:
    phones: list[Phone] = []

    def connect(name: str) -> Phone:
        phones.append(Phone(hall.url, hall.token(name)))
        return phones[-1]

    yield connect
    for p in phones:
        p.close()


def test_the_workers_tab_lists_workers_live_and_draws_the_track_as_it_grows(open_console, phone):
    p5 = phone("worker5")
    p5.say("duty", {"status": "on_duty"})
    p5.say("position", {"lat": 36.6500, "lon": 117.1000})
    p5.say("position", {"lat": 36.6510, "lon": 117.1010})
    p6 = phone("worker6")
    p6.say("duty", {"status": "busy"})
    p6.say("position", {"lat": 36.6600, "lon": 117.1300})

    page = open_console("operator1")
    page.get_by_test_id("tab-workers").click()
    row5 = page.get_by_test_id("worker-worker5")
    expect(row5).to_contain_text("Grid worker Liu")
    expect(row5).to_contain_text("On duty")
    expect(row5.locator(".wk-age")).to_contain_text("ago · g01")
    expect(page.get_by_test_id("worker-worker6")).to_contain_text("Busy")
    expect(page.get_by_test_id("worker-worker1")).to_contain_text("g01, g03")
    expect(page.get_by_test_id("worker-worker30").locator(".wk-age")).to_have_text("no position")  # never reported
    assert int(page.get_by_test_id("count-on_duty").locator("b").inner_text()) >= 1

    row5.click()
    track = page.get_by_test_id("worker-track").locator("polyline")
    expect(track).to_have_attribute("data-points", "2")
    grids = len(load_config(DEFAULT_CONFIG).events.grids_geojson["features"])
    expect(page.get_by_test_id("worker-track").locator("path.wk-grid")).to_have_count(grids)  # the grid outlines
    expect(page.get_by_test_id("track-info")).to_contain_text("2 points")

    p5.say("position", {"lat": 36.6520, "lon": 117.1020})  # pushed to the console within a second
    expect(track).to_have_attribute("data-points", "3")
    p5.say("duty", {"status": "busy"})
    expect(row5).to_contain_text("Busy")


def test_the_nearest_workers_of_an_event_explain_who_was_skipped(hall, open_console, phone):
    p7 = phone("worker7")
    p7.say("duty", {"status": "on_duty"})
    p7.say("position", {"lat": G01[0] + 0.001, "lon": G01[1]})
    status, body = hall.request("POST", "/api/events", report_body(lat=G01[0], lon=G01[1]), hall.token("integration"))
    assert status == 201, body
    page = open_console("commander1")
    page.get_by_test_id("tab-workers").click()
    page.get_by_test_id("nearest-event").fill(body["event"]["id"])
    page.get_by_test_id("nearest-find").click()
    answer = page.get_by_test_id("nearest-answer")
    expect(answer.get_by_test_id("nearest-worker7")).to_contain_text("111 m")
    expect(answer.get_by_test_id("skipped-worker1")).to_contain_text("own grid")  # g01's worker, off duty
    expect(answer.get_by_test_id("nearest-short")).to_contain_text("available within 5 km")


def test_an_expert_is_told_positions_are_not_for_their_role(open_console):
    page = open_console("expert1")
    page.get_by_test_id("tab-workers").click()
    expect(page.get_by_test_id("workers-message")).to_contain_text("may not see")
    expect(page.get_by_test_id("workers-rows").locator("tr")).to_have_count(0)
