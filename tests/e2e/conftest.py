"""Browser fixtures for the end-to-end tests: real headless Chromium driving the pages the `hall` server serves."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.e2e_helpers import CHROMIUM, CHROMIUM_ARGS, CONSOLE_VIEWPORT, login

expect.set_options(timeout=10_000)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def empty_wall(fresh_wall) -> dict:
    """Each test starts from a wall with no windows (tests/conftest.py's `fresh_wall`); returns GET /api/wall."""
    return fresh_wall.wall()


@pytest.fixture
def open_console(browser: Browser, hall) -> Iterator[Callable[..., Page]]:
    """Open the console in a fresh browser context (its own sessionStorage), logged in as `user`.

    An uncaught script error in any of these pages fails the test."""
    contexts = []
    errors: list[str] = []

    def _open(user: str | None = None) -> Page:
        ctx = browser.new_context(viewport=CONSOLE_VIEWPORT)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(hall.url + "/console/")
        if user:
            login(page, user, hall.users[user])
            expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "connected")
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    assert not errors, f"script errors in the console: {errors}"


@pytest.fixture
def open_kiosk(browser: Browser, hall) -> Iterator[Callable[..., Page]]:
    """Open the kiosk page of one screen, as the wall's PCs do (script errors fail the test); `query` is
    appended to its URL, `setup(page)` runs before it loads (e.g. to watch its requests)."""
    contexts = []
    errors: list[str] = []

    def _open(screen_id: str, query: str = "", setup: Callable[[Page], None] | None = None) -> Page:
        ctx = browser.new_context(viewport={"width": 960, "height": 540})
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if setup is not None:
            setup(page)
        page.goto(hall.screen_url(screen_id) + query)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    assert not errors, f"script errors in the kiosk page: {errors}"
