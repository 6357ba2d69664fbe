"""Event lists through the filter indexes: every filter and their combinations give exactly the events a
full scan finds, with an exact total, after the events have moved round the loop; each reader sees only
their scope (grid workers their grids, departments their matters); the indexes are rebuilt when missing."""

from __future__ import annotations

import random
import time
from datetime import UTC
from types import SimpleNamespace

import pytest

from backend import appkeys, keys
from backend.auth import Identity
from backend.bench.lists import matches
from backend.errors import Invalid, NotFound
from backend.events import workflow as wf
from backend.events.schemas import ActionIn, EventsQuery, ReportIn
from backend.events.service import EventService
from backend.store import connect
from tests.events_support import CFG, make_client, tokens

DEPTS = [d.id for d in CFG.events.departments]
CENTRE = [Identity("operator1", "operator"), Identity("commander1", "commander")]


def scoped_cfg():
    """The demo configuration with one user per department and a second grid worker."""
    cfg = CFG.model_copy(deep=True)
    for d in cfg.events.departments:
        d.users = [f"u-{d.id}"]
    extra = [{"name": f"u-{d}", "role": "department", "password": "test-only-pw"} for d in DEPTS] + [
        {"name": "worker2", "role": "worker", "password": "test-only-pw"}]
    cfg.users = [*cfg.users, *(type(cfg.users[0]).model_validate(u) for u in extra)]
    return cfg


def centroids() -> dict[str, tuple[float, float]]:
    out = {}
    for f in CFG.events.grids_geojson["features"]:
        ring = f["geometry"]["coordinates"][0]
        xs, ys = [p[0] for p in ring[:-1]], [p[1] for p in ring[:-1]]
        out[f["properties"]["id"]] = (sum(ys) / len(ys), sum(xs) / len(xs))
    return out


@pytest.fixture
async def redis(redis_url):
    client = connect(redis_url)
    yield client
    await client.aclose()


async def populate(svc: EventService, rng: random.Random, n: int = 70) -> None:
    """Reports from every channel over the grids (and outside them), moved round the loop at random."""
    spots = [*list(centroids().values()), (36.9, 117.5)]
    cats = sorted(svc.taxonomy.categories)
    reporters = [Identity("worker1", "worker"), Identity("worker2", "worker"), Identity("integration", "integration"),
                 Identity("u-water", "department"), Identity("operator1", "operator")]
    channel_of = {"worker": "worker", "integration": "resident", "department": "department", "operator": "camera"}
    for i in range(n):
        who = rng.choice(reporters)
        lat, lon = rng.choice(spots)
        ev, _ = await svc.report(ReportIn(channel=channel_of[who.role], description=f"matter {i}",
                                          category=rng.choice(cats), lat=lat, lon=lon), who)
        for _ in range(rng.randrange(9)):
            cur = await svc.get(ev.id)
            loop = [a for a in wf.allowed_actions(cur.state) if a in (
                "accept", "register", "dispatch", "receive", "return", "verify", "feedback", "check_fail")]
            overlays = [a for a in wf.allowed_actions(cur.state) if a in ("supervise", "escalate", "set_urgency")]
            if not loop and not overlays:
                break
            if "return" in loop and rng.random() < 0.7:
                loop.remove("return")
            action = rng.choice(overlays if overlays and (not loop or rng.random() < 0.2) else loop)
            main = rng.choice(DEPTS)
            body = {"dispatch": ActionIn(department=main,
                                         co_handlers=rng.sample([d for d in DEPTS if d != main], rng.randrange(2))),
                    "return": ActionIn(note="not ours"), "supervise": ActionIn(note="press it"),
                    "verify": ActionIn(note="seen"), "feedback": ActionIn(result="done"),
                    "check_fail": ActionIn(note="still there"), "set_urgency": ActionIn(urgency="urgent"),
                    }.get(action, ActionIn())
            actor = {"verify": Identity("admin", "admin"), "check_fail": Identity("admin", "admin"),
                     "receive": Identity("admin", "admin"), "return": Identity("admin", "admin"),
                     "feedback": Identity("admin", "admin")}.get(action, Identity("commander1", "commander"))
            try:
                await svc.act(ev.id, action, body, actor)
            except Invalid:  # e.g. escalating past the district: the walk goes on
                pass
    # some go overdue (the timers flag them as the hall would, a day later)
    await svc.tick(time.time() + 86400)


