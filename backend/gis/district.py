"""The district's map as the hall serves it: every layer as GeoJSON (grids, water, roads, areas, buildings,
components, places and the cameras of the configuration), the map's settings, and each feature's position."""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass
from typing import Any

from ..config import HallConfig
from ..events.geo import GridIndex

# The layers in drawing order (bottom first); `cameras` come from the sources' lat/lon.
LAYER_NAMES: tuple[str, ...] = ("grids", "water", "areas", "roads", "buildings", "components", "places", "cameras")
# Layers whose features are points on the map's GEO indexes (areas and buildings by their centre).
INDEXED: tuple[str, ...] = ("cameras", "components", "buildings", "areas", "places")

COMPONENT_KINDS = {  # kind -> what the map's legend calls it
    "street_light": "Street light", "manhole": "Manhole cover", "hydrant": "Fire hydrant", "bus_stop": "Bus stop",
    "trash_station": "Refuse collection point", "traffic_signal": "Traffic signal",
    "flood_gauge": "Flood water-level gauge",
}

M_PER_DEG = 111_320.0


def metres(lat0: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude near `lat0` (small areas: a flat local frame)."""
    return M_PER_DEG * math.cos(math.radians(lat0)), M_PER_DEG


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    mx, my = metres((lat1 + lat2) / 2)
    return math.hypot((lon2 - lon1) * mx, (lat2 - lat1) * my)


def _positions(geom: dict[str, Any]) -> list[list[float]]:
    kind, coords = geom["type"], geom["coordinates"]
    if kind == "Point":
        return [coords]
    if kind == "LineString":
        return coords
    if kind in ("MultiLineString", "Polygon"):
        return [p for part in coords for p in part]
    return [p for poly in coords for ring in poly for p in ring]


def centre(geom: dict[str, Any]) -> tuple[float, float]:
    """(lon, lat): a point's own, else the middle of the outer ring's vertices (the generator's rectangles)."""
    if geom["type"] == "Point":
        return float(geom["coordinates"][0]), float(geom["coordinates"][1])
    ring = geom["coordinates"][0] if geom["type"] == "Polygon" else _positions(geom)
    pts = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def bbox(collections: list[dict[str, Any]]) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []
    for fc in collections:
        for f in fc.get("features", []):
            for p in _positions(f["geometry"]):
                xs.append(p[0])
                ys.append(p[1])
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


@dataclass(frozen=True)
class Item:
    """One indexed feature: its layer, id, position and properties (as served)."""
    layer: str
    id: str
    lon: float
    lat: float
    props: dict[str, Any]


class District:
    """The map of the district, built once from the configuration (pure: no I/O after construction)."""

    def __init__(self, cfg: HallConfig) -> None:
        self.cfg = cfg
        gis = cfg.gis
        grids = cfg.events.grids_geojson or {"type": "FeatureCollection", "features": []}
        self.grid_index = GridIndex.from_geojson(grids)
        street_of = {g.id: g.street for g in self.grid_index.grids}
        self.layers: dict[str, dict[str, Any]] = {"grids": grids}
        for name in LAYER_NAMES[1:-1]:
            self.layers[name] = gis.layers.get(name) or {"type": "FeatureCollection", "features": []}
        if gis.pilot_street:
            for f in self.layers["buildings"]["features"]:
                f["properties"]["pilot"] = street_of.get(f["properties"].get("grid") or "") == gis.pilot_street
        self.layers["cameras"] = {"type": "FeatureCollection", "name": "Cameras", "features": [
            {"type": "Feature", "properties": {"id": s.id, "name": s.name, "group": s.group, "kind": s.kind},
             "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]}}
            for s in cfg.sources if s.lat is not None and s.lon is not None]}
        self.bounds = bbox(list(self.layers.values())) or (116.0, 39.0, 117.0, 40.0)
        self.items: dict[str, dict[str, Item]] = {}
        for name in INDEXED:
            self.items[name] = {}
            for f in self.layers[name]["features"]:
                lon, lat = centre(f["geometry"])
                fid = f["properties"]["id"]
                self.items[name][fid] = Item(name, fid, lon, lat, f["properties"])
        self._json: dict[str, bytes] = {}

    def settings(self) -> dict[str, Any]:
        """What a page needs to draw the map: bounds, base tiles, 3D, layers and legends."""
        gis = self.cfg.gis
        w, s, e, n = self.bounds
        kinds = sorted({f["properties"].get("kind") for f in self.layers["components"]["features"]} - {None})
        return {"district": self.cfg.district, "bounds": [w, s, e, n], "centre": [(w + e) / 2, (s + n) / 2],
                "tiles": gis.tiles_url(), "tiles_attribution": gis.tiles_attribution, "pilot_street": gis.pilot_street,
                "wall_pitch": gis.wall_pitch, "heat_days": gis.heat_days, "layers": list(LAYER_NAMES),
                "component_kinds": {k: COMPONENT_KINDS.get(k, k.replace("_", " ").capitalize()) for k in kinds},
                "counts": {name: len(fc["features"]) for name, fc in self.layers.items()}}

    async def layer_json(self, name: str) -> bytes:
        """A layer as JSON bytes, serialised once off the event loop (the buildings are a few hundred KB)."""
        if name not in self._json:
            self._json[name] = await asyncio.to_thread(
                lambda: json.dumps(self.layers[name], separators=(",", ":"), ensure_ascii=False).encode())
        return self._json[name]

    def grid_props(self) -> dict[str, dict[str, Any]]:
        return {f["properties"]["id"]: f["properties"] for f in self.layers["grids"]["features"]}
