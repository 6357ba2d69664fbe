"""Which grids each worker looks after, from the grids' GeoJSON: a grid's main `worker` and its `workers`
list (a worker may have several grids, a grid several workers); and which grid a point lies in (pure)."""

from __future__ import annotations

from typing import Any

from ..events.geo import Grid, GridIndex


class WorkerGrids:
    def __init__(self, geojson: dict[str, Any] | None) -> None:
        self.index = GridIndex.from_geojson(geojson) if geojson else GridIndex([])
        of_worker: dict[str, list[str]] = {}
        of_grid: dict[str, list[str]] = {}
        for f in (geojson or {}).get("features", []):
            props = f.get("properties") or {}
            gid = props.get("id")
            if not isinstance(gid, str):
                continue
            listed = props.get("workers")
            names = [props.get("worker"), *(listed if isinstance(listed, list) else [])]
            for name in names:
                if isinstance(name, str) and name and name not in of_grid.get(gid, []):
                    of_grid.setdefault(gid, []).append(name)
                    of_worker.setdefault(name, []).append(gid)
        self._of_worker = {k: tuple(v) for k, v in of_worker.items()}
        self._of_grid = {k: tuple(v) for k, v in of_grid.items()}

    def of_worker(self, name: str) -> tuple[str, ...]:
        """The grids `name` looks after, in the GeoJSON's order."""
        return self._of_worker.get(name, ())

    def workers_of(self, grid: str) -> tuple[str, ...]:
        """The workers of one grid, its main worker first."""
        return self._of_grid.get(grid, ())

    def locate(self, lat: float, lon: float) -> str | None:
        g = self.index.locate(lat, lon)
        return g.id if g else None

    def grid(self, grid_id: str) -> Grid | None:
        return self.index.by_id.get(grid_id)
