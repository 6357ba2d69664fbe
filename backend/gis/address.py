"""An address for a point: the nearest building within a radius, else the compound (residential area, school,
market...) it is in, else the nearest named place within the radius, else its grid (pure, in memory).

Used for the events' `place` (the console's address column) and GET /api/gis/place; a lookup touches only
the buildings of the few cells around the point, so it is cheap enough for every row of a list."""

from __future__ import annotations

import itertools
import math
from typing import Any

from .district import District, metres


class PlaceFinder:
    def __init__(self, district: District, radius_m: float) -> None:
        self.district = district
        self.radius = radius_m
        _w, s, _e, n = district.bounds
        self.lat0 = (s + n) / 2
        self.mx, self.my = metres(self.lat0)
        self.cell = max(radius_m, 100.0)
        # building footprints in the local metric frame, bucketed by cell
        self.cells: dict[tuple[int, int], list[tuple[dict[str, Any], list[tuple[float, float]]]]] = {}
        for f in district.layers["buildings"]["features"]:
            geom = f["geometry"]
            if geom["type"] != "Polygon":
                continue
            ring = [self._xy(p[0], p[1]) for p in geom["coordinates"][0]]
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            for cx in range(self._c(min(xs)), self._c(max(xs)) + 1):
                for cy in range(self._c(min(ys)), self._c(max(ys)) + 1):
                    self.cells.setdefault((cx, cy), []).append((f["properties"], ring))
        # a few dozen compounds and named places: looked through whole
        self.areas = []  # (properties, ring, its bounding box)
        for f in district.layers["areas"]["features"]:
            if f["geometry"]["type"] == "Polygon":
                ring = [self._xy(p[0], p[1]) for p in f["geometry"]["coordinates"][0]]
                xs, ys = [p[0] for p in ring], [p[1] for p in ring]
                self.areas.append((f["properties"], ring, (min(xs), min(ys), max(xs), max(ys))))
        self.places = [(f["properties"], self._xy(*f["geometry"]["coordinates"][:2]))
                       for f in district.layers["places"]["features"] if f["geometry"]["type"] == "Point"]

    def _xy(self, lon: float, lat: float) -> tuple[float, float]:
        return lon * self.mx, (lat - self.lat0) * self.my

    def _c(self, v: float) -> int:
        return math.floor(v / self.cell)

    def nearest_building(self, lat: float, lon: float) -> tuple[dict[str, Any], float] | None:
        """The building (its properties) nearest the point within the radius, with the distance (0 inside)."""
        x, y = self._xy(lon, lat)
        best: tuple[dict[str, Any], float] | None = None
        seen: set[int] = set()
        for cx in range(self._c(x - self.radius), self._c(x + self.radius) + 1):
            for cy in range(self._c(y - self.radius), self._c(y + self.radius) + 1):
                for props, ring in self.cells.get((cx, cy), ()):
                    if id(props) in seen:
                        continue
                    seen.add(id(props))
                    d = _distance_to_ring(x, y, ring)
                    if d <= self.radius and (best is None or d < best[1]):
                        best = (props, d)
        return best

    def place(self, lat: float | None, lon: float | None) -> str | None:
        """"Sunshine community, building 3" near a building; else "Harmony grid 1"; None outside the map."""
        if lat is None or lon is None:
            return None
        near = self.nearest_building(lat, lon)
        if near is not None:
            return str(near[0].get("name") or near[0]["id"])
        x, y = self._xy(lon, lat)
        for props, ring, (x0, y0, x1, y1) in self.areas:
            if x0 <= x <= x1 and y0 <= y <= y1 and _distance_to_ring(x, y, ring) == 0:
                return str(props.get("name") or props["id"])
        nearest = min(((math.hypot(px - x, py - y), props) for props, (px, py) in self.places),
                      default=None, key=lambda t: t[0])
        if nearest is not None and nearest[0] <= self.radius:
            return f"near {nearest[1].get('name') or nearest[1]['id']}"
        grid = self.district.grid_index.locate(lat, lon)
        return grid.name if grid else None

    def describe(self, lat: float, lon: float) -> dict[str, Any]:
        near = self.nearest_building(lat, lon)
        grid = self.district.grid_index.locate(lat, lon)
        return {"place": self.place(lat, lon),
                "building": ({**near[0], "distance_m": round(near[1], 1)} if near else None),
                "grid": ({"id": grid.id, "name": grid.name, "community": grid.community, "street": grid.street,
                          "worker": grid.worker} if grid else None)}


def _distance_to_ring(x: float, y: float, ring: list[tuple[float, float]]) -> float:
    inside = False
    best = math.inf
    for (ax, ay), (bx, by) in itertools.pairwise(ring):
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            inside = not inside
        dx, dy = bx - ax, by - ay
        t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(x - (ax + t * dx), y - (ay + t * dy)))
    return 0.0 if inside else best
