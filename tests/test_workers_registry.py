"""The workers' live registry against a real Redis: a position lands in the GEO set, the worker's hash, the last-seen
set and their track stream; an off-duty phone is refused; a late report joins only the track; the track is trimmed
to the retention; stale positions and calls keep a worker out of the nearest list with the reason; box and radius
queries; open tasks counted from the events' own indexes."""

from __future__ import annotations

import time

import pytest

from backend import keys
from backend.errors import Conflict, Invalid
from backend.events.service import EventService
from backend.store import connect
from backend.workers.registry import WorkerRegistry
from tests.events_support import CFG

G01 = (36.6475, 117.1021)  # inside Harmony grid 1 (worker1's, with g03)
G04 = (36.6475, 117.1475)  # inside Wetland grid 1 (worker2's)


def config(**workers):
    return CFG.model_copy(update={"workers": CFG.workers.model_copy(update=workers)})


@pytest.fixture
async def redis(redis_url):
    r = connect(redis_url)
    for u in CFG.users:  # the accounts without their (slow, irrelevant here) password hashing
        await r.hset(keys.user(u.name), mapping={"name": u.name, "role": u.role, "password_hash": "-",
                                                 "display_name": u.display_name or u.name})
        await r.sadd(keys.USERS, u.name)
    yield r
    await r.aclose()


@pytest.fixture
def registry(redis):
    return WorkerRegistry(redis, CFG)


async def test_a_position_report_lands_in_geo_hash_last_seen_and_track(registry, redis):
    await registry.set_status("worker1", "on_duty")
    at = time.time() - 3
    w = await registry.report_position("worker1", *G01, accuracy=8.5, at=at)
    assert (w.status, w.grid, w.accuracy, w.at) == ("on_duty", "g01", 8.5, pytest.approx(at))
    (lon, lat), = await redis.geopos(keys.WORKERS_GEO, "worker1")
    assert (lat, lon) == (pytest.approx(G01[0], abs=1e-5), pytest.approx(G01[1], abs=1e-5))
    assert float(await redis.zscore(keys.WORKERS_SEEN, "worker1")) == pytest.approx(at)
    h = await redis.hgetall(keys.worker("worker1"))
    assert h["grid"] == "g01" and float(h["lat"]) == G01[0]
    entries = await redis.xrange(keys.worker_track("worker1"))
    assert [e[1]["status"] for e in entries] == ["on_duty"]
    assert float(entries[-1][1]["lon"]) == G01[1]
    assert 0 < await redis.ttl(keys.worker_track("worker1")) <= 30 * 86400


async def test_an_off_duty_phone_is_refused_and_nothing_is_written(registry, redis):
    with pytest.raises(Conflict, match="off duty"):
        await registry.report_position("worker1", *G01)
    await registry.set_status("worker1", "on_duty")
    await registry.set_status("worker1", "off_duty")
    with pytest.raises(Conflict):
        await registry.report_position("worker1", *G01)
    assert await redis.geopos(keys.WORKERS_GEO, "worker1") == [None]
    assert await redis.exists(keys.worker_track("worker1")) == 0


async def test_a_late_report_joins_the_track_in_its_place_but_not_the_live_position(registry):
    await registry.set_status("worker2", "busy")
    now = time.time()
    await registry.report_position("worker2", *G04, at=now - 5)
    w = await registry.report_position("worker2", *G01, at=now - 60)  # buffered while offline
    assert w.grid == "g04" and w.at == pytest.approx(now - 5)
    track = await registry.track("worker2", now - 3600, now + 1)
    assert [p["at"] for p in track["points"]] == [pytest.approx(now - 60), pytest.approx(now - 5)]
    assert all(p["status"] == "busy" for p in track["points"])


async def test_a_phone_clock_ahead_is_taken_as_now_and_one_older_than_the_retention_is_refused(registry):
    await registry.set_status("worker1", "on_duty")
    w = await registry.report_position("worker1", *G01, at=time.time() + 3600)
    assert w.at <= time.time()
    with pytest.raises(Invalid) as err:
        await registry.report_position("worker1", *G01, at=time.time() - 31 * 86400)
    assert err.value.errors[0]["path"] == "at"


async def test_the_track_is_trimmed_to_the_retention(redis):
    registry = WorkerRegistry(redis, config(track_retention_days=1))
    await registry.set_status("worker3", "on_duty")
    old_ms = int((time.time() - 3 * 86400) * 1000)
    for i in range(300):  # points of three days ago (written straight into the stream)
        await redis.xadd(keys.worker_track("worker3"), {"lat": "36.66", "lon": "117.11", "at": str(old_ms / 1000),
                                                        "status": "on_duty"}, id=f"{old_ms + i}-0")
    for _ in range(3):
        await registry.report_position("worker3", 36.66, 117.11)
    left = await redis.xrange(keys.worker_track("worker3"))
    assert len(left) == 3  # MINID trimming took the old ones
    assert 0 < await redis.ttl(keys.worker_track("worker3")) <= 86400


async def test_a_status_change_is_a_point_of_the_track_only_where_the_position_is_fresh(registry, redis):
    await registry.set_status("worker1", "on_duty")
    await registry.report_position("worker1", *G01)
    await registry.set_status("worker1", "busy")
    statuses = [e[1]["status"] for e in await redis.xrange(keys.worker_track("worker1"))]
    assert statuses == ["on_duty", "busy"]
    await redis.hset(keys.worker("worker1"), "at", str(time.time() - 600))  # the phone went quiet long ago
    await registry.set_status("worker1", "off_duty")
    assert len(await redis.xrange(keys.worker_track("worker1"))) == 2