def random_query(rng: random.Random, evs) -> EventsQuery:
    pick = rng.choice
    fields = {
        "state": lambda: pick([e.state for e in evs]), "channel": lambda: pick([e.channel for e in evs]),
        "category": lambda: pick([c for e in evs if e.category for c in (e.category, e.category[:2])]),
        "grid": lambda: pick(["g01", "g02", "g05", "c-harmony", "s-west", "s-east", "outside"]),
        "department": lambda: pick(DEPTS), "level": lambda: pick(["grid", "community", "street", "district"]),
        "overdue": lambda: pick([True, False]), "supervised": lambda: pick([True, False]),
        "open": lambda: pick([True, False]),
    }
    chosen = rng.sample(sorted(fields), rng.randrange(0, 4))
    q = {k: fields[k]() for k in chosen}
    if rng.random() < 0.3:
        times = sorted(e.reported_at for e in evs)
        a, b = sorted(rng.sample(times, 2))
        q["since"], q["until"] = _iso(a), _iso(b)
    return EventsQuery(**q, offset=rng.choice([0, 0, 3, 10]), limit=rng.choice([1, 5, 50]))


def _iso(ts: float) -> str:
    from datetime import datetime
    return datetime.fromtimestamp(ts, UTC).isoformat()


async def everything(svc: EventService):
    ids = await svc.redis.zrevrange(keys.EVENTS_INDEX, 0, -1)
    return await svc.store.get_many(ids)


async def check_queries(svc: EventService, rng: random.Random, rounds: int, who: Identity | None = None) -> int:
    evs = await everything(svc)
    nonempty = 0
    for _ in range(rounds):
        q = random_query(rng, evs)
        since = svc.parse_time(q.since, "since") if q.since else float("-inf")
        until = svc.parse_time(q.until, "until") if q.until else float("inf")
        want = [e.id for e in evs if matches(e, q) and since <= e.reported_at <= until
                and (who is None or svc.visible(e, who))]
        got, total = await svc.list(q, who)
        assert total == len(want), (q, total, len(want))
        assert [e.id for e in got] == want[q.offset:q.offset + q.limit], q
        nonempty += bool(want)
    return nonempty


async def test_every_filter_and_combination_matches_a_full_scan(redis):
    svc = EventService(redis, scoped_cfg())
    rng = random.Random(20261123)
    await populate(svc, rng)
    evs = await everything(svc)
    # the loop really moved them: the index has to follow departments, levels, flags and states
    assert {e.state for e in evs} >= {"reported", "to_register", "to_dispatch", "dispatched", "in_progress"}
    assert any(e.departments_tried and e.department is None for e in evs)  # returned: no longer the dept's
    assert any(e.overdue for e in evs) and any(e.supervised for e in evs) and any(e.outside_grid for e in evs)
    assert any(e.level != "grid" for e in evs)
    assert await check_queries(svc, rng, 300) > 150  # most queries found something: the test is not vacuous


async def test_each_reader_sees_only_their_scope_with_exact_totals(redis):
    svc = EventService(redis, scoped_cfg())
    rng = random.Random(7)
    await populate(svc, rng, 50)
    evs = await everything(svc)
    readers = [Identity("worker1", "worker"), Identity("worker2", "worker"), Identity("nobody-worker", "worker"),
               Identity("u-water", "department"), Identity("u-sanitation", "department"), *CENTRE]
    for who in readers:
        await check_queries(svc, rng, 40, who)
        everything_q = EventsQuery(limit=500)
        got, total = await svc.list(everything_q, who)
        seen = {e.id for e in got}
        assert total == len(seen)
        if who.role == "worker":
            mine = svc.grids_of_worker.get(who.name, frozenset())
            assert seen == {e.id for e in evs if e.grid in mine or e.reporter == who.name}
            assert all(e.grid in mine or e.reporter == who.name for e in got)
        elif who.role == "department":
            dept = who.name.removeprefix("u-")
            assert seen == {e.id for e in evs if dept in (e.department, *e.co_handlers, *e.departments_tried)
                            or e.reporter == who.name}
            assert 0 < len(seen) < len(evs)
        else:
            assert total == len(evs)
    # worker1 looks after g01 and g03; worker2 g02 and g04: disjoint, and neither sees everything
    w1 = {e.id for e in (await svc.list(EventsQuery(limit=500), readers[0]))[0]}
    w2 = {e.id for e in (await svc.list(EventsQuery(limit=500), readers[1]))[0]}
    assert w1 and w2 and len(w1 | w2) < len(evs)
    nobody, total = await svc.list(EventsQuery(limit=500), readers[2])
    assert nobody == [] and total == 0  # no grid, no reports: nothing
    other = next(e for e in evs if e.id not in w1)
    with pytest.raises(NotFound):
        await svc.get_for(other.id, readers[0])
    with pytest.raises(NotFound):  # nor may they act on it
        await svc.act(other.id, "escalate", ActionIn(), readers[0])


