"""Wall geometry: screens (LED or LCD, resolution, bezel) and the one integer canvas they form.

``build_wall`` turns the configured ``WallSpec`` (millimetres) into a resolved ``Wall`` (canvas pixels).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass as plain_dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr

from layouts.errors import FieldError, LayoutError
from layouts.geometry import Rect, bounding_box

ScreenKind = Literal["led", "lcd"]


class ScreenSpec(BaseModel):
    """One free-standing screen as configured: active area and its place on the wall in mm."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: ScreenKind
    resolution: tuple[int, int]
    size_mm: tuple[float, float]
    position_mm: tuple[float, float]
    bezel_mm: float = 0
    name: str | None = None


class SpliceBlock(BaseModel):
    """A grid of identical panels; screens get ids ``f"{id}-{row+1}-{col+1}"``.

    ``origin_mm`` is the top-left of the first panel's active area; panels are
    ``panel_size_mm + 2 * bezel_mm`` apart.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: ScreenKind
    rows: int
    cols: int
    origin_mm: tuple[float, float]
    panel_size_mm: tuple[float, float]
    bezel_mm: float = 0
    resolution: tuple[int, int]
    name: str | None = None


class WallSpec(BaseModel):
    """The configured wall: free screens plus splice blocks, all in one plane (mm)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "wall"
    px_per_mm: float | None = None
    screens: list[ScreenSpec] = []
    blocks: list[SpliceBlock] = []
    grid_px: int | None = None


class Screen(BaseModel):
    """A resolved screen: its active area on the canvas and its own pixel resolution."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: ScreenKind
    name: str
    resolution: tuple[int, int]
    canvas: Rect
    block: str | None = None
    row: int = 0
    col: int = 0
    bezel_px: int = 0

    @property
    def outer(self) -> Rect:
        """The canvas rectangle including the bezel on every side."""
        return self.canvas.inflate(self.bezel_px)


class Wall(BaseModel):
    """The resolved wall: screens placed on one integer canvas whose origin is the top-left bezel edge."""

    model_config = ConfigDict(frozen=True)

    name: str
    px_per_mm: float
    canvas: Rect
    screens: list[Screen]
    grid_px: int | None = None

    _by_id: dict[str, Screen] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: object) -> None:
        self._by_id = {s.id: s for s in self.screens}

    def screen(self, id: str) -> Screen:
        """The screen with this id (KeyError if there is none)."""
        try:
            return self._by_id[id]
        except KeyError:
            raise KeyError(f"unknown screen {id!r}") from None

    def has_screen(self, id: str) -> bool:
        """True when a screen has this id."""
        return id in self._by_id

    def screens_in(self, rect: Rect) -> list[Screen]:
        """Screens whose active area shares at least one pixel with rect, in wall order."""
        return [s for s in self.screens if s.canvas.intersects(rect)]

    def region_rect(self, screen_ids: Iterable[str]) -> Rect:
        """Bounding box of these screens' active areas (KeyError for an unknown id, ValueError if none)."""
        ids = list(screen_ids)
        if not ids:
            raise ValueError("region_rect needs at least one screen")
        return bounding_box(self.screen(i).canvas for i in ids)


@plain_dataclass
class _Placed:
    """A screen or block footprint in mm (incl. bezels), for the overlap check."""

    path: str
    label: str
    x0: float
    y0: float
    x1: float
    y1: float


def _positive_pair(errors: list[FieldError], path: str, value: tuple[float, float]) -> bool:
    ok = True
    for axis, v in zip(("w", "h"), value, strict=False):
        if v <= 0:
            errors.append(FieldError(path, f"{axis} must be positive (got {v})"))
            ok = False
    return ok


def _check_screen_spec(errors: list[FieldError], path: str, spec: ScreenSpec) -> bool:
    ok = True
    if not spec.id:
        errors.append(FieldError(f"{path}.id", "must not be empty"))
        ok = False
    ok &= _positive_pair(errors, f"{path}.resolution", spec.resolution)
    ok &= _positive_pair(errors, f"{path}.size_mm", spec.size_mm)
    if spec.bezel_mm < 0:
        errors.append(FieldError(f"{path}.bezel_mm", f"must not be negative (got {spec.bezel_mm})"))
        ok = False
    return ok


def _check_block(errors: list[FieldError], path: str, block: SpliceBlock) -> bool:
    ok = True
    if not block.id:
        errors.append(FieldError(f"{path}.id", "must not be empty"))
        ok = False
    for field in ("rows", "cols"):
        v = getattr(block, field)
        if v < 1:
            errors.append(FieldError(f"{path}.{field}", f"must be at least 1 (got {v})"))
            ok = False
    ok &= _positive_pair(errors, f"{path}.resolution", block.resolution)
    ok &= _positive_pair(errors, f"{path}.panel_size_mm", block.panel_size_mm)
    if block.bezel_mm < 0:
        errors.append(FieldError(f"{path}.bezel_mm", f"must not be negative (got {block.bezel_mm})"))
        ok = False
    return ok


