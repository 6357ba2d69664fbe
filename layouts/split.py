"""Quick splits: cut a region (screens or a rectangle) into a grid of video windows that snap to screens."""

from __future__ import annotations

import itertools
import re

from layouts.errors import FieldError, LayoutError
from layouts.geometry import Rect
from layouts.wall import Screen, Wall
from layouts.window import Layout, Window

QUICK_SPLITS = {1: 1, 4: 2, 9: 3, 16: 4}
MAX_SPLIT = 8
# Room for the "-<cell>" suffix within the 64-character window id limit.
_ID_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,56}")


def split_cells(region: Rect, rows: int, cols: int) -> list[Rect]:
    """Integer cells tiling region exactly, row-major; remainders are spread across the cells."""
    if rows < 1 or cols < 1:
        raise LayoutError([FieldError("rows" if rows < 1 else "cols", "must be at least 1")])
    xs = [region.x + (c * region.w) // cols for c in range(cols + 1)]
    ys = [region.y + (r * region.h) // rows for r in range(rows + 1)]
    return [Rect.from_edges(xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in range(rows) for c in range(cols)]


def _screen_grid(screens: list[Screen]) -> list[list[Screen]] | None:
    """The screens as rows of a full grid (same column/row bands everywhere), or None if they are not one."""
    if not screens:
        return None
    col_bands = sorted({(s.canvas.x, s.canvas.right) for s in screens})
    row_bands = sorted({(s.canvas.y, s.canvas.bottom) for s in screens})
    if len(col_bands) * len(row_bands) != len(screens):
        return None
    for bands in (col_bands, row_bands):
        if any(a[1] > b[0] for a, b in itertools.pairwise(bands)):
            return None
    at = {((s.canvas.y, s.canvas.bottom), (s.canvas.x, s.canvas.right)): s for s in screens}
    if len(at) != len(screens):
        return None
    return [[at[(rb, cb)] for cb in col_bands] for rb in row_bands]


def _grid_cells(region: Rect, screens: list[Screen] | None, rows: int, cols: int) -> list[Rect]:
    grid = _screen_grid(screens or [])
    if grid is None or rows % len(grid) or cols % len(grid[0]):
        return split_cells(region, rows, cols)
    # Snap: split each screen's active area so no cell straddles a bezel; keep global row-major order.
    sub_r, sub_c = rows // len(grid), cols // len(grid[0])
    per_screen = [[split_cells(s.canvas, sub_r, sub_c) for s in row] for row in grid]
    cells: list[Rect] = []
    for row in per_screen:
        for i in range(sub_r):
            for gc in range(len(row)):
                cells.extend(row[gc][i * sub_c : (i + 1) * sub_c])
    return cells


def quick_split(
    wall: Wall,
    *,
    screens: list[str] | None = None,
    rect: Rect | None = None,
    n: int | None = None,
    rows: int | None = None,
    cols: int | None = None,
    sources: list[str],
    id_prefix: str = "split",
) -> list[Window]:
    """Video windows for an n-way (1, 4, 9, 16) or rows x cols split of a region, sources in cell order.

    The region is rect or the bounding box of screens. When the region is a grid of screens and
    the cell grid is a multiple of it, cells are the screens' active areas split evenly.
    Cells beyond the last source get no window.
    """
    errors: list[FieldError] = []
    if n is not None:
        if rows is not None or cols is not None:
            errors.append(FieldError("n", "give n or rows and cols, not both"))
        elif n not in QUICK_SPLITS:
            errors.append(FieldError("n", f"must be one of 1, 4, 9, 16 (got {n})"))
        else:
            rows = cols = QUICK_SPLITS[n]
    elif rows is None and cols is None:
        errors.append(FieldError("n", "give n or rows and cols"))
    else:
        for field, v in (("rows", rows), ("cols", cols)):
            if v is None:
                errors.append(FieldError(field, "is required with a custom split"))
            elif not 1 <= v <= MAX_SPLIT:
                errors.append(FieldError(field, f"must be between 1 and {MAX_SPLIT} (got {v})"))
    if not _ID_PREFIX.fullmatch(id_prefix):
        errors.append(FieldError("id_prefix", "must be 1-56 characters of A-Z a-z 0-9 _ . : -"))

    region: Rect | None = None
    grid_screens: list[Screen] | None = None
    if screens is not None and rect is not None:
        errors.append(FieldError("rect", "give screens or rect, not both"))
    elif rect is not None:
        if rect.w <= 0 or rect.h <= 0:
            errors.append(FieldError("rect", f"must have a positive size (got {rect.w}x{rect.h})"))
        else:
            region = rect
            touched = wall.screens_in(rect)
            if all(rect.contains(s.canvas) for s in touched):
                grid_screens = touched
    elif screens:
        unknown = [i for i, sid in enumerate(screens) if not wall.has_screen(sid)]
        for i in unknown:
            errors.append(FieldError(f"screens[{i}]", f"unknown screen {screens[i]!r}"))
        if not unknown:
            grid_screens = [wall.screen(sid) for sid in dict.fromkeys(screens)]
            region = wall.region_rect(s.id for s in grid_screens)
    else:
        errors.append(FieldError("screens", "no region: give screens or rect"))
    if errors:
        raise LayoutError(errors)
    assert region is not None and rows is not None and cols is not None

    cells = _grid_cells(region, grid_screens, rows, cols)
    if any(c.is_empty for c in cells):
        raise LayoutError.single("n", f"the region ({region.w}x{region.h}) is too small for {rows}x{cols} cells")
    return [
        Window(id=f"{id_prefix}-{k + 1}", kind="video", rect=cell, source=source)
        for k, (cell, source) in enumerate(zip(cells, sources, strict=False))
    ]


def apply_split(wall: Wall, layout: Layout, windows: list[Window], region: Rect) -> Layout:
    """Replace the windows lying entirely inside region by windows, placed above every remaining one.

    The result has no scene (it is a manual change); clashing new ids get a numeric suffix.
    """
    kept = [w for w in layout.windows if not region.contains(w.rect)]
    return Layout(windows=kept, scene=None).stacked_on_top(windows)
