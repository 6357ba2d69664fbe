"""Grid workers on the map, read from the GEO set the workers' registry keeps (`hall:workers:geo`).

Until the registry (backend.workers) is part of the hall, this is the one place that reads it directly;
then `within` and `positions` ask `WorkerRegistry.within_box` / `within_radius` / `list` instead."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from .. import keys
from .district import District
from .index import Box, Shape, search


def grids_of(district: District) -> dict[str, list[str]]:
    """worker name -> the grids they work on (main worker or one of the grid's `workers`)."""
    out: dict[str, list[str]] = {}
    for gid, props in district.grid_props().items():
        for name in dict.fromkeys([props.get("worker"), *(props.get("workers") or [])]):
            if name:
                out.setdefault(name, []).append(gid)
    return out


async def _display_names(redis: aioredis.Redis, names: list[str]) -> dict[str, str]:
    async with redis.pipeline(transaction=False) as pipe:
        for n in names:
            pipe.hget(keys.user(n), "display_name")
        got = await pipe.execute()
    return {n: d or n for n, d in zip(names, got, strict=True)}


async def within(redis: aioredis.Redis, district: District, shape: Shape, registry: Any = None) -> list[dict]:
    """Workers whose last position is inside the shape, nearest its centre first."""
    if registry is not None:  # the workers' registry, once the hall has it
        if isinstance(shape, Box):
            found = await registry.within_box(shape.w, shape.s, shape.e, shape.n)
        else:
            found = await registry.within_radius(shape.lat, shape.lon, shape.radius_m)
        return [dict(w) for w in found]
    hits = await search(redis, keys.WORKERS_GEO, shape)
    names = await _display_names(redis, [h[0] for h in hits])
    grids = grids_of(district)
    return [{"name": n, "display_name": names[n], "lat": lat, "lon": lon, "distance_m": round(d, 1),
             "grids": grids.get(n, [])} for n, d, lat, lon in hits]


async def positions(redis: aioredis.Redis, district: District, registry: Any = None) -> list[dict]:
    """Every worker's last position (the map's live layer before the first `workers:positions` push)."""
    if registry is not None:
        return [w for w in await registry.list() if w.get("lat") is not None]
    _w, _s, _e, _n = district.bounds
    names = list(await redis.zrange(keys.WORKERS_GEO, 0, -1))
    if not names:
        return []
    pos = await redis.geopos(keys.WORKERS_GEO, *names)
    display = await _display_names(redis, names)
    grids = grids_of(district)
    return [{"name": n, "display_name": display[n], "lat": float(p[1]), "lon": float(p[0]),
             "grids": grids.get(n, [])} for n, p in zip(names, pos, strict=True) if p is not None]

