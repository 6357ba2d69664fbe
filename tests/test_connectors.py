"""Connectors to other systems against a real HTTP server started by the test and a real Redis: polled values and
their ticker line, a failing feed keeping the last values with its error and age, one poll per interval among
several hall processes, and the token-guarded webhook."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from backend import appkeys, keys
from backend.connectors.config import ConnectorConfig
from backend.connectors.service import Connectors
from backend.store import connect
from tests.events_support import make_client


class Feed:
    """A weather bureau on loopback: answers what the test says, counts the polls."""

    def __init__(self) -> None:
        self.body: object = {"now": {"text": "Light rain", "temp_c": 17.5}, "today": {"rain_mm": 3}}
        self.status = 200
        self.delay = 0.0
        self.polls = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.polls += 1
        await asyncio.sleep(self.delay)
        if isinstance(self.body, (bytes, str)):
            return web.Response(body=self.body, status=self.status, content_type="application/json")
        return web.json_response(self.body, status=self.status)


@pytest.fixture
async def feed():
    f = Feed()
    app = web.Application()
    app.router.add_get("/weather", f.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    f.url = f"http://127.0.0.1:{runner.addresses[0][1]}/weather"
    yield f
    await runner.cleanup()


@pytest.fixture
async def redis(redis_url):
    client = connect(redis_url)
    yield client
    await client.aclose()


def weather(url: str, **kw) -> ConnectorConfig:
    return ConnectorConfig.model_validate({
        "id": "weather", "name": "Weather bureau", "kind": "weather",
        "poll": {"url": url, "every_s": kw.pop("every_s", 60), "timeout_s": kw.pop("timeout_s", 5),
                 "max_bytes": kw.pop("max_bytes", 1024 * 1024)},
        "fields": {"condition": "now.text", "temperature": "now.temp_c", "rain": "today.rain_mm"},
        "ticker": "{condition}, {temperature} °C, rain {rain} mm", **kw})


async def test_a_poll_keeps_the_mapped_values_and_their_line_in_redis(feed, redis):
    conns = Connectors(redis, [weather(feed.url)])
    heard = []
    conns.hooks.append(lambda cid, state: _append(heard, (cid, state)))
    await conns.start()
    try:
        state = await conns.poll("weather")
    finally:
        await conns.stop()
    assert state["values"] == {"condition": "Light rain", "temperature": 17.5, "rain": 3}
    assert state["line"] == "Light rain, 17.5 °C, rain 3 mm" and state["ok"] and state["how"] == "poll"
    assert state["age_s"] < 5 and not state["stale"] and state["error"] is None
    assert json.loads(await redis.hget(keys.connector("weather"), "values"))["temperature"] == 17.5
    assert heard and heard[-1][0] == "weather"


@pytest.mark.parametrize("trouble, says", [
    ({"status": 500}, "HTTP 500 from http://127.0.0.1:"),
    ({"body": b"<html>down</html>"}, "is not JSON"),
    ({"body": {"now": {"temp_c": 3}}}, "fields not found: condition (now.text): no key 'text'"),
    ({"delay": 2.0}, "no answer from"),
    ({"body": {"now": {"text": "x" * 3000, "temp_c": 1}, "today": {"rain_mm": 0}}}, "larger than 2048 bytes"),
])
async def test_a_failing_feed_keeps_the_last_values_and_says_what_is_wrong(feed, redis, trouble, says):
    conns = Connectors(redis, [weather(feed.url, timeout_s=0.5, max_bytes=2048)])
    await conns.start()
    try:
        good = await conns.poll("weather")
        for k, v in trouble.items():
            setattr(feed, k, v)
        bad = await conns.poll("weather")
    finally:
        await conns.stop()
    assert bad["values"] == good["values"] and bad["line"] == good["line"]  # the wall is never blanked
    assert not bad["ok"] and says in bad["error"] and bad["error_at"] >= good["at"]
    assert "?" not in bad["error"]  # no query (it may hold a key) in what the console shows
    listed = (await conns.states())[0]
    assert listed["error"] == bad["error"] and listed["age_s"] >= 0


async def test_several_hall_processes_poll_a_connector_once_per_interval(feed, redis):
    halls = [Connectors(redis, [weather(feed.url, every_s=1)]) for _ in range(3)]
    for c in halls:
        await c.start()
    try:
        await asyncio.sleep(3.5)
    finally:
        for c in halls:
            await c.stop()
    print(f"polls by three processes in 3.5 s at one a second: {feed.polls}")
    assert 2 <= feed.polls <= 5


async def test_the_webhook_takes_only_the_connectors_token_and_names_missing_fields(redis_url, tmp_path):
    api = await make_client(redis_url, tmp_path)
    try:
        url = "/api/connectors/hazard/webhook"
        body = {"warning": {"level": "orange", "area": "g07", "text": "landslide risk"}}
        assert (await api.post(url, json=body)).status == 401
        resp = await api.post(url, json=body, headers={"Authorization": "Bearer not-the-token-at-all"})
        assert resp.status == 403 and (await resp.json())["error"] == "forbidden"
        user_token, _, _ = await api.app[appkeys.USERS].issue("integration", "integration", ttl_seconds=60)
        resp = await api.post(url, json=body, headers={"Authorization": f"Bearer {user_token}"})
        assert resp.status == 403  # a user's token is not the connector's
        resp = await api.post(url, json={"warning": {"level": "red"}}, headers={"X-Hall-Token": TOKEN})
        err = await resp.json()
        assert resp.status == 422 and [e["path"] for e in err["errors"]] == ["warning.area", "warning.text"]
        resp = await api.post(url, json=[1, 2], headers={"X-Hall-Token": TOKEN})
        assert resp.status == 422
        resp = await api.post("/api/connectors/nope/webhook", json=body, headers={"X-Hall-Token": TOKEN})
        assert resp.status == 404
        resp = await api.post(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200, await resp.text()
        state = (await resp.json())["connector"]
        assert state["alert"] == {"level": "orange", "rank": 2, "levels": ["blue", "yellow", "orange", "red"]}
        assert state["line"] == "Hazard warning orange: landslide risk" and state["how"] == "webhook"
        # the 422 before is on record for the console, and the good one came after it
        assert state["ok"] and state["error"] is None
        assert (await api.post("/api/connectors/weather/webhook", json=body, headers={"X-Hall-Token": TOKEN})).status \
            == 404  # a polled connector takes no webhook
    finally:
        await api.close()


async def test_the_console_reads_every_connector_and_a_kiosk_or_worker_may_not(redis_url, tmp_path):
    from tests.events_support import tokens

    api = await make_client(redis_url, tmp_path)
    try:
        who = await tokens(api)
        resp = await api.get("/api/connectors", headers=who["operator1"])
        assert resp.status == 200
        assert [c["id"] for c in (await resp.json())["connectors"]] == ["weather", "traffic", "news", "hazard"]
        assert (await api.get("/api/connectors", headers=who["worker1"])).status == 403
        assert (await api.post("/api/connectors/weather/poll", headers=who["expert1"])).status == 403
    finally:
        await api.close()


TOKEN = "hazard-demo-webhook-token"  # config/demo.yaml's (demo only)


async def _append(lst, item):
    lst.append(item)
