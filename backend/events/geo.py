"""Which grid a point lies in: point-in-polygon against the grids' GeoJSON (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class GeoError(ValueError):
    pass


Ring = list[tuple[float, float]]  # (lon, lat), as GeoJSON orders them


@dataclass(frozen=True)
class Grid:
    id: str
    name: str
    community: str | None
    street: str | None
    worker: str | None  # the grid's main worker
    polygons: tuple[tuple[Ring, ...], ...]  # each polygon: outer ring, then holes
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    workers: tuple[str, ...] = ()  # every worker of the grid, the main one first

    def contains(self, lat: float, lon: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        for rings in self.polygons:
            if _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole) for hole in rings[1:]):
                return True
        return False

    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the bounding box centre (for demo reports and map labels)."""
        x0, y0, x1, y1 = self.bbox
        return (y0 + y1) / 2, (x0 + x1) / 2


def _in_ring(x: float, y: float, ring: Ring) -> bool:
    """Even-odd ray casting; a point on an edge counts as inside."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        # on the edge?
        if min(xi, xj) <= x <= max(xi, xj) and min(yi, yj) <= y <= max(yi, yj):
            cross = (xj - xi) * (y - yi) - (yj - yi) * (x - xi)
            if abs(cross) < 1e-12:
                return True
        if (yi > y) != (yj > y):
            x_at = xi + (y - yi) * (xj - xi) / (yj - yi)
            if x < x_at:
                inside = not inside
        j = i
    return inside


def _ring(raw: Any, where: str) -> Ring:
    if not isinstance(raw, list) or len(raw) < 4:
        raise GeoError(f"{where}: a ring needs at least 4 positions")
    out: Ring = []
    for k, pos in enumerate(raw):
        if (not isinstance(pos, list) or len(pos) < 2 or not all(isinstance(c, (int, float)) for c in pos[:2])):
            raise GeoError(f"{where}[{k}]: a position is [lon, lat]")
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise GeoError(f"{where}[{k}]: [lon, lat] out of range")
        out.append((lon, lat))
    if out[0] != out[-1]:
        raise GeoError(f"{where}: a ring must end where it starts")
    return out


class GridIndex:
    """The grids of the district, found by point, and who looks after which (a grid's main `worker` and its
    `workers` list: a worker may have several grids, a grid several workers): the one place that reads it."""

    def __init__(self, grids: list[Grid]) -> None:
        self.grids = grids
        self.by_id = {g.id: g for g in grids}
        of_worker: dict[str, list[str]] = {}
        for g in grids:
            for name in g.workers:
                of_worker.setdefault(name, []).append(g.id)
        self._of_worker = {k: tuple(v) for k, v in of_worker.items()}

    def of_worker(self, name: str) -> tuple[str, ...]:
        """The grids `name` looks after, in the GeoJSON's order."""
        return self._of_worker.get(name, ())

    def workers_of(self, grid_id: str) -> tuple[str, ...]:
        """The workers of one grid, its main worker first."""
        g = self.by_id.get(grid_id)
        return g.workers if g is not None else ()

    @property
    def workers(self) -> dict[str, tuple[str, ...]]:
        """Every grid worker -> their grids."""
        return dict(self._of_worker)

    @classmethod
    def from_geojson(cls, data: Any) -> GridIndex:
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise GeoError("must be a GeoJSON FeatureCollection")
        features = data.get("features")
        if not isinstance(features, list):
            raise GeoError("features: must be a list")
        grids: list[Grid] = []
        seen: set[str] = set()
        for i, f in enumerate(features):
            where = f"features[{i}]"
            props = f.get("properties") if isinstance(f, dict) else None
            geom = f.get("geometry") if isinstance(f, dict) else None
            if not isinstance(props, dict) or not isinstance(props.get("id"), str) or not props["id"]:
                raise GeoError(f"{where}.properties.id: every grid needs a string id")
            gid = props["id"]
            if gid in seen:
                raise GeoError(f"{where}.properties.id: duplicate grid {gid!r}")
            seen.add(gid)
            if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
                raise GeoError(f"{where}.geometry: must be a Polygon or MultiPolygon")
            coords = geom.get("coordinates")
            if not isinstance(coords, list) or not coords:
                raise GeoError(f"{where}.geometry.coordinates: missing")
            polys_raw = [coords] if geom["type"] == "Polygon" else coords
            polys = []
            for p, rings in enumerate(polys_raw):
                if not isinstance(rings, list) or not rings:
                    raise GeoError(f"{where}.geometry.coordinates[{p}]: a polygon needs an outer ring")
                polys.append(tuple(_ring(r, f"{where}.geometry.coordinates[{p}][{k}]") for k, r in enumerate(rings)))
            pts = [pt for poly in polys for pt in poly[0]]
            bbox = (min(x for x, _ in pts), min(y for _, y in pts), max(x for x, _ in pts), max(y for _, y in pts))
            listed = props.get("workers")
            if listed is not None and not (isinstance(listed, list) and all(isinstance(n, str) for n in listed)):
                raise GeoError(f"{where}.properties.workers: a list of user names")
            names = tuple(n for n in dict.fromkeys([props.get("worker"), *(listed or [])]) if isinstance(n, str) and n)
            grids.append(Grid(gid, str(props.get("name") or gid), props.get("community"), props.get("street"),
                              props.get("worker"), tuple(polys), bbox, names))
        return cls(grids)

    def locate(self, lat: float, lon: float) -> Grid | None:
        """The grid holding the point; the first listed wins where grids overlap."""
        for g in self.grids:
            if g.contains(lat, lon):
                return g
        return None

    def area_ids(self) -> set[str]:
        out: set[str] = set()
        for g in self.grids:
            out.add(g.id)
            if g.community:
                out.add(g.community)
            if g.street:
                out.add(g.street)
        return out

