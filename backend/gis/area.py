"""What is inside an area around an event (a box or a radius): the resources to handle it (grid workers,
cameras, city components) and what it affects (residential buildings and residents, earlier events)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .. import keys
from .index import Shape, search

KEEP = {
    "cameras": ("id", "name", "group", "kind"),
    "components": ("id", "kind", "name", "state", "department", "road", "grid"),
    "buildings": ("id", "name", "use", "floors", "height", "households", "residents", "grid", "area"),
    "areas": ("id", "name", "kind", "residents", "households", "buildings", "grid"),
}


async def features_in(svc: Any, layer: str, shape: Shape) -> list[dict]:
    """The layer's features inside the shape (from its GEO index), nearest the centre first."""
    items = svc.district.items[layer]
    out = []
    for fid, dist, _lat, _lon in await search(svc.redis, keys.gis_geo(layer), shape):
        item = items.get(fid)
        if item is None:  # indexed by another version of the district: not ours to show
            continue
        props = {k: item.props.get(k) for k in KEEP[layer]}
        out.append({**props, "lat": item.lat, "lon": item.lon, "distance_m": round(dist, 1)})
    return out


async def area_report(svc: Any, shape: Shape, *, since: float, until: float, limit: int,
                      show_workers: bool, exclude: str | None = None, reader: Any = None) -> dict:
    """The whole answer of GET /api/gis/area (see docs/api.md)."""
    cams = await features_in(svc, "cameras", shape)
    comps = await features_in(svc, "components", shape)
    blds = await features_in(svc, "buildings", shape)
    areas = await features_in(svc, "areas", shape)
    residential = [b for b in blds if b.get("use") == "residential"]
    out: dict[str, Any] = {
        "shape": shape.describe(),
        "cameras": {"total": len(cams), "items": cams[:limit]},
        "components": {"total": len(comps), "by_kind": dict(Counter(c["kind"] for c in comps).most_common()),
                       "damaged": sum(1 for c in comps if c.get("state") not in (None, "ok")), "items": comps[:limit]},
        "buildings": {"total": len(blds), "residential": len(residential),
                      "households": sum(b.get("households") or 0 for b in residential),
                      "residents": sum(b.get("residents") or 0 for b in residential), "items": blds[:limit]},
        "areas": {"total": len(areas), "residential": sum(1 for a in areas if a.get("kind") == "residential"),
                  "items": areas[:limit]},
        "events": await svc.events_in(shape, since, until, limit, exclude, reader),
    }
    if show_workers:
        workers = await svc.workers_within(shape)
        out["workers"] = {"total": len(workers), "items": workers[:limit], "shown": True}
    else:  # positions of people are for the centre's roles only
        out["workers"] = {"total": None, "items": [], "shown": False}
    return out
