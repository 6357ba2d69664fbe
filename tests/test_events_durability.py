"""Durability against a real redis-server: what was acknowledged survives `kill -9` of Redis and of the hall."""

from __future__ import annotations

import asyncio
import json
import signal

import aiohttp
import pytest
import redis as sync_redis

from backend import keys
from backend.auth import Identity
from backend.events.schemas import ReportIn
from backend.events.service import EventService
from backend.redis_server import EmbeddedRedis
from backend.store import connect
from tests.conftest import HallProcess
from tests.events_support import CFG

pytestmark = pytest.mark.slow
N = 300


def kill9(server: EmbeddedRedis) -> None:
    assert server.proc is not None
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    if server.proc.stderr:
        server.proc.stderr.close()
    server.proc = None


async def test_acknowledged_reports_survive_kill_9_of_redis(tmp_path):
    server = EmbeddedRedis(tmp_path)
    server.start()
    password, port = server.password, server.port
    redis = connect(server.url)
    svc = EventService(redis, CFG)
    worker = Identity("worker1", "worker")
    acked: list[str] = []

    async def one(i: int) -> None:
        ev, created = await svc.report(ReportIn(channel="worker", description=f"report {i}", category="0101",
                                                lat=36.645, lon=117.1, idempotency_key=f"k{i}"), worker)
        assert created
        acked.append(ev.id)  # acknowledged: the report call returned

    for start in range(0, N, 50):  # 50 at a time, like concurrent clients
        await asyncio.gather(*(one(i) for i in range(start, start + 50)))
    await redis.aclose()
    kill9(server)  # no shutdown, no final fsync: only what was fsynced before each reply survives

    again = EmbeddedRedis(tmp_path, port=port)
    again.password = password
    again.start()
    try:
        r = sync_redis.Redis.from_url(again.url, decode_responses=True)
        assert r.zcard(keys.EVENTS_INDEX) == N
        assert r.xlen(keys.EVENTS_AUDIT) == N
        for eid in acked:
            doc = json.loads(r.hget(keys.event(eid), "data"))
            assert doc["id"] == eid and doc["state"] == "reported"
            log = r.xrange(keys.event_audit(eid))
            assert [f["action"] for _, f in log] == ["report"]
        assert int(r.hget(keys.event_stats(EventService(connect(again.url), CFG).store.day(doc["reported_at"])),
                          "reported")) == N
        # a retry after the crash still finds the first event
        redis2 = connect(again.url)
        svc2 = EventService(redis2, CFG)
        ev, created = await svc2.report(ReportIn(channel="worker", description="report 7", category="0101",
                                                 idempotency_key="k7"), worker)
        assert not created and ev.id in acked
        await redis2.aclose()
        r.close()
    finally:
        again.stop()


async def test_nothing_acknowledged_is_lost_when_the_hall_is_killed_under_load(redis_server, tmp_path):
    r = sync_redis.Redis.from_url(redis_server.url, decode_responses=True)
    r.flushall()
    hall = HallProcess(redis_server.url, tmp_path)
    try:
        token = hall.token("worker1")
        acked: list[str] = []
        stop = asyncio.Event()

        async def client(n: int, session: aiohttp.ClientSession) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                body = {"channel": "worker", "description": f"load {n}-{i}", "category": "0101",
                        "lat": 36.645, "lon": 117.1, "idempotency_key": f"c{n}-{i}"}
                try:
                    async with session.post(f"{hall.url}/api/events", json=body,
                                            headers={"Authorization": f"Bearer {token}"}) as resp:
                        if resp.status == 201:
                            acked.append((await resp.json())["event"]["id"])
                except (TimeoutError, aiohttp.ClientError):
                    if hall.proc.poll() is not None:
                        return

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            tasks = [asyncio.create_task(client(n, session)) for n in range(16)]
            while len(acked) < 400:
                await asyncio.sleep(0.01)
            hall.proc.send_signal(signal.SIGKILL)  # mid-load: requests are in flight
            hall.proc.wait()
            stop.set()
            await asyncio.gather(*tasks)
        assert len(acked) >= 400
        missing = [eid for eid in acked if not r.exists(keys.event(eid))]
        assert missing == []
        assert all(r.xlen(keys.event_audit(eid)) == 1 for eid in acked)
        assert r.zcard(keys.EVENTS_INDEX) >= len(acked)  # in-flight ones may be there too, unacknowledged
    finally:
        hall.stop()
        r.close()


async def test_no_acknowledged_transition_is_lost_when_the_hall_is_killed_under_load(redis_server, tmp_path):
    r = sync_redis.Redis.from_url(redis_server.url, decode_responses=True)
    r.flushall()
    hall = HallProcess(redis_server.url, tmp_path)
    try:
        worker, operator = hall.token("worker1"), hall.token("operator1")
        todo: asyncio.Queue[str] = asyncio.Queue()
        acked: dict[str, tuple[int, str]] = {}  # event id -> (version, state) in the acknowledgment
        stop = asyncio.Event()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            for i in range(300):
                body = {"channel": "worker", "description": f"to accept {i}", "category": "0101",
                        "lat": 36.645, "lon": 117.1}
                async with session.post(f"{hall.url}/api/events", json=body,
                                        headers={"Authorization": f"Bearer {worker}"}) as resp:
                    assert resp.status == 201
                    todo.put_nowait((await resp.json())["event"]["id"])

            async def commander() -> None:
                while not stop.is_set() and not todo.empty():
                    eid = todo.get_nowait()
                    try:
                        async with session.post(f"{hall.url}/api/events/{eid}/accept", json={},
                                                headers={"Authorization": f"Bearer {operator}"}) as resp:
                            if resp.status == 200:
                                ev = (await resp.json())["event"]
                                acked[eid] = (ev["version"], ev["state"])
                    except (TimeoutError, aiohttp.ClientError):
                        if hall.proc.poll() is not None:
                            return

            tasks = [asyncio.create_task(commander()) for _ in range(8)]
            while len(acked) < 150:
                await asyncio.sleep(0.005)
            hall.proc.send_signal(signal.SIGKILL)  # mid-load: transitions are in flight
            hall.proc.wait()
            stop.set()
            await asyncio.gather(*tasks)
        assert len(acked) >= 150
        for eid, (version, state) in acked.items():
            doc = json.loads(r.hget(keys.event(eid), "data"))
            assert (doc["version"], doc["state"]) == (version, state), eid
            assert [f["action"] for _, f in r.xrange(keys.event_audit(eid))] == ["report", "accept"]
    finally:
        hall.stop()
        r.close()
