"""The render plan: for every screen, the visible window parts (content crop -> screen pixels).

Occlusion is resolved on the canvas, so every visible screen pixel belongs to exactly one part.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from layouts.geometry import Rect
from layouts.wall import Screen, Wall
from layouts.window import Fit, Layout, WindowKind

_Edges = tuple[int, int, int, int]  # x0, y0, x1, y1 (half-open)


class RenderPart(BaseModel):
    """One visible piece of a window on one screen.

    ``crop`` is (x0, y0, x1, y1) as fractions of the window's content, so the compositor maps it
    onto any source resolution; ``screen_rect`` is in the screen's own pixels; ``window_size`` is the
    whole window's (width, height) on the canvas, whose pixels are square (a screen's may not be), so
    the compositor keeps a source's proportions by it.
    """

    model_config = ConfigDict(frozen=True)

    window_id: str
    kind: WindowKind
    source: str | None = None
    panel: str | None = None
    crop: tuple[float, float, float, float]
    screen_rect: Rect
    z: int
    fit: Fit = "contain"  # how the source fills its window (layouts.window.Fit); the compositor applies it
    window_size: tuple[int, int] | None = None  # None (a part made by hand): the window as this screen draws it


class ScreenPlan(BaseModel):
    """What one screen draws: disjoint parts, listed bottom to top."""

    screen_id: str
    resolution: tuple[int, int]
    parts: list[RenderPart] = []


class RenderPlan(BaseModel):
    """The plan for the whole wall, one ScreenPlan per screen (screens with nothing on them included)."""

    screens: dict[str, ScreenPlan] = {}

    def for_screen(self, id: str) -> ScreenPlan:
        """The plan of one screen (KeyError if the wall has no such screen)."""
        try:
            return self.screens[id]
        except KeyError:
            raise KeyError(f"unknown screen {id!r}") from None


def screen_pixel_mapping(screen: Screen) -> tuple[Callable[[int], int], Callable[[int], int]]:
    """The monotone canvas->screen pixel maps (x, y) of a screen; parts tiling on the canvas tile on the screen."""
    c = screen.canvas
    res_w, res_h = screen.resolution
    cw, ch = c.w, c.h

    def map_x(cx: int) -> int:
        return ((cx - c.x) * res_w * 2 + cw) // (2 * cw)

    def map_y(cy: int) -> int:
        return ((cy - c.y) * res_h * 2 + ch) // (2 * ch)

    return map_x, map_y


def _cut(u: _Edges, x0: int, y0: int, x1: int, y1: int, visible: list[_Edges], rest: list[_Edges]) -> None:
    """Split uncovered rect u by window edges: the covered part to visible, the remainder to rest."""
    ux0, uy0, ux1, uy1 = u
    ix0, iy0 = max(ux0, x0), max(uy0, y0)
    ix1, iy1 = min(ux1, x1), min(uy1, y1)
    if ix0 >= ix1 or iy0 >= iy1:
        rest.append(u)
        return
    visible.append((ix0, iy0, ix1, iy1))
    if iy0 > uy0:
        rest.append((ux0, uy0, ux1, iy0))
    if iy1 < uy1:
        rest.append((ux0, iy1, ux1, uy1))
    if ix0 > ux0:
        rest.append((ux0, iy0, ix0, iy1))
    if ix1 < ux1:
        rest.append((ix1, iy0, ux1, iy1))


def _merge(pieces: list[_Edges]) -> list[_Edges]:
    """Join pieces that share a whole edge, so the compositor blits fewer rectangles."""
    pieces = list(pieces)
    merged = True
    while merged and len(pieces) > 1:
        merged = False
        for i in range(len(pieces)):
            a = pieces[i]
            for j in range(i + 1, len(pieces)):
                b = pieces[j]
                joined: _Edges | None = None
                if a[1] == b[1] and a[3] == b[3] and (a[2] == b[0] or b[2] == a[0]):
                    joined = (min(a[0], b[0]), a[1], max(a[2], b[2]), a[3])
                elif a[0] == b[0] and a[2] == b[2] and (a[3] == b[1] or b[3] == a[1]):
                    joined = (a[0], min(a[1], b[1]), a[2], max(a[3], b[3]))
                if joined is not None:
                    pieces[i] = joined
                    del pieces[j]
                    merged = True
                    break
            if merged:
                break
    return pieces


def render_plan(wall: Wall, layout: Layout) -> RenderPlan:
    """Compute every screen's visible parts; higher z is on top, then later in the list."""
    windows = layout.windows
    top_down = sorted(range(len(windows)), key=lambda i: (windows[i].z, i), reverse=True)
    stack = []
    for i in top_down:
        r = windows[i].rect
        if r.w > 0 and r.h > 0:
            stack.append((i, (r.x, r.y, r.x + r.w, r.y + r.h)))

    plans: dict[str, ScreenPlan] = {}
    for screen in wall.screens:
        sc = screen.canvas
        sx0, sy0, sx1, sy1 = sc.x, sc.y, sc.right, sc.bottom
        map_x, map_y = screen_pixel_mapping(screen)
        uncovered: list[_Edges] = [(sx0, sy0, sx1, sy1)]
        layers: list[list[RenderPart]] = []
        for i, (x0, y0, x1, y1) in stack:
            if x0 >= sx1 or x1 <= sx0 or y0 >= sy1 or y1 <= sy0:
                continue
            visible: list[_Edges] = []
            rest: list[_Edges] = []
            for u in uncovered:
                _cut(u, x0, y0, x1, y1, visible, rest)
            uncovered = rest
            if visible:
                w = windows[i]
                ww, wh = x1 - x0, y1 - y0
                parts = []
                for px0, py0, px1, py1 in sorted(_merge(visible), key=lambda e: (e[1], e[0])):
                    qx0, qx1, qy0, qy1 = map_x(px0), map_x(px1), map_y(py0), map_y(py1)
                    if qx1 <= qx0 or qy1 <= qy0:
                        continue
                    parts.append(
                        RenderPart(
                            window_id=w.id,
                            kind=w.kind,
                            source=w.source,
                            panel=w.panel,
                            crop=((px0 - x0) / ww, (py0 - y0) / wh, (px1 - x0) / ww, (py1 - y0) / wh),
                            screen_rect=Rect(qx0, qy0, qx1 - qx0, qy1 - qy0),
                            z=w.z,
                            fit=w.fit,
                            window_size=(ww, wh),
                        )
                    )
                layers.append(parts)
            if not uncovered:
                break
        plans[screen.id] = ScreenPlan(
            screen_id=screen.id,
            resolution=screen.resolution,
            parts=[p for parts in reversed(layers) for p in parts],
        )
    return RenderPlan(screens=plans)
