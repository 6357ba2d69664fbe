"""Login abuse: attempts are counted atomically per (user, address) and per address, nobody elsewhere can lock
a user out, and password checks run in a bounded pool of their own (429 with Retry-After when it is full)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend import appkeys
from backend.app import create_app
from tests.conftest import DEMO_PASSWORDS, login, seed_demo_users


@pytest.fixture
async def proxied(redis_url, demo_config):
    """The hall behind a trusted reverse proxy on loopback, so a test can speak from several addresses."""
    auth = demo_config.auth.model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    cfg = demo_config.model_copy(update={"auth": auth})
    await seed_demo_users(redis_url, cfg)
    async with TestClient(TestServer(create_app(cfg, redis_url, bootstrap_users=False))) as c:
        yield c


async def _login(client, user: str, password: str, address: str):
    return await client.post("/api/auth/login", json={"username": user, "password": password},
                             headers={"X-Forwarded-For": address})


async def test_parallel_wrong_passwords_cannot_pass_the_failure_limit(proxied, demo_config):
    limit = demo_config.auth.login_max_failures
    answers = await asyncio.gather(*(_login(proxied, "operator1", f"wrong-{i}", "203.0.113.7") for i in range(30)))
    statuses = [r.status for r in answers]
    assert statuses.count(401) == limit, statuses
    assert statuses.count(429) == 30 - limit
    retry = [r.headers.get("Retry-After") for r in answers if r.status == 429]
    assert all(v is not None and int(v) >= 1 for v in retry)


async def test_an_attacker_elsewhere_cannot_lock_a_user_out(proxied, demo_config):
    for i in range(demo_config.auth.login_max_failures + 3):
        await _login(proxied, "admin", f"guess-{i}", "198.51.100.66")
    assert (await _login(proxied, "admin", DEMO_PASSWORDS["admin"], "198.51.100.66")).status == 429
    from_the_hall = await _login(proxied, "admin", DEMO_PASSWORDS["admin"], "10.1.2.3")
    assert from_the_hall.status == 200


async def test_one_address_spraying_many_users_is_throttled(proxied, demo_config):
    per_address = demo_config.auth.login_max_failures_per_address
    users = [u for u in DEMO_PASSWORDS if u != "commander1"]
    for i in range(per_address):
        await _login(proxied, users[i % len(users)], "not-it", "192.0.2.10")
    blocked = await _login(proxied, "commander1", DEMO_PASSWORDS["commander1"], "192.0.2.10")
    assert blocked.status == 429 and "Retry-After" in blocked.headers
    assert (await _login(proxied, "commander1", DEMO_PASSWORDS["commander1"], "192.0.2.11")).status == 200


async def test_a_success_clears_the_pairs_failures(proxied, demo_config):
    for _ in range(demo_config.auth.login_max_failures - 1):
        assert (await _login(proxied, "operator2", "nope-nope", "192.0.2.50")).status == 401
    assert (await _login(proxied, "operator2", DEMO_PASSWORDS["operator2"], "192.0.2.50")).status == 200
    for _ in range(demo_config.auth.login_max_failures - 1):
        assert (await _login(proxied, "operator2", "nope-nope", "192.0.2.50")).status == 401


async def test_logins_beyond_the_hashing_pool_get_429_and_the_wall_does_not_wait(proxied, demo_config):
    users = proxied.app[appkeys.USERS]
    admin = await login(proxied, "admin")
    gate = threading.Event()
    slots = demo_config.auth.hash_workers + demo_config.auth.hash_queue
    blocked = [asyncio.ensure_future(users._hash_work(gate.wait, 30)) for _ in range(slots)]  # pool and queue full
    await asyncio.sleep(0.1)
    try:
        busy = await _login(proxied, "operator1", DEMO_PASSWORDS["operator1"], "192.0.2.77")
        assert busy.status == 429 and busy.headers.get("Retry-After") == "1"
        # Wall work runs on other threads: it completes while every password thread is taken.
        version = (await (await proxied.get("/api/wall", headers=admin)).json())["layout"]["version"]
        put = await asyncio.wait_for(proxied.put("/api/wall/layout", json={"version": version, "windows": []},
                                                 headers=admin), timeout=20)
        assert put.status == 200
    finally:
        gate.set()
        await asyncio.gather(*blocked)
    # the busy answer was not counted as a failure of that user
    assert (await _login(proxied, "operator1", DEMO_PASSWORDS["operator1"], "192.0.2.77")).status == 200
