"""`hall demo`'s grid workers: simulated phones walk their grids and report through `/field` on the hall's own URL
(a real server on a real port, real Socket.IO clients), so positions change within seconds; worker1 is left for a
person; statuses come in realistic shares."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from backend import appkeys, keys
from backend.workers.demo import WorkerDemo, random_point, simulated_workers, step_towards
from backend.workers.model import distance_m
from tests.events_support import CFG, make_client


def test_every_worker_account_but_worker1_and_the_event_flows_is_simulated_by_default():
    names = simulated_workers(CFG)
    assert names == [f"worker{i}" for i in range(2, 33)]
    few = CFG.model_copy(update={"workers": CFG.workers.model_copy(update={
        "demo": CFG.workers.demo.model_copy(update={"simulated": 5})})})
    assert simulated_workers(few) == ["worker2", "worker3", "worker4", "worker5", "worker6"]


def test_statuses_are_drawn_in_the_configured_shares():
    demo = WorkerDemo("http://127.0.0.1:1", CFG, users=None, seed=7)  # type: ignore[arg-type]
    drawn = Counter(demo.draw_status() for _ in range(4000))
    assert drawn["off_duty"] / 4000 == pytest.approx(0.1, abs=0.02)
    assert drawn["busy"] / 4000 == pytest.approx(0.2, abs=0.03)
    assert drawn["on_duty"] / 4000 == pytest.approx(0.7, abs=0.03)


def test_a_walker_stays_in_its_grid_and_moves_at_its_pace():
    demo = WorkerDemo("http://127.0.0.1:1", CFG, users=None, seed=1)  # type: ignore[arg-type]
    (grid,) = demo.patrol_area("worker3", 0)[:1]
    assert demo.patrol_area("worker3", 0)[0].id == "g05"  # their own grids first
    assert demo.patrol_area("worker20", 19)[0].id in {g.id for g in demo.grids.grids}  # no grid: one by turn
    rng = random.Random(3)
    for _ in range(50):
        assert grid.contains(*random_point(grid, rng))
    lat, lon, arrived = step_towards(36.650, 117.100, (36.660, 117.100), 13.0)
    assert not arrived and distance_m(36.650, 117.100, lat, lon) == pytest.approx(13.0, rel=0.01)
    assert step_towards(36.650, 117.100, (36.65001, 117.100), 13.0) == (36.65001, 117.100, True)


@pytest.mark.slow
async def test_simulated_workers_report_through_the_field_page_path_and_keep_moving(redis_url, tmp_path):
    cfg = CFG.model_copy(update={"workers": CFG.workers.model_copy(update={
        "report_every_s": 1, "report_min_move_m": 2,
        "demo": CFG.workers.demo.model_copy(update={"simulated": ["worker2", "worker3", "worker4", "worker5"],
                                                    "speed_mps": 8, "busy_share": 0.0, "off_duty_share": 0.0,
                                                    "status_minutes": 1000})})})
    api = await make_client(redis_url, tmp_path, cfg)
    redis = api.app[appkeys.REDIS]
    await redis.sadd(keys.USERS, *[u.name for u in cfg.users])
    reg = api.app[appkeys.WORKERS]
    demo = asyncio.create_task(WorkerDemo(str(api.make_url("")), cfg, api.app[appkeys.USERS], seed=11).run())
    try:
        async def positions() -> dict[str, tuple[float, float]]:
            return {w.name: (w.lat, w.lon) for w in await reg.list() if w.lat is not None}

        for _ in range(100):  # they connect within a few seconds
            first = await positions()
            if len(first) == 4:
                break
            await asyncio.sleep(0.2)
        assert set(first) == {"worker2", "worker3", "worker4", "worker5"}
        await asyncio.sleep(3)
        later = await positions()
        moved = {n: distance_m(*first[n], *later[n]) for n in first}
        assert all(m > 5 for m in moved.values()), moved
        assert all(w.status == "on_duty" for w in await reg.list() if w.name in first)
        assert len(await redis.xrange(keys.worker_track("worker2"))) >= 3
        # each phone used a token of its own worker, over /field
        assert await redis.scard(keys.user_tokens("worker2")) >= 1
        assert api.app[appkeys.METRICS].sockets.labels("/field")._value.get() == 4
        assert (await reg.get("worker1")).status == "off_duty"  # left for a person
    finally:
        demo.cancel()
        await asyncio.gather(demo, return_exceptions=True)
        await api.close()
