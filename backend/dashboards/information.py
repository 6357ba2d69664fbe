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
    online = sum(1 for c in cameras if (health.get(c) or {}).get("state") == "live") if health else None
    return {
        "figures": [
            figure("residents", "Residents", residents),
            figure("buildings", "Buildings", len(buildings)),
            figure("components", "City components", len(district.layers["components"]["features"])),
            figure("grids", "Grids", len(district.layers["grids"]["features"])),
            figure("workers_on_duty", "Grid workers on duty", on_duty, note=f"of {len(workers)}"),
            figure("cameras_online", "Cameras online", online, note=f"of {len(cameras)}",
                   tone=None if online is None else "good" if online == len(cameras) else "warn"),
            figure("events_open", "Events open", open_now),
        ],
        "tiles": [map_tile("map", "The district now: open events by countdown light, grid workers on duty",
                           events=True, workers=True, legend=True)],
    }
