"""The demo flow moves reports from every channel round the loop on the demo district."""

from __future__ import annotations

import asyncio

from backend.events.demo import EventDemo
from backend.events.service import EventService
from backend.store import connect
from tests.events_support import CFG


async def test_the_demo_flow_fills_the_loop(redis_url):
    redis = connect(redis_url)
    svc = EventService(redis, CFG)
    demo = EventDemo(svc, reports_per_minute=6000, step_seconds=(0.001, 0.004), seed=7)
    task = asyncio.create_task(demo.run())
    try:
        while True:
            stats = await svc.stats(svc.period_days("today"))
            if stats["total"] >= 150 and stats["states"].get("evaluated", 0) + stats["states"].get("closed", 0) >= 20:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0.05)
    stats = await svc.stats(svc.period_days("today"))
    assert set(stats["channels"]) == {"worker", "resident", "department", "camera", "open311"}
    assert len(stats["states"]) >= 5
    k = stats["kpis"]
    assert k["registration_rate"] is not None and 0 < k["registration_rate"] <= 100
    posts = await svc.posts(svc.period_days("today"))
    assert posts["grid_workers"] and posts["dispatchers"] and posts["departments"]
    assert all(p["grade"] in (None, "A", "B", "C", "D", "E") for p in posts["departments"])
    await redis.aclose()
