"""Snapping a dragged window rectangle to screen edges (or the wall's grid) for the console."""

from __future__ import annotations

from layouts.geometry import Rect
from layouts.wall import Wall


def _snap_edge(value: int, edges: list[int], tolerance: int, grid: int | None) -> int:
    best: int | None = None
    for e in edges:
        d = abs(e - value)
        if d <= tolerance and (best is None or d < abs(best - value)):
            best = e
    if best is not None:
        return best
    if grid:
        return (2 * value + grid) // (2 * grid) * grid  # half-up, not banker's rounding
    return value


def snap_rect(wall: Wall, rect: Rect, tolerance_px: int = 16) -> Rect:
    """Snap each edge to the nearest screen active-area edge within tolerance, else to grid_px if set.

    An axis that would collapse to zero size keeps its original edges.
    """
    xs = sorted({e for s in wall.screens for e in (s.canvas.x, s.canvas.right)})
    ys = sorted({e for s in wall.screens for e in (s.canvas.y, s.canvas.bottom)})
    grid = wall.grid_px
    x0 = _snap_edge(rect.x, xs, tolerance_px, grid)
    x1 = _snap_edge(rect.right, xs, tolerance_px, grid)
    y0 = _snap_edge(rect.y, ys, tolerance_px, grid)
    y1 = _snap_edge(rect.bottom, ys, tolerance_px, grid)
    if x1 <= x0:
        x0, x1 = rect.x, max(rect.right, rect.x + 1)
    if y1 <= y0:
        y0, y1 = rect.y, max(rect.bottom, rect.y + 1)
    return Rect.from_edges(x0, y0, x1, y1)