async def test_unknown_status_is_refused_naming_the_field(registry):
    with pytest.raises(Invalid) as err:
        await registry.set_status("worker1", "asleep")
    assert err.value.errors == [{"path": "status", "message": "one of on_duty, busy, off_duty"}]


async def place(registry, redis, name, lat, lon, status="on_duty", age=0.0):
    await registry.set_status(name, status if status != "off_duty" else "on_duty")
    await registry.report_position(name, lat, lon, at=time.time() - age)
    if status == "off_duty":
        await registry.set_status(name, "off_duty")


async def test_nearest_skips_a_stale_position_with_the_reason_and_widens_the_radius(registry, redis):
    await place(registry, redis, "worker5", 36.6475, 117.1031)          # ~90 m
    await place(registry, redis, "worker6", 36.6480, 117.1021, age=600)  # ~55 m, stale
    await place(registry, redis, "worker7", 36.6520, 117.1021)          # ~500 m
    await place(registry, redis, "worker8", 36.6600, 117.1021)          # ~1.4 km
    await place(registry, redis, "worker9", 36.6475, 117.1400, status="busy")
    out = await registry.nearest(*G01, event_grid="g01")
    assert [c["name"] for c in out["candidates"]] == ["worker5", "worker7", "worker8"]
    assert out["radius_m"] == 2000 and out["radii_tried"] == [500, 1000, 2000]
    assert out["candidates"][0]["distance_m"] == pytest.approx(89, abs=3)
    stale = next(s for s in out["skipped"] if s["name"] == "worker6")
    assert stale["reason"] == "stale" and stale["why"].startswith("position 10 min old")
    # worker1 looks after g01 but never reported: told, with the reason
    own = next(s for s in out["skipped"] if s["name"] == "worker1")
    assert own["own_grid"] is True and own["reason"] == "off_duty"
    assert "worker9" not in {s["name"] for s in out["skipped"]}  # busy and 3 km off: nothing to explain
    assert out["short"] is None


async def test_a_worker_in_a_call_is_not_proposed_until_the_call_ends(registry, redis):
    await place(registry, redis, "worker5", 36.6475, 117.1031)
    await registry.set_call("worker5", "call-42")
    out = await registry.nearest(*G01)
    assert out["candidates"] == []
    assert out["skipped"][0]["reason"] == "in_call"
    assert out["short"].startswith("Nobody available within 5 km: 1 in a call.")
    await registry.set_call("worker5", None)
    out = await registry.nearest(*G01)
    assert [c["name"] for c in out["candidates"]] == ["worker5"]
    assert out["short"].startswith("Only 1 available within 5 km (3 wanted)")


async def test_nearest_tells_the_nearest_available_worker_beyond_the_widest_radius(registry, redis):
    await place(registry, redis, "worker5", 36.7100, 117.1021)  # ~7 km north
    out = await registry.nearest(*G01)
    assert out["candidates"] == []
    assert out["skipped"][0]["name"] == "worker5" and out["skipped"][0]["reason"] == "outside_radius"
    assert "Nearest available further out: Grid worker Liu, 7 km away." in out["short"]


async def test_box_and_radius_queries_return_the_workers_inside(registry, redis):
    await place(registry, redis, "worker5", 36.6475, 117.1031)
    await place(registry, redis, "worker6", 36.6600, 117.1300)
    await place(registry, redis, "worker7", 36.7000, 117.2000, status="off_duty")
    inside = await registry.within_box(117.10, 36.64, 117.14, 36.67)
    assert {w["name"] for w in inside} == {"worker5", "worker6"}
    assert {w["name"] for w in await registry.within_box(117.10, 36.64, 117.11, 36.65)} == {"worker5"}
    near = await registry.within_radius(*G01, 500)
    assert [w["name"] for w in near] == ["worker5"] and near[0]["distance_m"] == pytest.approx(89, abs=3)
    assert {w["name"] for w in await registry.within_radius(*G01, 20_000)} == {"worker5", "worker6", "worker7"}
    with pytest.raises(Invalid):
        await registry.within_box(117.2, 36.6, 117.1, 36.7)


async def test_list_covers_every_worker_account_and_nobody_else(registry):
    names = [w.name for w in await registry.list()]
    assert names == sorted(u.name for u in CFG.users if u.role == "worker")
    assert await registry.get("operator1") is None
    w = await registry.get("worker1")
    assert (w.status, w.grids, w.display_name) == ("off_duty", ("g01", "g03"), "Grid worker Chen")


async def test_open_tasks_count_the_events_waiting_for_the_workers_step(redis):
    from backend.auth import Identity
    from backend.events.schemas import ReportIn

    events = EventService(redis, CFG, lambda: "/tmp")
    registry = WorkerRegistry(redis, CFG, events)
    resident = Identity("integration", "integration")
    operator = Identity("operator1", "operator")
    for _ in range(2):  # a resident's report in g01 goes to its worker for verification once accepted
        ev, _ = await events.report(ReportIn(channel="resident", description="garbage", category="0101",
                                             lat=G01[0], lon=G01[1]), resident)
        from backend.events.schemas import ActionIn

        await events.act(ev.id, "accept", ActionIn(), operator)
    await events.report(ReportIn(channel="resident", description="noise", category="0402", lat=G01[0], lon=G01[1]),
                        resident)  # not accepted yet: not the worker's step
    assert await registry.open_tasks(["worker1", "worker2"]) == {"worker1": 2, "worker2": 0}
