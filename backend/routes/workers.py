"""Grid workers' REST API: the live list, one worker, their patrol track, duty from the field page, and the
nearest available workers of an event or a place (for the centre, and names only for other systems)."""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .. import appkeys, roles
from ..auth import Identity
from ..errors import Forbidden, Invalid, NotFound
from ..workers.model import outside_view
from ..workers.registry import WorkerRegistry
from ..workers.schemas import (
    DutyIn,
    NearestEventQuery,
    NearestOut,
    NearestQuery,
    TrackOut,
    TrackQuery,
    WorkerOut,
    WorkersOut,
)
from . import api

TAG = "workers"


def _reg(request: web.Request) -> WorkerRegistry:
    return request.app[appkeys.WORKERS]


async def _one(request: web.Request, name: str) -> dict[str, Any]:
    reg = _reg(request)
    w = await reg.get(name)
    if w is None:
        raise NotFound(f"no worker {name!r}")
    tasks = await reg.open_tasks([name])
    return {**reg.view(w), "open_tasks": tasks.get(name)}


def _own_or_centre(ident: Identity, name: str) -> None:
    if ident.role not in roles.WORKERS_SEE and ident.name != name:
        raise Forbidden("a grid worker sees only their own position and track")


@api.route("GET", "/api/workers", summary="Every grid worker live: status, position and its age, grids, call, open "
           "tasks (personal data: the centre only)", roles=roles.WORKERS_SEE, response=WorkersOut, tag=TAG)
async def list_workers(request: web.Request, ident: Identity) -> dict:
    reg = _reg(request)
    workers = await reg.list()
    tasks = await reg.open_tasks([w.name for w in workers])
    now = time.time()
    return {"workers": [{**reg.view(w, now), "open_tasks": tasks.get(w.name)} for w in workers],
            "stale_after_s": reg.cfg.stale_after_s, "at": now}


@api.route("GET", "/api/workers/me", summary="The calling grid worker's own live state", roles=roles.PATROL,
           response=WorkerOut, tag=TAG, errors=(404,))
async def worker_me(request: web.Request, ident: Identity) -> dict:
    return await _one(request, ident.name)


@api.route("POST", "/api/workers/me/duty", summary="Go on duty, busy or off duty (as the field page's `duty` "
           "message does)", roles=roles.PATROL, body=DutyIn, response=WorkerOut, tag=TAG)
async def worker_duty(request: web.Request, ident: Identity, body: DutyIn) -> dict:
    await _reg(request).set_status(ident.name, body.status)
    return await _one(request, ident.name)


def _answer(ident: Identity, answer: dict[str, Any]) -> dict[str, Any]:
    """The centre sees where everyone is; other systems who, how far and in what status."""
    if ident.role in roles.WORKERS_SEE:
        return answer
    return {**answer, "candidates": [outside_view(c) for c in answer["candidates"]],
            "skipped": [outside_view(s) for s in answer["skipped"]]}


@api.route("GET", "/api/workers/nearest", summary="The nearest available grid workers of a place, the radius "
           "widened in steps; who was skipped and why; what is short (other systems: names, distance, status)",
           roles=roles.NEAREST_WORKERS, query=NearestQuery, response=NearestOut, tag=TAG)
async def nearest_workers(request: web.Request, ident: Identity, query: NearestQuery) -> dict:
    answer = await _reg(request).nearest(query.lat, query.lon, event_grid=query.grid, limit=query.limit)
    return _answer(ident, answer)


@api.route("GET", "/api/events/{id}/nearest-workers", summary="The nearest available grid workers of an event "
           "(its own grid's workers marked), as GET /api/workers/nearest", roles=roles.NEAREST_WORKERS,
           query=NearestEventQuery, response=NearestOut, tag=TAG, errors=(404,))
async def event_nearest_workers(request: web.Request, ident: Identity, query: NearestEventQuery) -> dict:
    ev = await request.app[appkeys.EVENTS].get_for(request.match_info["id"], ident)
    if ev.lat is None or ev.lon is None:
        raise Invalid("the event has no place", errors=[{"path": "id", "message": f"event {ev.id} has no lat/lon"}])
    answer = await _reg(request).nearest(ev.lat, ev.lon, event_grid=ev.grid, limit=query.limit)
    return _answer(ident, {**answer, "event": ev.id})


@api.route("GET", "/api/workers/{name}", summary="One grid worker live (a worker: only themself)",
           roles=roles.TRACK_READ, response=WorkerOut, tag=TAG, errors=(404,))
async def get_worker(request: web.Request, ident: Identity) -> dict:
    name = request.match_info["name"]
    found = await _one(request, name)
    _own_or_centre(ident, name)
    return found


@api.route("GET", "/api/workers/{name}/track", summary="A worker's patrol track between two times, oldest first "
           "(default: today); a worker: only their own", roles=roles.TRACK_READ, query=TrackQuery,
           response=TrackOut, tag=TAG, errors=(404,))
async def worker_track(request: web.Request, ident: Identity, query: TrackQuery) -> web.Response:
    name = request.match_info["name"]
    reg = _reg(request)
    if await reg.get(name) is None:
        raise NotFound(f"no worker {name!r}")
    _own_or_centre(ident, name)
    tz = request.app[appkeys.CONFIG].display.timezone
    now = time.time()
    since = _when(query.since, "since", tz) if query.since else _midnight(now, tz)
    until = _when(query.until, "until", tz, end=True) if query.until else now
    if until <= since:
        raise Invalid("empty period", errors=[{"path": "until", "message": "must be after since"}])
    found = await reg.track(name, since, until)
    body = {"name": name, "since": since, "until": until, **found}
    # a month of a worker's patrol is tens of thousands of points: made into JSON off the event loop
    return web.json_response(text=await asyncio.to_thread(json.dumps, body))


def _midnight(now: float, tz: str) -> float:
    local = datetime.fromtimestamp(now, ZoneInfo(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _when(text: str, path: str, tz: str, end: bool = False) -> float:
    """Epoch seconds from an ISO date (its start, or with `end` its end), an ISO date-time (district time
    unless it names its zone) or a number of epoch seconds."""
    bad = Invalid("bad time", errors=[{"path": path, "message": "an ISO date or date-time, or epoch seconds"}])
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise bad
        return seconds
    zone = ZoneInfo(tz)
    try:
        if len(text) == 10:
            d = date.fromisoformat(text) + (timedelta(days=1) if end else timedelta(0))
            return datetime.combine(d, datetime.min.time(), zone).timestamp()
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise bad from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=zone)).timestamp()
