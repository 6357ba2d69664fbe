"""`hall bench call`, its Chromium part: calls made the way a commander and a worker make them, timed from the click.

A `hall serve` of its own (the demo district on a small wall, no cameras) and one headless Chromium with its fake
camera and microphone: a commander's console on an event and a worker's field page on duty beside it. Each call:
the commander opens the event, and once its detail (map, workers near) has shown clicks Call nearest (timed from the
click event itself); the phone rings, the worker answers at once; each page notes (Date.now(), one clock: both pages
run in the same browser on this machine) when its call video first has a decoded frame. The answer is immediate,
so click-to-frame is the hall's and WebRTC's share of the wait, not a person's.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import yaml

from ..config import DEFAULT_CONFIG, load_config
from ..redis_server import EmbeddedRedis
from .events import ServedHall

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-quic", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]
SPOT = (36.6475, 117.1021)  # the demo district's Harmony grid 1

# Armed before each click: when a call video shows its first decoded frame of a stream not there when armed.
ARM = """(selector) => {
  const before = new Set([...document.querySelectorAll(selector)].map((v) => v.srcObject).filter(Boolean));
  window.__firstFrame = null;
  const tick = () => {
    for (const v of document.querySelectorAll(selector)) {
      if (v.srcObject && !before.has(v.srcObject) && v.videoWidth > 0 && v.readyState >= 2) {
        window.__firstFrame = Date.now();
        return;
      }
    }
    setTimeout(tick, 5);
  };
  tick();
}"""
# On the console: when the browser took the click on Call nearest (the input event's own time, so the driver's
# checks before it clicks are not counted).
CLICKED = """() => {
  window.__clickedAt = null;
  const button = document.querySelector("[data-testid=call-nearest]");
  button.addEventListener("click", (e) => { window.__clickedAt = performance.timeOrigin + e.timeStamp; },
                          { once: true, capture: true });
}"""
# On the phone: the worker answers the moment it rings (noted), with no round trip through the test driver.
ANSWER = """() => {
  window.__rang = null;
  const look = () => {
    const screen = document.querySelector("[data-testid=call-screen][data-state=ringing]");
    const answer = screen && screen.querySelector("[data-testid=call-answer]");
    if (answer) { window.__rang = Date.now(); answer.click(); return; }
    setTimeout(look, 5);
  };
  look();
}"""


def _config(tmp: Path) -> Path:
    cfg = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    cfg["sources"] = []
    cfg.pop("cascade", None)  # its targets and feeds name the demo's screens and sources
    cfg.pop("rules", None)  # its alarms and schedules name the demo's screens and presets
    for key in (("events", "grids"), ("gis", "district")):
        cfg[key[0]][key[1]] = str(Path(DEFAULT_CONFIG).parent / cfg[key[0]][key[1]])
    cfg["display"]["fps"] = 15
    cfg["wall"] = {"name": "Bench wall", "grid_px": 40, "blocks": [
        {"id": "lcd", "name": "LCD", "kind": "lcd", "rows": 1, "cols": 1, "origin_mm": [0, 0],
         "panel_size_mm": [640, 360], "bezel_mm": 2, "resolution": [640, 360]}]}
    path = tmp / "bench-call.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def _request(url: str, method: str, body: object, token: str | None = None) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p / 100 * len(s)))])


async def _login(page: Any, user: str, password: str) -> None:
    await page.get_by_test_id("login-username").fill(user)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()


async def click_to_first_frame(calls: int = 10) -> dict[str, Any]:
    """`calls` calls one after another; p50 and p95 of click -> first decoded frame on each side (ms)."""
    from playwright.async_api import async_playwright, expect

    passwords = {u.name: u.password for u in load_config(DEFAULT_CONFIG).users if u.password}
    with tempfile.TemporaryDirectory(prefix="hall-bench-call-") as tmp_s:
        tmp = Path(tmp_s)
        redis = EmbeddedRedis(tmp / "redis")
        await asyncio.to_thread(redis.start)  # waits for Redis to answer: not on the loop
        hall = None
        try:
            hall = await asyncio.to_thread(ServedHall, str(_config(tmp)), redis.url, tmp)
            url = hall.url
            integration = (await asyncio.to_thread(_request, url + "/api/auth/login", "POST", {
                "username": "integration", "password": passwords["integration"]}))["token"]
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                phone_ctx = await browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                                      permissions=["geolocation", "camera", "microphone"],
                                                      geolocation={"latitude": SPOT[0] + 0.0004,
                                                                   "longitude": SPOT[1]})
                console_ctx = await browser.new_context(viewport={"width": 1400, "height": 900},
                                                        permissions=["camera", "microphone"])
                phone, console = await phone_ctx.new_page(), await console_ctx.new_page()
                await phone.goto(url + "/field/")
                await _login(phone, "worker2", passwords["worker2"])
                await expect(phone.get_by_test_id("duty-off_duty")).to_have_attribute("aria-pressed", "true")
                await phone.get_by_test_id("duty-on_duty").click()
                await expect(phone.get_by_test_id("duty-line")).to_contain_text("location shared")
                await console.goto(url + "/console/")
                await _login(console, "commander1", passwords["commander1"])
                await expect(console.get_by_test_id("conn-status")).to_have_attribute("data-state", "connected")
                await console.get_by_test_id("tab-events").click()

                rows: list[dict[str, float]] = []
                for _ in range(calls):
                    ev = (await asyncio.to_thread(_request, url + "/api/events", "POST", {
                        "channel": "resident", "description": f"Bench: a burst pipe {uuid.uuid4().hex[:8]}",
                        "category": "0201", "lat": SPOT[0], "lon": SPOT[1]}, integration))["event"]
                    await console.get_by_test_id(f"event-row-{ev['id']}").click()
                    await expect(console.get_by_test_id("detail-id")).to_have_text(ev["id"])
                    # the commander reads the detail first: the click comes once its map and the workers near have
                    # shown, not while the page is still drawing them
                    await expect(console.get_by_test_id("event-map")).to_have_attribute("data-state", "ready")
                    await expect(console.get_by_test_id("event-map-near")).not_to_be_empty()
                    await console.wait_for_timeout(300)
                    dock = console.get_by_test_id("call-dock")
                    screen = phone.get_by_test_id("call-screen")
                    await console.evaluate(ARM, "[data-testid=call-dock] video.call-remote")
                    await phone.evaluate(ARM, "[data-testid=call-screen] video.call-remote")
                    await phone.evaluate(ANSWER)
                    await console.evaluate(CLICKED)
                    await console.get_by_test_id("call-nearest").click()
                    clicked = await console.evaluate("() => window.__clickedAt")
                    await phone.wait_for_function("() => window.__rang !== null", timeout=20_000)
                    rang = await phone.evaluate("() => window.__rang")
                    for page in (console, phone):
                        await page.wait_for_function("() => window.__firstFrame !== null", timeout=30_000)
                    c_first = await console.evaluate("() => window.__firstFrame")
                    p_first = await phone.evaluate("() => window.__firstFrame")
                    rows.append({"ring": rang - clicked, "console": c_first - clicked, "phone": p_first - clicked})
                    await dock.get_by_test_id("call-hangup").click()
                    await expect(screen.get_by_test_id("call-ended")).to_be_visible(timeout=20_000)
                    await expect(dock).to_have_attribute("data-state", "ended", timeout=20_000)
                await browser.close()
        finally:
            if hall:
                await asyncio.to_thread(hall.stop)
            await asyncio.to_thread(redis.stop)
    out: dict[str, Any] = {"calls": len(rows), "answer": "at once, when the phone rings"}
    for side in ("ring", "console", "phone"):
        values = [r[side] for r in rows]
        out[f"{side}_ms_p50"], out[f"{side}_ms_p95"] = _pct(values, 50), _pct(values, 95)
    out["loadavg_1m"] = round(os.getloadavg()[0], 2)
    return out
