"""Information aggregation: the district's map as the centrepiece, with its counts (residents, buildings, city
components, grids, grid workers on duty, cameras online, events open)."""

from __future__ import annotations

from typing import Any

from ..events.vocab import OPEN
from ..workers.model import REPORTING
from .context import Sources
from .parts import figure, map_tile

CAMERA_KINDS = frozenset({"rtsp", "file", "pattern"})  # cameras (and their stand-ins), not other centres' feeds


async def build(src: Sources) -> dict[str, Any]:
    district = src.map.district
    buildings = district.layers["buildings"]["features"]
    residents = sum(int(f["properties"].get("residents") or 0) for f in buildings)
    workers = await src.workers.list()
    on_duty = sum(w.status in REPORTING for w in workers)
    states = await src.events.store.states_now()
    open_now = sum(n for s, n in states.items() if s in OPEN)
    cameras = [s.id for s in src.cfg.sources if s.kind in CAMERA_KINDS]
    health = (src.media_health() or {}).get("sources", {})
    # sources are pulled only while a window shows them (media/): the others are idle, not known to be down
    states = [(health.get(c) or {}) for c in cameras]
    online = sum(1 for h in states if h.get("state") == "live") if health else None
    idle = sum(1 for h in states if h.get("state") != "live" and not h.get("viewers"))
    lost = sum(1 for h in states if h.get("state") in ("lost", "stalled"))
    note = f"of {len(cameras)}" + (f", {idle} idle" if health and idle else "") + (f", {lost} lost" if lost else "")
    return {
        "figures": [
            figure("residents", "Residents", residents),
            figure("buildings", "Buildings", len(buildings)),
            figure("components", "City components", len(district.layers["components"]["features"])),
            figure("grids", "Grids", len(district.layers["grids"]["features"])),
            figure("workers_on_duty", "Grid workers on duty", on_duty, note=f"of {len(workers)}"),
            figure("cameras_online", "Cameras online", online, note=note,
                   tone=None if online is None else "bad" if lost else "good"),
            figure("events_open", "Events open", open_now),
        ],
        "tiles": [map_tile("map", "The district now: open events by countdown light, grid workers on duty",
                           events=True, workers=True, legend=True)],
    }
