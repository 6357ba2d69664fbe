"""The grid workers' live registry in Redis: duty status, last position (GEO set and a hash per worker),
the patrol track (a stream per worker, trimmed to the retention), calls, and the geo queries on them."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from .. import keys
from ..config import HallConfig
from ..errors import Conflict, Invalid
from ..events.geo import GridIndex
from ..roles import Role
from .model import REPORTING, STATUSES, GridWorker, Status, distance_m
from .nearest import select

if TYPE_CHECKING:
    from ..events.service import EventService

log = logging.getLogger("hall.workers")

Hook = Callable[[str, GridWorker], Awaitable[None]]  # (what changed: position | status | call, the worker now)
OPEN_TASKS_READ = 5_000  # events waiting for a worker read at most to count tasks (a normal day has tens)
TRACK_MAX_POINTS = 20_000  # one answer of GET .../track at most (a day's patrol is about 2,000)
WORLD_M = 20_040_000  # half the earth's circumference: a radius that holds every position
_PEOPLE_TTL = 10.0  # seconds the worker accounts (names, display names) are cached
# list[...] spelled before the class, whose `list()` method would shadow the builtin in its annotations
Names = list[str]
Workers = list[GridWorker]
Hits = list[tuple[str, float]]
Views = list[dict[str, Any]]


class WorkerRegistry:
    """Every worker's live state. `hooks` hear each change (the consoles' positions push, the field page's
    duty push); `events` (optional) counts each worker's open tasks."""

    def __init__(self, redis: aioredis.Redis, cfg: HallConfig, events: EventService | None = None) -> None:
        self.redis = redis
        self.cfg = cfg.workers
        self.events = events
        self.grids = (events.grids if events is not None else
                      GridIndex.from_geojson(cfg.events.grids_geojson) if cfg.events.grids_geojson else GridIndex([]))
        self.hooks: list[Hook] = []
        self._report = redis.register_script(_REPORT)
        self._status = redis.register_script(_STATUS)
        self._people: dict[str, str] = {}
        self._people_at = -math.inf

    # -- who the workers are ----------------------------------------------------------------------
    async def people(self, refresh: bool = False) -> dict[str, str]:
        """Worker accounts (role worker) -> display name; cached for a few seconds."""
        if refresh or time.monotonic() - self._people_at > _PEOPLE_TTL:
            names = sorted(await self.redis.smembers(keys.USERS))
            async with self.redis.pipeline(transaction=False) as pipe:
                for n in names:
                    pipe.hmget(keys.user(n), "role", "display_name")
                rows = await pipe.execute()
            self._people = {n: (dn or n) for n, (role, dn) in zip(names, rows, strict=True) if role == Role.WORKER}
            self._people_at = time.monotonic()
        return self._people

    async def _load(self, names: Names) -> Workers:
        people = await self.people()
        if any(n not in people for n in names):  # an account made since the cache was read
            people = await self.people(refresh=True)
        async with self.redis.pipeline(transaction=False) as pipe:
            for n in names:
                pipe.hgetall(keys.worker(n))
            rows = await pipe.execute()
        return [GridWorker.from_hash(n, people.get(n, n), h, self.grids.of_worker(n))
                for n, h in zip(names, rows, strict=True)]

    async def _one(self, name: str) -> GridWorker:
        return (await self._load([name]))[0]

    async def _emit(self, what: str, w: GridWorker) -> None:
        for hook in self.hooks:
            try:
                await hook(what, w)
            except Exception:  # a broken listener must not undo an accepted report
                log.exception("worker hook failed", extra={"change": what})

    # -- writes -----------------------------------------------------------------------------------
    async def report_position(self, name: str, lat: float, lon: float, accuracy: float | None = None,
                              at: float | None = None) -> GridWorker:
        """A position from a worker's phone: the live position (unless an earlier report was newer) and a
        point of the track. Refused (409) while the worker is off duty."""
        now = time.time()
        retention_s = self.cfg.track_retention_days * 86400
        at = now if at is None else min(at, now)  # a phone clock running ahead is taken as now
        if at < now - retention_s:
            raise Invalid("position too old", errors=[{"path": "at", "message": "older than the track retention"}])
        located = self.grids.locate(lat, lon)
        grid = located.id if located is not None else ""
        status, kept = await self._report(
            keys=[keys.worker(name), keys.WORKERS_GEO, keys.WORKERS_SEEN, keys.worker_track(name)],
            args=[name, repr(lat), repr(lon), repr(at), "" if accuracy is None else repr(accuracy), grid,
                  str(int((now - retention_s) * 1000)), str(math.ceil(retention_s)),
                  str(math.ceil(retention_s / self.cfg.report_every_s))])
        if status not in REPORTING:
            raise Conflict("you are off duty: go on duty to report your position", duty=status)
        w = await self._one(name)
        if kept == "live":
            await self._emit("position", w)
        return w

    async def set_status(self, name: str, status: str) -> GridWorker:
        """On duty, busy or off duty; the change is a point of the track where the worker was last seen
        (if that position is still fresh)."""
        if status not in STATUSES:
            raise Invalid("unknown status", errors=[{"path": "status", "message": f"one of {', '.join(STATUSES)}"}])
        now = time.time()
        retention_s = self.cfg.track_retention_days * 86400
        previous = await self._status(keys=[keys.worker(name), keys.worker_track(name)],
                                      args=[status, repr(now), repr(now - self.cfg.stale_after_s),
                                            str(int((now - retention_s) * 1000)), str(math.ceil(retention_s))])
        w = await self._one(name)
        if previous != status:
            log.info("worker status", extra={"worker": name, "from": previous, "to": status})
            await self._emit("status", w)
        return w

    async def set_call(self, name: str, call_id: str | None, *, ending: str | None = None) -> GridWorker:
        """The call a worker is in (None: none); a worker in a call is not proposed for another. Taking a call
        is atomic: Conflict if they are in another one already (two commanders' phones answered at once).
        `ending`: clear it only if it is still that call."""
        if call_id:
            if not await self.redis.hsetnx(keys.worker(name), "call", call_id):
                current = await self.redis.hget(keys.worker(name), "call")
                if current != call_id:
                    raise Conflict(f"{name} is in another call")
        elif ending is None or await self.redis.hget(keys.worker(name), "call") == ending:
            await self.redis.hdel(keys.worker(name), "call")
        w = await self._one(name)
        await self._emit("call", w)
        return w

    # -- reads ------------------------------------------------------------------------------------
    async def get(self, name: str) -> GridWorker | None:
        """One worker (None when `name` is no worker account)."""
        if name not in await self.people() and name not in await self.people(refresh=True):  # made since read
            return None
        return await self._one(name)

    async def list(self) -> Workers:
        """Every worker account, by name."""
        return await self._load(sorted(await self.people()))

    def view(self, w: GridWorker, now: float | None = None) -> dict[str, Any]:
        return w.view(time.time() if now is None else now, self.cfg.stale_after_s)

    async def open_tasks(self, names: Names) -> dict[str, int]:
        """How many open events wait for each worker's step among those they see (what their field page lists
        as theirs): the few events waiting for any worker, read once, shared out by the events' own scope."""
        if self.events is None:
            return {}
        by = keys.events_by
        ids, _ = await self.events.store.query([by("open", "true"), by("awaits", Role.WORKER)], None, None, None, 0,
                                               OPEN_TASKS_READ)
        wanted = set(names)
        seers: dict[str, set[str]] = {}  # grid -> the workers who see its events
        for n, grids in self.events.grids_of_worker.items():
            for g in grids:
                seers.setdefault(g, set()).add(n)
        out = dict.fromkeys(names, 0)
        for ev in await self.events.store.get_many(ids):
            for n in (seers.get(ev.grid or "", set()) | {ev.reporter}) & wanted:
                out[n] += 1
        return out

    async def track(self, name: str, since: float, until: float,
                    max_points: int = TRACK_MAX_POINTS) -> dict[str, Any]:
        """The track between two times: {points: [{lat, lon, at, status}], truncated} (oldest first)."""
        rows = await self.redis.xrange(keys.worker_track(name), min=str(max(0, int(since * 1000))),
                                       max=str(max(0, int(until * 1000))), count=max_points + 1)
        points = []
        for _, f in rows[:max_points]:
            try:
                points.append({"lat": float(f["lat"]), "lon": float(f["lon"]), "at": float(f["at"]),
                               "status": f.get("status", "")})
            except (KeyError, ValueError):
                continue
        points.sort(key=lambda p: p["at"])  # a late report (phone offline for a while) joins in its place
        return {"points": points, "truncated": len(rows) > max_points}

    async def _search(self, lat: float, lon: float, *, radius: float | None = None,
                      box: tuple[float, float] | None = None, count: int | None = None) -> Hits:
        hits = await self.redis.geosearch(keys.WORKERS_GEO, longitude=lon, latitude=lat, unit="m", radius=radius,
                                          width=box[0] if box else None, height=box[1] if box else None,
                                          sort="ASC", count=count, withdist=True)
        return [(str(n), float(d)) for n, d in hits]

    async def nearest(self, lat: float, lon: float, *, event_grid: str | None = None,
                      limit: int | None = None) -> dict[str, Any]:
        """Available workers by distance (GEOSEARCH), the radius widened in the configured steps; who was
        skipped and why; `short` says what is missing when too few fit."""
        steps = self.cfg.nearest.radius_steps_m
        limit = limit or self.cfg.nearest.limit
        dist: dict[str, float] = dict(await self._search(lat, lon, radius=steps[-1]))
        # the nearest beyond the widest radius, told when too few fit inside
        for n, d in await self._search(lat, lon, radius=WORLD_M, count=len(dist) + limit):
            dist.setdefault(n, d)
        people = await self.people()
        names = [n for n in dist if n in people]
        own = [n for n in (self.grids.workers_of(event_grid) if event_grid else ()) if n in people and n not in dist]
        workers = await self._load(names + own)
        # the event grid's own workers further out than the searches reached: their distance from their hash
        seen = [(w, dist[w.name] if w.name in dist else distance_m(lat, lon, w.lat, w.lon)
                 if w.lat is not None and w.lon is not None else None) for w in workers]
        out = select(seen, now=time.time(), cfg=self.cfg.nearest, stale_after_s=self.cfg.stale_after_s,
                     event_grid=event_grid, limit=limit)
        return {"lat": lat, "lon": lon, "event_grid": event_grid, **out}

    async def within_radius(self, lat: float, lon: float, m: float) -> Views:
        """Workers whose last position lies within `m` metres, nearest first, with `distance_m` (personal data:
        for roles.WORKERS_SEE)."""
        hits = await self._search(lat, lon, radius=m)
        now = time.time()
        return [{**self.view(w, now), "distance_m": round(d)}
                for w, (_, d) in zip(await self._load([n for n, _ in hits]), hits, strict=True)]

    async def within_box(self, w: float, s: float, e: float, n: float) -> Views:
        """Workers whose last position lies in the box west, south, east, north (degrees; personal data: for
        roles.WORKERS_SEE)."""
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise Invalid("bad box", errors=[{"path": "box", "message": "west < east and south < north, in degrees"}])
        clat, clon = (s + n) / 2, (w + e) / 2
        # Redis measures a point's east-west distance from the centre along its own latitude: the box is
        # widest at the latitude nearest the equator; the exact filter below trims the corners
        widest = 0.0 if s <= 0 <= n else min(s, n, key=abs)
        width = 2 * distance_m(widest, clon, widest, w) * 1.01
        height = distance_m(s, clon, n, clon) * 1.01
        hits = await self._search(clat, clon, box=(width, height))
        found = await self._load([name for name, _ in hits])
        now = time.time()
        return [self.view(x, now) for x in found
                if x.lat is not None and x.lon is not None and s <= x.lat <= n and w <= x.lon <= e]


