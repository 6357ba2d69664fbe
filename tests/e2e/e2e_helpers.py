"""Helpers shared by the end-to-end tests: REST calls, login, pointer drags."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from playwright.sync_api import Locator, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
CONSOLE_VIEWPORT = {"width": 1400, "height": 900}


def api_call(hall, method: str, path: str, body: Any = None, user: str = "admin") -> tuple[int, Any]:
    """Call the REST API as `user`; returns (status, JSON body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(hall.url + path, data=data, method=method, headers={
        "Authorization": f"Bearer {hall.token(user)}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            raw = res.read()
            return res.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)


def put_layout(hall, windows: list[dict], user: str = "admin") -> dict:
    """Replace the whole layout (retrying if someone wrote in between); returns the new layout."""
    for _ in range(5):
        version = hall.wall()["layout"]["version"]
        status, body = api_call(hall, "PUT", "/api/wall/layout", {"version": version, "windows": windows}, user)
        if status == 200:
            return body["layout"]
        assert status == 409, body
    raise AssertionError("could not write the layout")


def login(page: Page, username: str, password: str) -> None:
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def drag(page: Page, item: Locator, target: Locator, dx: float = 0.5, dy: float = 0.5) -> None:
    """Press on `item`, move in steps, release over `target` at fraction (dx, dy) of its box."""
    item.scroll_into_view_if_needed()
    a, b = item.bounding_box(), target.bounding_box()
    assert a and b
    x0, y0 = a["x"] + min(30, a["width"] / 2), a["y"] + a["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 10, y0 + 10, steps=3)
    page.mouse.move(b["x"] + b["width"] * dx, b["y"] + b["height"] * dy, steps=12)
    page.mouse.up()


def windows_on_wall(page: Page) -> Locator:
    return page.get_by_test_id("wall").locator("[data-testid^='window-']")


def wait_js(page: Page, expression: str, arg: Any = None, timeout: float = 10.0, every: float = 0.1) -> Any:
    """Poll a JavaScript expression (or function of `arg`) until it is truthy; its last value.

    Playwright's own wait_for_function evaluates its predicate inside the page, which the pages'
    Content-Security-Policy (no eval) forbids; evaluating from here is not bound by it, so the tests keep the
    pages under the same policy users have."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value or time.monotonic() > deadline:
            if not value:
                raise AssertionError(f"timed out after {timeout} s waiting for {expression[:80]!r}")
            return value
        page.wait_for_timeout(every * 1000)


def on_patrol(hall, worker: str, lat: float, lon: float, then: list[tuple[float, float]] = (),
              every_s: float = 0.3) -> None:
    """A grid worker on duty at a place (and walking on to `then`), reported the way the field page does: over
    /field with their token."""
    import asyncio

    import socketio

    async def report() -> None:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(hall.url, namespaces=["/field"], auth={"token": hall.token(worker)},
                          transports=["websocket"], wait_timeout=10)
        try:
            duty = await sio.call("duty", {"status": "on_duty"}, namespace="/field", timeout=10)
            assert duty.get("ok"), duty
            for i, (y, x) in enumerate([(lat, lon), *then]):
                if i:
                    await asyncio.sleep(every_s)
                ack = await sio.call("position", {"lat": y, "lon": x, "accuracy": 8}, namespace="/field", timeout=10)
                assert ack.get("ok"), ack
        finally:
            await sio.disconnect()

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        pool.submit(asyncio.run, report()).result(timeout=60)


def api_as(hall, default_user: str):
    """REST calls as demo users (one token per user, `default_user` unless named) that assert the status."""
    tokens: dict[str, str] = {}

    def call(method: str, path: str, body: object = None, user: str = default_user, status: int = 200) -> dict:
        if user not in tokens:
            tokens[user] = hall.token(user)
        got, data = hall.request(method, path, body, tokens[user])
        assert got == status, (method, path, got, data)
        return data

    return call


def small_wall_hall(tmp_path_factory, name: str, fps: int):
    """`hall serve` of its own on the demo district with a small wall of two 640x360 screens, no cameras, no
    cascade and no layout rules (they name the demo's screens): a generator for a module fixture to yield from."""
    from pathlib import Path

    import yaml

    from backend.config import DEFAULT_CONFIG
    from backend.redis_server import EmbeddedRedis
    from tests.conftest import HallProcess

    d = tmp_path_factory.mktemp(f"{name}-hall")
    cfg = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    cfg["sources"] = []
    cfg.pop("cascade", None)
    cfg.pop("rules", None)
    cfg["events"]["grids"] = str(Path(DEFAULT_CONFIG).parent / cfg["events"]["grids"])
    cfg["gis"]["district"] = str(Path(DEFAULT_CONFIG).parent / cfg["gis"]["district"])
    cfg["display"]["fps"] = fps
    cfg["wall"] = {"name": f"{name.capitalize()} test wall", "grid_px": 40, "blocks": [
        {"id": "lcd", "name": "LCD splice wall", "kind": "lcd", "rows": 1, "cols": 2, "origin_mm": [0, 0],
         "panel_size_mm": [640, 360], "bezel_mm": 2, "resolution": [640, 360]}]}
    path = d / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    server = EmbeddedRedis(d / "redis")
    server.start()
    proc = HallProcess(server.url, d, config=path)
    yield proc
    proc.stop()
    server.stop()
