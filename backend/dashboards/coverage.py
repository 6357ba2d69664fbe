"""Today's patrol coverage of each grid from the workers' tracks: every grid cut into squares of a few tens of
metres; a square is covered once a track point lies in it (pure: the squares; Redis keeps the covered ones)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..events.geo import GridIndex

M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class PatrolSquares:
    """The district's squares: a flat frame from the grids' south-west corner, `cell_m` wide."""

    grids: GridIndex
    cell_m: float
    origin: tuple[float, float]  # (lat, lon) of the south-west corner
    m_per_deg_lon: float
    totals: dict[str, int]  # grid id -> squares whose centre lies in it

    @classmethod
    def of(cls, grids: GridIndex, cell_m: float) -> PatrolSquares:
        if not grids.grids:
            return cls(grids, cell_m, (0.0, 0.0), M_PER_DEG, {})
        lat0 = min(g.bbox[1] for g in grids.grids)
        lon0 = min(g.bbox[0] for g in grids.grids)
        lat1 = max(g.bbox[3] for g in grids.grids)
        mx = M_PER_DEG * math.cos(math.radians((lat0 + lat1) / 2))
        made = cls(grids, cell_m, (lat0, lon0), mx, {})
        for g in grids.grids:
            x0, y0, x1, y1 = g.bbox
            i0, j0 = made.square(y0, x0)
            i1, j1 = made.square(y1, x1)
            n = 0
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    lat, lon = made.centre(i, j)
                    if g.contains(lat, lon):
                        n += 1
            made.totals[g.id] = max(n, 1)
        return made

    def square(self, lat: float, lon: float) -> tuple[int, int]:
        """(column, row) of the square holding the point."""
        return (math.floor((lon - self.origin[1]) * self.m_per_deg_lon / self.cell_m),
                math.floor((lat - self.origin[0]) * M_PER_DEG / self.cell_m))

    def centre(self, i: int, j: int) -> tuple[float, float]:
        """(lat, lon) of a square's centre."""
        return (self.origin[0] + (j + 0.5) * self.cell_m / M_PER_DEG,
                self.origin[1] + (i + 0.5) * self.cell_m / self.m_per_deg_lon)

    def covered(self, lat: float, lon: float) -> tuple[str, str] | None:
        """(grid id, square name) a track point covers, or None outside the grids. The square counts for the grid
        its centre lies in (so squares on a boundary count once)."""
        i, j = self.square(lat, lon)
        clat, clon = self.centre(i, j)
        g = self.grids.locate(clat, clon)
        return (g.id, f"{i}:{j}") if g is not None else None

    def share(self, grid: str, covered: int) -> float:
        """Covered squares of a grid as a share of its squares (0..1)."""
        return min(1.0, covered / self.totals.get(grid, 1))
