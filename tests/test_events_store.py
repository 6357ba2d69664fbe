"""The event store's scripts declare every key they touch in KEYS (Redis Cluster routes a script by them):
watched with Redis's own MONITOR while reports, transitions, duplicates and timers are written."""

from __future__ import annotations

import asyncio
import re
import time

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from backend.auth import Identity
from backend.events.schemas import ActionIn, ReportIn
from backend.events.service import EventService
from tests.events_support import CFG

ARG = re.compile(r'"((?:[^"\\]|\\.)*)"')


async def test_every_key_a_write_script_touches_is_declared_in_its_keys(redis_url):
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    watcher = aioredis.Redis.from_url(redis_url, decode_responses=True)
    lines: list[str] = []

    async def monitor() -> None:
        async with watcher.monitor() as m:
            while True:
                lines.append(await m.connection.read_response())

    task = asyncio.create_task(monitor())
    await asyncio.sleep(0.2)
    try:
        svc = EventService(redis, CFG)
        integration, operator = Identity("integration", "integration"), Identity("operator1", "operator")
        first, _ = await svc.report(ReportIn(channel="resident", description="garbage", category="0101",
                                             lat=36.645, lon=117.1, contact="138", reporter_name="Wang",
                                             idempotency_key="k-1"), integration)
        second, _ = await svc.report(ReportIn(channel="worker", description="again", category="0101", lat=36.645,
                                              lon=117.1), Identity("worker1", "worker"))
        await svc.act(first.id, "accept", ActionIn(), operator)
        await svc.act(second.id, "accept", ActionIn(), operator)
        await svc.act(second.id, "mark_duplicate", ActionIn(original=first.id), operator)
        await svc.tick(now=time.time() + 30 * 86400)  # overdue (and its escalation timer), then escalation
        await svc.tick(now=time.time() + 31 * 86400)
        await asyncio.sleep(0.3)
    finally:
        task.cancel()
        await watcher.aclose()

    scripts, touched = 0, 0
    declared: list[str] | None = None
    for line in lines:
        client = line.split("[", 1)[1].split("]", 1)[0].split(" ", 1)[1]
        args = [a.replace('\\"', '"') for a in ARG.findall(line)]
        if client != "lua":
            declared = [str(k) for k in args[3:3 + int(args[2])]] if args[0].upper() == "EVALSHA" else None
            continue
        assert declared is not None, f"a script command without its EVALSHA: {line}"
        try:
            keys = await redis.command_getkeys(*args)
        except ResponseError:  # a command without keys
            keys = []
        undeclared = set(keys) - set(declared)
        assert not undeclared, f"{args[0]} touches {sorted(undeclared)} without declaring it"
        touched += len(keys)
        scripts += 1
    assert scripts > 50 and touched > 50  # the writes were watched (the document, indexes, counters, audit...)
    await redis.aclose()
