"""`hall bench lists`: event lists over a district's worth of events. Ours (the filter indexes: one
read-only script gives the page and the exact total) against the reference (a full scan: page through
every event newest first, read each document, filter it in Python), on the same store, the same
queries, in the same run; both must return the same page and total. Prints figures and one JSON line."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..auth import Identity
from ..config import HallConfig
from ..errors import HallError
from ..events import workflow as wf
from ..events.model import Event
from ..events.schemas import ActionIn, ReportIn
from ..events.service import EventService
from ..redis_server import EmbeddedRedis
from ..store import connect

FILTERS = ("state", "channel", "category", "grid", "department", "level", "overdue", "supervised")


def _q(**kw: Any) -> SimpleNamespace:
    base: dict[str, Any] = {f: None for f in FILTERS}
    base.update(since=None, until=None, offset=0, limit=50)
    base.update(kw)
    return SimpleNamespace(**base)


QUERIES: list[tuple[str, str, str, SimpleNamespace]] = [
    # (name, user, role, query)
    ("newest 50", "operator1", "operator", _q()),
    ("state=dispatched", "operator1", "operator", _q(state="dispatched")),
    ("channel=resident & class 01", "operator1", "operator", _q(channel="resident", category="01")),
    ("community & not overdue", "operator1", "operator", _q(grid="c-harmony", overdue=False)),
    ("department=sanitation", "operator1", "operator", _q(department="sanitation")),
    ("level=community, page 3", "commander1", "commander", _q(level="community", offset=100)),
    ("grid worker: newest 50", "worker1", "worker", _q()),
    ("grid worker: own reports", "worker1", "worker", _q(channel="worker")),
    ("department user: newest 50", "dept1", "department", _q()),
]


def matches(ev: Event, q: Any) -> bool:
    """The filters' meaning, as the reference applies them document by document (the tests' oracle too)."""
    return ((q.state is None or ev.state == q.state) and (q.channel is None or ev.channel == q.channel)
            and (q.category is None or (ev.category or "").startswith(q.category))
            and (q.grid is None or q.grid in (ev.grid, ev.community, ev.street)
                 or (q.grid == "outside" and ev.outside_grid))
            and (q.department is None or q.department == ev.department or q.department in ev.co_handlers)
            and (q.level is None or ev.level == q.level) and (q.overdue is None or ev.overdue == q.overdue)
            and (q.supervised is None or ev.supervised == q.supervised)
            and (getattr(q, "open", None) is None or (ev.state in wf.OPEN) == q.open))


async def reference_list(svc: EventService, q: SimpleNamespace, ident: Identity) -> tuple[list[str], int]:
    """The full scan: every event, newest first, 500 documents a round trip."""
    page, total, pos = [], 0, 0
    while True:
        ids = await svc.store.ids(None, None, None, pos, 500)
        if not ids:
            return page, total
        pos += len(ids)
        for ev in await svc.store.get_many(ids):
            if matches(ev, q) and svc.visible(ev, ident):
                if total >= q.offset and len(page) < q.limit:
                    page.append(ev.id)
                total += 1


async def populate(svc: EventService, n: int, seed: int) -> None:
    """n reports over the district's grids and classes, from every channel; most move on round the loop."""
    rng = random.Random(seed)
    grids = [g for g in svc.grids.grids]
    cats = sorted(svc.taxonomy.categories)
    depts = [d.id for d in svc.ecfg.departments]
    reporters = [(Identity("worker1", "worker"), "worker"), (Identity("integration", "integration"), "resident"),
                 (Identity("dept1", "department"), "department"), (Identity("operator1", "operator"), "camera")]
    op, cmd = Identity("operator1", "operator"), Identity("commander1", "commander")

    async def one(i: int) -> None:
        who, channel = rng.choice(reporters)
        g = rng.choice(grids)
        (x0, y0), (x1, y1) = g.bbox[:2], g.bbox[2:]
        lat, lon = rng.uniform(y0, y1), rng.uniform(x0, x1)
        ev, _ = await svc.report(ReportIn(channel=channel, description=f"matter {i}", category=rng.choice(cats),
                                          lat=lat, lon=lon), who)
        try:
            if rng.random() < 0.7 and channel in ("worker", "department"):
                await svc.act(ev.id, "accept", ActionIn(), op)
                await svc.act(ev.id, "register", ActionIn(), op)
                if rng.random() < 0.6:
                    await svc.act(ev.id, "dispatch", ActionIn(department=rng.choice(depts)), cmd)
                if rng.random() < 0.2:
                    await svc.act(ev.id, "escalate", ActionIn(), cmd)
        except HallError:
            pass  # e.g. the automatic transfer dispatched it already

    for start in range(0, n, 64):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + 64))))


async def run(cfg: HallConfig, n: int, repeat: int, seed: int = 1) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="hall-bench-lists-"))
    embedded = EmbeddedRedis(tmp)
    url = await asyncio.to_thread(embedded.start)
    redis = connect(url)
    try:
        svc = EventService(redis, cfg)
        await svc.store.reindex()
        t0 = time.perf_counter()
        await populate(svc, n, seed)
        fill_s = time.perf_counter() - t0
        rows = []
        for name, user, role, q in QUERIES:
            ident = Identity(user, role)
            ours_ms, ref_ms = [], []
            for _ in range(repeat):  # interleaved, so both see the same machine
                t = time.perf_counter()
                evs, total = await svc.list(q, ident)
                ours_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                ref_ids, ref_total = await reference_list(svc, q, ident)
                ref_ms.append((time.perf_counter() - t) * 1000)
            same = [e.id for e in evs] == ref_ids and total == ref_total
            o, r = statistics.median(ours_ms), statistics.median(ref_ms)
            rows.append({"query": name, "as": role, "matches": total, "ours_ms": round(o, 2),
                         "reference_ms": round(r, 2), "ratio": round(o / r, 4) if r else None, "same_answer": same})
    finally:
        await redis.aclose()
        await asyncio.to_thread(embedded.stop)
    return {"bench": "lists", "events": n, "fill_s": round(fill_s, 1), "repeat": repeat, "queries": rows}


def main(cfg: HallConfig, *, events: int, repeat: int) -> int:
    res = asyncio.run(run(cfg, events, repeat))
    print(f"event lists over {res['events']} events (filled in {res['fill_s']} s), median of {res['repeat']}; "
          f"ours = filter indexes, reference = full scan")
    print(f"  {'query':<30} {'as':<11} {'matches':>7} {'ours ms':>9} {'ref ms':>9} {'ours/ref':>9}  same")
    for r in res["queries"]:
        print(f"  {r['query']:<30} {r['as']:<11} {r['matches']:>7} {r['ours_ms']:>9} {r['reference_ms']:>9} "
              f"{r['ratio']:>9}  {'yes' if r['same_answer'] else 'NO'}")
    print(json.dumps(res))
    return 0 if all(r["same_answer"] for r in res["queries"]) else 1