def build_wall(spec: WallSpec) -> Wall:
    """Resolve a WallSpec into a Wall; raises LayoutError naming every bad field.

    Canvas pixels for a length in mm are ``round(mm * px_per_mm)``; a splice block is laid
    out in pixels with an exact integer pitch so all its panels are identical on the canvas.
    """
    errors: list[FieldError] = []
    good_screens = [
        (i, s) for i, s in enumerate(spec.screens) if _check_screen_spec(errors, f"screens[{i}]", s)
    ]
    good_blocks = [(i, b) for i, b in enumerate(spec.blocks) if _check_block(errors, f"blocks[{i}]", b)]
    if spec.px_per_mm is not None and spec.px_per_mm <= 0:
        errors.append(FieldError("px_per_mm", f"must be positive (got {spec.px_per_mm})"))
    if spec.grid_px is not None and spec.grid_px <= 0:
        errors.append(FieldError("grid_px", f"must be positive (got {spec.grid_px})"))

    # Ids: lone screens first, then each block's generated ids.
    seen: dict[str, str] = {}
    for i, s in enumerate(spec.screens):
        if s.id in seen:
            errors.append(FieldError(f"screens[{i}].id", f"duplicate screen id {s.id!r} (also {seen[s.id]})"))
        else:
            seen[s.id] = f"screens[{i}]"
    block_ids: dict[str, int] = {}
    for i, b in enumerate(spec.blocks):
        if b.id in block_ids:
            errors.append(FieldError(f"blocks[{i}].id",
                                     f"duplicate block id {b.id!r} (also blocks[{block_ids[b.id]}])"))
            continue
        block_ids[b.id] = i
        for r in range(max(b.rows, 0)):
            for c in range(max(b.cols, 0)):
                sid = f"{b.id}-{r + 1}-{c + 1}"
                if sid in seen:
                    errors.append(
                        FieldError(f"blocks[{i}].id", f"screen id {sid!r} of this block is already used by {seen[sid]}")
                    )
                else:
                    seen[sid] = f"blocks[{i}]"

    if not spec.screens and not spec.blocks:
        errors.append(FieldError("screens", "the wall has no screens (configure screens or blocks)"))

    scale = spec.px_per_mm
    if scale is None or scale <= 0:
        densities = [s.resolution[0] / s.size_mm[0] for _, s in good_screens]
        densities += [b.resolution[0] / b.panel_size_mm[0] for _, b in good_blocks]
        scale = max(densities, default=1.0)

    # Overlap check in mm (touching is fine), with half a canvas pixel of slack for rounding.
    placed: list[_Placed] = []
    for i, s in good_screens:
        (x, y), (w, h), bz = s.position_mm, s.size_mm, s.bezel_mm
        placed.append(_Placed(f"screens[{i}].position_mm", f"screen {s.id!r}", x - bz, y - bz, x + w + bz, y + h + bz))
    for i, blk in good_blocks:
        (x, y), (w, h), bz = blk.origin_mm, blk.panel_size_mm, blk.bezel_mm
        placed.append(
            _Placed(
                f"blocks[{i}].origin_mm",
                f"block {blk.id!r}",
                x - bz,
                y - bz,
                x - bz + blk.cols * (w + 2 * bz),
                y - bz + blk.rows * (h + 2 * bz),
            )
        )
    slack = 0.5 / scale
    for j, q in enumerate(placed):
        for p in placed[:j]:
            if min(p.x1, q.x1) - max(p.x0, q.x0) > slack and min(p.y1, q.y1) - max(p.y0, q.y0) > slack:
                errors.append(FieldError(q.path, f"{q.label} overlaps {p.label} (bezels included)"))

    if errors:
        raise LayoutError(errors)

    def px(mm: float) -> int:
        return round(mm * scale)

    screens: list[Screen] = []
    for _, s in good_screens:
        screens.append(
            Screen(
                id=s.id,
                kind=s.kind,
                name=s.name or s.id,
                resolution=s.resolution,
                canvas=Rect(px(s.position_mm[0]), px(s.position_mm[1]), px(s.size_mm[0]), px(s.size_mm[1])),
                bezel_px=px(s.bezel_mm),
            )
        )
    for _, blk in good_blocks:
        pw, ph, bz = px(blk.panel_size_mm[0]), px(blk.panel_size_mm[1]), px(blk.bezel_mm)
        ox, oy = px(blk.origin_mm[0]), px(blk.origin_mm[1])
        pitch_x, pitch_y = pw + 2 * bz, ph + 2 * bz
        for r in range(blk.rows):
            for c in range(blk.cols):
                sid = f"{blk.id}-{r + 1}-{c + 1}"
                screens.append(
                    Screen(
                        id=sid,
                        kind=blk.kind,
                        name=f"{blk.name} {r + 1}-{c + 1}" if blk.name else sid,
                        resolution=blk.resolution,
                        canvas=Rect(ox + c * pitch_x, oy + r * pitch_y, pw, ph),
                        block=blk.id,
                        row=r,
                        col=c,
                        bezel_px=bz,
                    )
                )

    bad = [FieldError(_path_of(spec, s),
                      "is smaller than one canvas pixel; raise px_per_mm") for s in screens if s.canvas.is_empty]
    if bad:
        raise LayoutError(bad)

    outer = bounding_box(s.outer for s in screens)
    dx, dy = -outer.x, -outer.y
    screens = [s.model_copy(update={"canvas": s.canvas.translate(dx, dy)}) for s in screens]
    return Wall(
        name=spec.name,
        px_per_mm=scale,
        canvas=Rect(0, 0, outer.w, outer.h),
        screens=screens,
        grid_px=spec.grid_px,
    )


def _path_of(spec: WallSpec, screen: Screen) -> str:
    if screen.block is None:
        i = next(i for i, s in enumerate(spec.screens) if s.id == screen.id)
        return f"screens[{i}].size_mm"
    i = next(i for i, b in enumerate(spec.blocks) if b.id == screen.block)
    return f"blocks[{i}].panel_size_mm"