async def test_missing_or_outdated_indexes_are_rebuilt_at_start(redis):
    svc = EventService(redis, scoped_cfg())
    assert await svc.store.reindex() == 0  # at the first start: no events yet, the scheme is recorded
    rng = random.Random(3)
    await populate(svc, rng, 30)
    q = SimpleNamespace(state=None, channel="worker", category=None, grid=None, department=None, level=None,
                        overdue=None, supervised=None, since=None, until=None, offset=0, limit=500)
    before = [e.id for e in (await svc.list(q))[0]]
    assert before
    assert await svc.store.reindex() == 0  # up to date: the writes kept the indexes
    index_keys = [k async for k in redis.scan_iter(match=keys.events_by("*", "*"))]
    await redis.delete(*index_keys, keys.EVENTS_INDEX_VERSION)
    await redis.zadd(keys.events_by("channel", "carrier-pigeon"), {before[0]: 1.0})  # an old scheme's leftover
    assert (await svc.list(q))[1] == 0
    assert await svc.store.reindex() == 30
    assert [e.id for e in (await svc.list(q))[0]] == before
    assert not await redis.exists(keys.events_by("channel", "carrier-pigeon"))
    assert await check_queries(svc, rng, 60) > 20


@pytest.fixture
async def scoped_api(redis_url, tmp_path):
    """The real app on the scoped configuration, with every user's Authorization header."""
    cfg = scoped_cfg()
    api = await make_client(redis_url, tmp_path, cfg)
    yield api, await tokens(api, cfg)
    await api.close()


async def test_the_api_hides_other_grids_and_departments_matters(scoped_api):
    api, who = scoped_api
    g = centroids()
    async def call(method, path, user, body=None):
        resp = await api.request(method, path, json=body, headers=who[user])
        return resp.status, await resp.json()

    status, rep = await call("POST", "/api/events", "integration", {
        "channel": "resident", "description": "manhole cover missing", "category": "0101",
        "lat": g["g02"][0], "lon": g["g02"][1], "contact": "139-0000-0000"})
    assert status == 201
    eid = rep["event"]["id"]
    assert (await call("GET", f"/api/events/{eid}", "worker2"))[0] == 200  # g02 is worker2's
    for path in (f"/api/events/{eid}", f"/api/events/{eid}/audit"):
        status, body = await call("GET", path, "worker1")
        assert status == 404 and body["error"] == "not_found"
    assert (await call("POST", f"/api/events/{eid}/escalate", "worker1", {}))[0] == 404
    assert (await call("GET", "/api/events", "worker1"))[1]["total"] == 0
    assert (await call("GET", "/api/events", "worker2"))[1]["total"] == 1

    for step, user, body in (("accept", "operator1", {}), ("verify", "worker2", {"note": "seen"}),
                             ("register", "operator1", {}),
                             ("dispatch", "commander1", {"department": "water", "co_handlers": ["sanitation"]})):
        status, out = await call("POST", f"/api/events/{eid}/{step}", user, body)
        assert status == 200, out
    assert (await call("GET", f"/api/events/{eid}", "u-traffic-police"))[0] == 404
    for user in ("u-water", "u-sanitation"):
        status, out = await call("GET", f"/api/events/{eid}", user)
        assert status == 200 and out["event"]["contact"] == "139-0000-0000"  # to call the resident back
    status, listed = await call("GET", "/api/events?department=water", "u-water")
    assert listed["total"] == 1 and listed["events"][0]["id"] == eid
    assert (await call("GET", "/api/events?department=water", "u-traffic-police"))[1]["total"] == 0
    assert (await call("POST", f"/api/events/{eid}/return", "u-water", {"note": "a road matter"}))[0] == 200
    # returned: no longer water's to handle, but still in its history
    assert (await call("GET", "/api/events?department=water", "u-water"))[1]["total"] == 0
    assert (await call("GET", "/api/events", "u-water"))[1]["total"] == 1
    assert (await call("GET", "/api/events", "operator1"))[1]["total"] == 1


