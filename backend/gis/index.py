"""The map's Redis GEO indexes: the district's point features (cameras, components, buildings, areas, places)
and every event with a place, searched by box or radius with GEOSEARCH."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

import redis.asyncio as aioredis

from .. import keys
from .district import INDEXED, District, metres

log = logging.getLogger("hall.gis")

CHUNK = 500


@dataclass(frozen=True)
class Box:
    w: float
    s: float
    e: float
    n: float

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon)"""
        return (self.s + self.n) / 2, (self.w + self.e) / 2

    def contains(self, lat: float, lon: float) -> bool:
        return self.w <= lon <= self.e and self.s <= lat <= self.n

    def describe(self) -> dict:
        return {"kind": "box", "w": self.w, "s": self.s, "e": self.e, "n": self.n}


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius_m: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.lat, self.lon

    def describe(self) -> dict:
        return {"kind": "radius", "lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}


Shape = Box | Circle


def geosearch_args(key: str, shape: Shape) -> list:
    """GEOSEARCH arguments (with distance and position, nearest first) covering the shape. A box is searched
    a little wider than asked (Redis measures boxes in metres around the centre) and then cut exactly."""
    if isinstance(shape, Circle):
        return ["GEOSEARCH", key, "FROMLONLAT", shape.lon, shape.lat, "BYRADIUS", shape.radius_m, "m",
                "ASC", "WITHCOORD", "WITHDIST"]
    lat, lon = shape.centre
    mx, my = metres(max(abs(shape.s), abs(shape.n)))  # the narrow side of the box
    width = (shape.e - shape.w) * mx * 1.02 + 2
    height = (shape.n - shape.s) * my * 1.02 + 2
    return ["GEOSEARCH", key, "FROMLONLAT", lon, lat, "BYBOX", width, height, "m", "ASC", "WITHCOORD", "WITHDIST"]


async def search(redis: aioredis.Redis, key: str, shape: Shape) -> list[tuple[str, float, float, float]]:
    """(member, distance from the shape's centre in m, lat, lon) inside the shape, nearest first."""
    raw = await redis.execute_command(*geosearch_args(key, shape))
    out = []
    for member, dist, (lon, lat) in raw:
        name = member.decode() if isinstance(member, bytes) else str(member)
        lat, lon = float(lat), float(lon)
        if isinstance(shape, Box) and not shape.contains(lat, lon):
            continue
        out.append((name, float(dist), lat, lon))
    return out


def _digest(district: District, layer: str) -> str:
    h = hashlib.sha256()
    for item in sorted(district.items[layer].values(), key=lambda i: i.id):
        h.update(f"{item.id}|{item.lon:.7f}|{item.lat:.7f}\n".encode())
    return h.hexdigest()[:16]


async def index_district(redis: aioredis.Redis, district: District) -> dict[str, int]:
    """Write each layer's GEO set when what it holds changed (a new district or camera positions); atomic per
    layer, so a search never sees a half-written layer. Returns the layers written with their sizes."""
    written: dict[str, int] = {}
    stored = await redis.hgetall(keys.GIS_INDEXED)
    for layer in INDEXED:
        digest = _digest(district, layer)
        if stored.get(layer) == digest:
            continue
        items = list(district.items[layer].values())
        async with redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.gis_geo(layer))
            for i in range(0, len(items), CHUNK):
                flat: list = []
                for it in items[i:i + CHUNK]:
                    flat += [it.lon, it.lat, it.id]
                pipe.execute_command("GEOADD", keys.gis_geo(layer), *flat)
            pipe.hset(keys.GIS_INDEXED, layer, digest)
            await pipe.execute()
        written[layer] = len(items)
    return written


async def index_event(redis: aioredis.Redis, event_id: str, lat: float | None, lon: float | None) -> None:
    if lat is None or lon is None or not (-85 < lat < 85) or not math.isfinite(lon):
        return
    await redis.execute_command("GEOADD", keys.gis_geo("events"), lon, lat, event_id)


async def backfill_events(redis: aioredis.Redis, get_many) -> int:
    """Put the events reported since the last backfill into the events' GEO set (a start-up task; new events
    are added as they are reported). `get_many(ids)` loads events."""
    through = float(await redis.get(keys.GIS_EVENTS_THROUGH) or 0)
    added = 0
    start = f"({through!r}" if through else "-inf"
    while True:
        rows = await redis.zrangebyscore(keys.EVENTS_INDEX, start, "+inf", start=0, num=CHUNK, withscores=True)
        if not rows:
            break
        events = await get_many([r[0].decode() if isinstance(r[0], bytes) else r[0] for r in rows])
        flat: list = []
        for ev in events:
            if ev.lat is not None and ev.lon is not None:
                flat += [ev.lon, ev.lat, ev.id]
        if flat:
            await redis.execute_command("GEOADD", keys.gis_geo("events"), *flat)
            added += len(flat) // 3
        last = rows[-1][1]
        await redis.set(keys.GIS_EVENTS_THROUGH, repr(last))
        start = f"({last!r}"
        if len(rows) < CHUNK:
            break
    return added