# KEYS: the worker's hash, the GEO set, the last-seen set, the track stream.
# ARGV: name, lat, lon, at, accuracy, grid, the oldest stream id kept (ms), retention s, most points kept.
# Returns {status, "live" | "track" | "refused"}: an off-duty worker's report is refused; a report older
# than the live position only joins the track.
_REPORT = """
local status = redis.call('HGET', KEYS[1], 'status') or 'off_duty'
if status ~= 'on_duty' and status ~= 'busy' then return {status, 'refused'} end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 'lat', ARGV[2], 'lon', ARGV[3], 'at', ARGV[4],
           'status', status)
redis.call('XTRIM', KEYS[4], 'MINID', ARGV[7])
redis.call('EXPIRE', KEYS[4], ARGV[8])
local last = tonumber(redis.call('HGET', KEYS[1], 'at') or '0') or 0
if tonumber(ARGV[4]) < last then return {status, 'track'} end
redis.call('HSET', KEYS[1], 'lat', ARGV[2], 'lon', ARGV[3], 'at', ARGV[4], 'accuracy', ARGV[5], 'grid', ARGV[6])
redis.call('GEOADD', KEYS[2], ARGV[3], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return {status, 'live'}
"""

# KEYS: the worker's hash, the track stream. ARGV: status, now, fresh since (epoch s), oldest id kept (ms),
# retention s. Returns the status before.
_STATUS = """
local before = redis.call('HGET', KEYS[1], 'status') or 'off_duty'
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'status_at', ARGV[2])
if before ~= ARGV[1] then
  local pos = redis.call('HMGET', KEYS[1], 'lat', 'lon', 'at')
  if pos[1] and pos[3] and tonumber(pos[3]) >= tonumber(ARGV[3]) then
    redis.call('XADD', KEYS[2], 'MINID', ARGV[4], '*', 'lat', pos[1], 'lon', pos[2], 'at', ARGV[2],
               'status', ARGV[1])
    redis.call('EXPIRE', KEYS[2], ARGV[5])
  end
end
return before
"""

__all__ = ["Status", "WorkerRegistry"]