async def test_a_photo_is_seen_by_its_uploader_and_by_who_may_see_its_event(scoped_api):
    from tests.events_support import JPEG

    api, who = scoped_api
    g = centroids()

    async def photo_status(user: str, sha: str) -> int:
        return (await api.get(f"/api/events/photos/{sha}", headers=who[user])).status

    resp = await api.post("/api/events/photos", data=JPEG + b"worker2", headers={**who["worker2"],
                                                                              "Content-Type": "image/jpeg"})
    assert resp.status == 201
    sha = (await resp.json())["sha256"]
    assert await photo_status("worker2", sha) == 200  # the uploader, before any report shows it
    assert await photo_status("worker1", sha) == 404
    assert await photo_status("u-water", sha) == 404
    assert await photo_status("operator1", sha) == 200
    resp = await api.post("/api/events", json={"channel": "worker", "description": "pipe burst", "category": "0101",
                                               "lat": g["g02"][0], "lon": g["g02"][1], "photos": [sha]},
                          headers=who["worker2"])
    eid = (await resp.json())["event"]["id"]
    for step, user, body in (("accept", "operator1", {}), ("register", "operator1", {}),
                             ("dispatch", "commander1", {"department": "water"})):
        resp = await api.post(f"/api/events/{eid}/{step}", json=body, headers=who[user])
        assert resp.status == 200, await resp.text()
    assert await photo_status("u-water", sha) == 200  # now it shows an event of theirs
    assert await photo_status("u-traffic-police", sha) == 404
    assert await photo_status("worker1", sha) == 404

    # the references are rebuilt with the indexes, e.g. after an upgrade
    store = api.app[appkeys.EVENTS].store
    await store.redis.delete(keys.photo_refs(sha), keys.EVENTS_INDEX_VERSION)
    assert await photo_status("u-water", sha) == 404
    assert await store.reindex() == 1
    assert await photo_status("u-water", sha) == 200


async def test_needs_me_lists_what_waits_for_the_readers_step(redis):
    svc = EventService(redis, scoped_cfg())
    await populate(svc, random.Random(11), 60)
    evs = await everything(svc)
    for who in (Identity("worker1", "worker"), Identity("u-water", "department"), Identity("u-sanitation",
                                                                                           "department"),
                Identity("operator1", "operator"), Identity("commander1", "commander")):
        got, total = await svc.list(EventsQuery(needs_me=True, limit=500), who)
        loop_steps = [a for a in wf.MOVES]
        want = set()
        for e in evs:
            view = svc.view(e, who)
            if not svc.visible(e, who) or not any(a in loop_steps for a in view["actions"]):
                continue
            if who.role == "department" and e.department != who.name.removeprefix("u-"):
                continue
            want.add(e.id)
        assert {e.id for e in got} == want and total == len(want), who
    # the centre has something to do, and a department's steps show only on its own departments' events
    assert (await svc.list(EventsQuery(needs_me=True, limit=1), Identity("operator1", "operator")))[1] > 0
    other = next(e for e in evs if e.state == "dispatched" and e.department != "water")
    assert "receive" not in svc.view(other, Identity("u-water", "department"))["actions"]
    assert "receive" in svc.view(other, Identity(f"u-{other.department}", "department"))["actions"]
    assert "receive" in svc.view(other, "department")["actions"]  # by role alone (no user): the role's steps
