"""Events in Redis: each write is one Lua script that checks the expected version, writes the
document, appends the audit streams, moves the counters and timers, all or nothing.

The script's reply comes after Redis has written (and, with `appendfsync always`, fsynced)
the change, so a report is acknowledged only once it is durable.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from .. import keys, privacy
from .model import Event
from .vocab import OPEN
from .workflow import MOVES, ROLES_FOR, SYSTEM, Outcome

# state -> the roles with a step of the loop to take in it (overlays such as escalate do not count)
AWAITING: dict[str, frozenset[str]] = {}
for _action, _moves in MOVES.items():
    for _state in _moves:
        AWAITING[_state] = AWAITING.get(_state, frozenset()) | (ROLES_FOR[_action] - {SYSTEM})

AUDIT_MAXLEN = 1_000_000  # the global audit stream keeps about this many entries; per-event logs are whole

# One write, all or nothing. KEYS: 1 the event hash, then the idempotency key if ARGV[2] is '1', then every key
# the further commands touch (Redis Cluster routes a script by the keys it declares). ARGV: 1 expected version
# ('' = must not exist yet), 2 '1' if KEYS[2] is the idempotency key, 3 event id, 4 new version, 5 new state,
# 6 document JSON, 7 further commands (JSON list of [command, index in KEYS of its one key, arguments...]),
# 8 idempotency TTL seconds. Replies {1, version} written, {0, current version} stale, {2, event id} already
# reported.
_WRITE = """
local idem = nil
if ARGV[2] == '1' then
  idem = KEYS[2]
  local existing = redis.call('GET', idem)
  if existing then return {2, existing} end
end
local cur = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if cur then return {0, cur} end
elseif cur ~= ARGV[1] then
  return {0, cur or ''}
end
redis.call('HSET', KEYS[1], 'version', ARGV[4], 'state', ARGV[5], 'data', ARGV[6])
if idem then redis.call('SET', idem, ARGV[3], 'EX', ARGV[8]) end
for _, cmd in ipairs(cjson.decode(ARGV[7])) do
  cmd[2] = KEYS[cmd[2]]
  redis.call(unpack(cmd))
end
return {1, ARGV[4]}
"""

# Lease due timers: KEYS[1] = sorted set; ARGV 1 now, 2 lease end, 3 max. Items due are pushed to the
# lease end (so a crash mid-way hands them to a later poll) and returned.
_LEASE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return due
"""

# Remove a leased timer unless something rescheduled it meanwhile: KEYS[1] set, ARGV 1 id, 2 leased score.
_RELEASE = """
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end
return 0
"""


# An indexed list: KEYS are first the `n` keys every match is in (ANDed), then the keys of the reader's scope
# (a match must be in one of them). ARGV: 1 n, 2 min score, 3 max score, 4 offset, 5 limit.
# Replies {total matches, ids newest first of offset..offset+limit}. Reads only. The candidates come from
# whichever side is smaller: the intersection of the filters, or the union of the scope (a grid worker's
# few grids, not the whole district); the other side is probed per candidate.
_QUERY = """#!lua flags=no-writes
local n = tonumber(ARGV[1])
local lo, hi = tonumber(ARGV[2]), tonumber(ARGV[3])
local offset, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
if n == 1 and #KEYS == 1 then
  local ids = redis.call('ZRANGE', KEYS[1], ARGV[3], ARGV[2], 'BYSCORE', 'REV', 'LIMIT', offset, limit)
  return {redis.call('ZCOUNT', KEYS[1], ARGV[2], ARGV[3]), ids}
end
local function combine(op, first, last)
  if first == last then return redis.call('ZRANGE', KEYS[first], ARGV[2], ARGV[3], 'BYSCORE', 'WITHSCORES') end
  local args = {op, last - first + 1}
  for i = first, last do args[#args + 1] = KEYS[i] end
  args[#args + 1] = 'AGGREGATE'
  args[#args + 1] = 'MAX'
  args[#args + 1] = 'WITHSCORES'
  return redis.call(unpack(args))
end
local from_scope = false
if #KEYS > n then
  local smallest = nil
  for i = 1, n do
    local c = redis.call('ZCARD', KEYS[i])
    if not smallest or c < smallest then smallest = c end
  end
  local scope = 0
  for j = n + 1, #KEYS do scope = scope + redis.call('ZCARD', KEYS[j]) end
  from_scope = scope < smallest
end
local rows, pfirst, plast, need_all
if from_scope then
  rows, pfirst, plast, need_all = combine('ZUNION', n + 1, #KEYS), 1, n, true
else
  rows, pfirst, plast, need_all = combine('ZINTER', 1, n), n + 1, #KEYS, false
end
local total, out = 0, {}
for i = #rows - 1, 1, -2 do
  local id, score = rows[i], tonumber(rows[i + 1])
  if score >= lo and score <= hi then
    local ok = true
    if pfirst <= plast then
      if need_all then
        for j = pfirst, plast do
          if ok and not redis.call('ZSCORE', KEYS[j], id) then ok = false end
        end
      else
        ok = false
        for j = pfirst, plast do
          if not ok and redis.call('ZSCORE', KEYS[j], id) then ok = true end
        end
      end
    end
    if ok then
      if total >= offset and #out < limit then out[#out + 1] = id end
      total = total + 1
    end
  end
end
return {total, out}
"""

# Re-index one event if it is still at the version read: KEYS[1] the event hash, KEYS[2..n+1] its index keys,
# KEYS[n+2..] the reference sets of its photos; ARGV 1 version, 2 score (reported at), 3 event id, 4 n.
_REINDEX = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[4])
for i = 2, n + 1 do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
for i = n + 2, #KEYS do redis.call('SADD', KEYS[i], 'event:' .. ARGV[3]) end
return 1
"""
PARSE_INLINE = 500  # up to a page of a list (limit <= 500) is parsed on the loop; more goes to a thread
INDEX_VERSION = "3"  # bump when index_keys() changes: the hall rebuilds the indexes at start
_INF = 1e18


def index_keys(ev: Event) -> set[str]:
    """The filter indexes an event belongs to (besides the state and all-events indexes)."""
    by = keys.events_by
    out = {by("channel", ev.channel), by("level", ev.level), by("overdue", str(ev.overdue).lower()),
           by("supervised", str(ev.supervised).lower()), by("reporter", ev.reporter),
           by("open", str(ev.state in OPEN).lower())}
    out |= {by("awaits", role) for role in AWAITING.get(ev.state, ())}
    if ev.category:
        out |= {by("cat", ev.category), by("cat", ev.category[:2])}
    for area in (ev.grid, ev.community, ev.street):
        if area:
            out.add(by("area", area))
    if ev.outside_grid:
        out.add(by("area", "outside"))
    if ev.department:
        out.add(by("handler", ev.department))  # the main handling department alone: it takes the steps
    now = {d for d in [ev.department, *ev.co_handlers] if d}
    out |= {by("dept", d) for d in now}
    out |= {by("seen", d) for d in now | set(ev.departments_tried)}
    return out


class Stale(Exception):
    """The event changed since it was read (another writer won)."""


def idempotency_digest(reporter: str, key: str) -> str:
    return hashlib.sha256(f"{reporter}\0{key}".encode()).hexdigest()


def _s(v: Any) -> str:
    if isinstance(v, float):
        return repr(v)
    return str(v)


class EventStore:
    def __init__(self, redis: aioredis.Redis, tz: Any, idempotency_days: int = 30) -> None:
        self.redis = redis
        self.tz = tz
        self.idem_ttl = idempotency_days * 86400
        self._write = redis.register_script(_WRITE)
        self._lease = redis.register_script(_LEASE)
        self._release = redis.register_script(_RELEASE)
        self._query = redis.register_script(_QUERY)
        self._reindex = redis.register_script(_REINDEX)

    # -- days ---------------------------------------------------------------------
    def day(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.tz).date().isoformat()

    def hour(self, ts: float) -> int:
        return datetime.fromtimestamp(ts, self.tz).hour

    # -- reads ----------------------------------------------------------------------
    async def get(self, event_id: str) -> Event | None:
        raw = await self.redis.hget(keys.event(event_id), "data")
        return Event.model_validate_json(raw) if raw else None

    async def get_many(self, ids: list[str]) -> list[Event]:
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.hget(keys.event(i), "data")
            raws = await pipe.execute()
        if len(raws) > PARSE_INLINE:  # an export's thousands of documents: parsed off the event loop
            return await asyncio.to_thread(_parse_events, raws)
        return _parse_events(raws)

    async def duplicates(self, event_id: str) -> list[str]:
        return sorted(await self.redis.smembers(keys.event_duplicates(event_id)))

    async def note(self, event_id: str, audit: dict) -> None:
        """A record on the event's audit log that changes nothing of the event itself (a call made about it):
        appended to its own log and the archive's, at the event's current version."""
        version = int(await self.redis.hget(keys.event(event_id), "version") or 0)
        fields = _audit_entry(event_id, version, audit.get("at", time.time()), audit)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.execute_command("XADD", keys.event_audit(event_id), "*", *fields)
            pipe.execute_command("XADD", keys.EVENTS_AUDIT, "MAXLEN", "~", str(AUDIT_MAXLEN), "*", *fields)
            await pipe.execute()

    async def audit(self, event_id: str) -> list[dict]:
        entries = await self.redis.xrange(keys.event_audit(event_id))
        return [_audit_out(eid, fields) for eid, fields in entries]

    async def audit_all(self, start: str = "-", end: str = "+", count: int = 10_000) -> list[dict]:
        entries = await self.redis.xrange(keys.EVENTS_AUDIT, start, end, count=count)
        return await asyncio.to_thread(lambda: [_audit_out(eid, fields) for eid, fields in entries])

    async def ids(self, state: str | None, since: float | None, until: float | None, offset: int,
                  limit: int) -> list[str]:
        key = keys.events_in_state(state) if state else keys.EVENTS_INDEX
        return await self.redis.zrevrangebyscore(key, until if until is not None else "+inf",
                                                 since if since is not None else "-inf", start=offset, num=limit)

    async def photo_uploaded(self, sha: str, user: str) -> None:
        await self.redis.sadd(keys.photo_refs(sha), f"user:{user}")

    async def photo_refs(self, sha: str) -> set[str]:
        return set(await self.redis.smembers(keys.photo_refs(sha)))

    async def query(self, all_of: list[str], any_of: list[str] | None, since: float | None, until: float | None,
                    offset: int, limit: int) -> tuple[list[str], int]:
        """Ids (newest first) of the events in every key of `all_of` and, unless `any_of` is None, in
        one key of `any_of`, reported in [since, until]; and how many match in all. One round trip."""
        if any_of is not None and not any_of:
            return [], 0
        base = all_of or [keys.EVENTS_INDEX]
        res = await self._query(keys=[*base, *(any_of or [])], args=[
            len(base), _s(float(since)) if since is not None else _s(-_INF),
            _s(float(until)) if until is not None else _s(_INF), offset, limit])
        return [str(i) for i in res[1]], int(res[0])

    async def reindex(self) -> int:
        """Build the filter indexes of every event if the scheme changed (or never ran); how many events."""
        if await self.redis.get(keys.EVENTS_INDEX_VERSION) == INDEX_VERSION:
            return 0
        cursor, stale = 0, []
        while True:  # indexes of an older scheme go first
            cursor, found = await self.redis.scan(cursor, match=keys.events_by("*", "*"), count=1000)
            stale += found
            if cursor == 0:
                break
        for i in range(0, len(stale), 500):
            await self.redis.delete(*stale[i:i + 500])
        done = 0
        ids = await self.redis.zrange(keys.EVENTS_INDEX, 0, -1)
        for i in range(0, len(ids), 500):
            for ev in await self.get_many(ids[i:i + 500]):
                for _ in range(20):  # written meanwhile (another hall process): read it again
                    idx = sorted(index_keys(ev))
                    refs = [keys.photo_refs(p) for p in sorted(set(ev.photos) | set(ev.result_photos))]
                    if await self._reindex(keys=[keys.event(ev.id), *idx, *refs],
                                           args=[str(ev.version), _s(ev.reported_at), ev.id, len(idx)]):
                        done += 1
                        break
                    fresh = await self.get(ev.id)
                    if fresh is None:
                        break
                    ev = fresh
        await self.redis.set(keys.EVENTS_INDEX_VERSION, INDEX_VERSION)
        return done

    # -- writes -----------------------------------------------------------------------
    def _common(self, ev: Event, prev: Event | None, audit: dict, counts: Iterable[tuple[str, str, int]],
                timers: tuple[float | None, float | None], now: float) -> list[list[str]]:
        cohort = keys.event_stats(self.day(ev.reported_at))
        posts = keys.event_posts(self.day(now))
        before = prev.state if prev is not None else None
        cmds: list[list[str]] = []
        new_idx, old_idx = index_keys(ev), index_keys(prev) if prev is not None else set()
        cmds += [["ZREM", k, ev.id] for k in sorted(old_idx - new_idx)]
        cmds += [["ZADD", k, _s(ev.reported_at), ev.id] for k in sorted(new_idx - old_idx)]
        shown = set(ev.photos) | set(ev.result_photos)
        if prev is not None:
            shown -= set(prev.photos) | set(prev.result_photos)
        cmds += [["SADD", keys.photo_refs(p), f"event:{ev.id}"] for p in sorted(shown)]
        if before != ev.state:
            if before is not None:
                cmds += [["HINCRBY", keys.EVENTS_STATES, before, "-1"],
                         ["HINCRBY", cohort, f"state:{before}", "-1"],
                         ["ZREM", keys.events_in_state(before), ev.id]]
            cmds += [["HINCRBY", keys.EVENTS_STATES, ev.state, "1"],
                     ["HINCRBY", cohort, f"state:{ev.state}", "1"],
                     ["ZADD", keys.events_in_state(ev.state), _s(ev.reported_at), ev.id]]
        for scope, field, delta in counts:
            cmds.append(["HINCRBY", cohort if scope == "cohort" else posts, field, str(int(delta))])
        due, warn = timers
        for key, when in ((keys.EVENTS_DUE, due), (keys.EVENTS_WARN, warn)):
            cmds.append(["ZADD", key, _s(when), ev.id] if when is not None else ["ZREM", key, ev.id])
        fields = _audit_fields(ev, audit)
        cmds.append(["XADD", keys.event_audit(ev.id), "*", *fields])
        cmds.append(["XADD", keys.EVENTS_AUDIT, "MAXLEN", "~", str(AUDIT_MAXLEN), "*", *fields])
        return cmds

    async def create(self, ev: Event, idem_digest: str | None, audit: dict, counts: list[tuple[str, str, int]],
                     timers: tuple[float | None, float | None], now: float) -> tuple[str, bool]:
        """Write a new event; (id, True), or (first id, False) if this report was made before."""
        cohort = keys.event_stats(self.day(ev.reported_at))
        cmds = [["ZADD", keys.EVENTS_INDEX, _s(ev.reported_at), ev.id],
                ["ZINCRBY", keys.event_reporters(self.day(ev.reported_at)), "1",
                 privacy.reporter_member(ev.channel, ev.reporter, ev.contact)],
                ["HINCRBY", cohort, f"hour:{self.hour(ev.reported_at):02d}", "1"]]
        cmds += self._common(ev, None, audit, counts, timers, now)
        idem = keys.event_idempotency(idem_digest) if idem_digest else None
        res = await self._run_write(ev, idem, cmds, "", str(self.idem_ttl))
        code, value = int(res[0]), str(res[1])
        if code == 1:
            return ev.id, True
        if code == 2:
            return value, False
        raise Stale(f"event id {ev.id} exists")

    async def apply(self, out: Outcome, prev: Event, timers: tuple[float | None, float | None],
                    now: float, extra: list[list[str]] | None = None) -> None:
        """Write one transition, if the event is still at the version of `prev` (as read); else raise Stale."""
        ev = out.event
        cmds = self._common(ev, prev, out.audit, out.counts, timers, now) + (extra or [])
        res = await self._run_write(ev, None, cmds, str(prev.version), "0")
        if int(res[0]) != 1:
            raise Stale(f"event {ev.id} is at version {res[1]}, not {prev.version}")

    async def _run_write(self, ev: Event, idem: str | None, cmds: list[list[str]], expected: str,
                         ttl: str) -> list[Any]:
        """One `_WRITE`: every key the commands touch is declared in KEYS, each command naming its key by index."""
        declared = [keys.event(ev.id), *([idem] if idem else [])]
        index = {k: i + 1 for i, k in enumerate(declared)}
        indexed: list[list[str | int]] = []
        for name, key, *rest in cmds:
            if key not in index:
                declared.append(key)
                index[key] = len(declared)
            indexed.append([name, index[key], *rest])
        return await self._write(keys=declared, args=[expected, "1" if idem else "", ev.id, str(ev.version), ev.state,
                                                      ev.model_dump_json(), json.dumps(indexed), ttl])

    # -- timers -------------------------------------------------------------------------
    async def lease(self, key: str, now: float, lease_s: float = 30, max_items: int = 200) -> tuple[str, list[str]]:
        until = _s(float(now + lease_s))
        ids = await self._lease(keys=[key], args=[_s(now), until, str(max_items)])
        return until, list(ids)

    async def release(self, key: str, event_id: str, leased: str) -> None:
        await self._release(keys=[key], args=[event_id, leased])

    async def schedule(self, key: str, event_id: str, when: float) -> None:
        await self.redis.zadd(key, {event_id: when})

    # -- statistics ------------------------------------------------------------------------
    async def sums(self, days: list[date]) -> tuple[dict[str, int], dict[str, int], list[dict[str, int]]]:
        """(cohort counters summed, post counters summed, cohort counters per day) over the days."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for d in days:
                pipe.hgetall(keys.event_stats(d.isoformat()))
            for d in days:
                pipe.hgetall(keys.event_posts(d.isoformat()))
            raws = await pipe.execute()
        per_day = [{k: int(v) for k, v in r.items()} for r in raws[: len(days)]]
        cohort: dict[str, int] = {}
        for r in per_day:
            for k, v in r.items():
                cohort[k] = cohort.get(k, 0) + v
        posts: dict[str, int] = {}
        for r in raws[len(days):]:
            for k, v in r.items():
                posts[k] = posts.get(k, 0) + int(v)
        return cohort, posts, per_day

    async def states_now(self) -> dict[str, int]:
        return {k: int(v) for k, v in (await self.redis.hgetall(keys.EVENTS_STATES)).items() if int(v)}

    async def top_reporters(self, days: list[date], n: int = 10) -> list[tuple[str, float]]:
        """The `n` most frequent reporters of the days, as stored (privacy.py names them for each reader)."""
        ks = [keys.event_reporters(d.isoformat()) for d in days]
        if not ks:
            return []
        rows = await self.redis.zunion(ks, withscores=True)
        return sorted(rows, key=lambda r: (-r[1], r[0]))[:n]


def _parse_events(raws: list[str | None]) -> list[Event]:
    return [Event.model_validate_json(r) for r in raws if r]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _audit_fields(ev: Event, audit: dict) -> list[str]:
    return _audit_entry(ev.id, ev.version, audit.get("at", ev.updated_at), audit)


def _audit_entry(event_id: str, version: int, at: float, audit: dict) -> list[str]:
    base = {k: audit[k] for k in ("action", "by", "role", "from", "to") if k in audit}
    rest = {k: v for k, v in audit.items() if k not in base and k != "at"}
    out = ["event", event_id, "version", str(version), "at", _s(at)]
    for k, v in base.items():
        out += [k, str(v)]
    if rest:
        out += ["data", json.dumps(rest, ensure_ascii=False)]
    return out


def _audit_out(entry_id: str, fields: dict[str, str]) -> dict:
    out: dict[str, Any] = {"id": entry_id, **{k: v for k, v in fields.items() if k != "data"}}
    out["version"] = int(out.get("version", 0))
    out["at"] = float(out.get("at", 0))
    if "data" in fields:
        out.update(json.loads(fields["data"]))
    return out
