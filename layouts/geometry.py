"""Integer rectangles in canvas or screen pixels: the one geometry the rest of the wall model uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_FIELDS = ("x", "y", "w", "h")
# Pixel coordinates far beyond any wall (a canvas of a million pixels a side), yet safe everywhere.
COORD_LIMIT = 2**31 - 1


class Rect(BaseModel):
    """A rectangle: top-left corner (x, y) and size (w, h), in integer pixels.

    Positive size is not enforced here (validation reports it with a path); the
    helpers below assume it. ``Rect(0, 0, 10, 10)`` and ``Rect(x=0, y=0, w=10, h=10)`` both work.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    x: int = Field(ge=-COORD_LIMIT, le=COORD_LIMIT)
    y: int = Field(ge=-COORD_LIMIT, le=COORD_LIMIT)
    w: int = Field(ge=-COORD_LIMIT, le=COORD_LIMIT)
    h: int = Field(ge=-COORD_LIMIT, le=COORD_LIMIT)

    def __init__(self, *args: int, **data: Any) -> None:
        if len(args) > len(_FIELDS):
            raise TypeError(f"Rect takes at most 4 positional arguments ({len(args)} given)")
        for name, value in zip(_FIELDS, args, strict=False):
            if name in data:
                raise TypeError(f"Rect got multiple values for {name!r}")
            data[name] = value
        super().__init__(**data)

    @classmethod
    def from_edges(cls, x0: int, y0: int, x1: int, y1: int) -> Rect:
        """The rectangle spanning [x0, x1) x [y0, y1)."""
        return cls(x=x0, y=y0, w=x1 - x0, h=y1 - y0)

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.x + self.w

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.y + self.h

    @property
    def area(self) -> int:
        """Pixels covered (0 for an empty rectangle)."""
        return max(self.w, 0) * max(self.h, 0)

    @property
    def is_empty(self) -> bool:
        """True when the rectangle covers no pixel."""
        return self.w <= 0 or self.h <= 0

    @property
    def center(self) -> tuple[float, float]:
        """The centre point."""
        return (self.x + self.w / 2, self.y + self.h / 2)

    def intersect(self, other: Rect) -> Rect | None:
        """The common part, or None when the two share no pixel."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.right, other.right), min(self.bottom, other.bottom)
        if x1 <= x0 or y1 <= y0:
            return None
        return Rect(x=x0, y=y0, w=x1 - x0, h=y1 - y0)

    def intersects(self, other: Rect) -> bool:
        """True when the two share at least one pixel."""
        return (
            max(self.x, other.x) < min(self.right, other.right)
            and max(self.y, other.y) < min(self.bottom, other.bottom)
        )

    def subtract(self, other: Rect) -> list[Rect]:
        """Disjoint rectangles covering self minus other (at most four: top, bottom, left, right bands)."""
        cut = self.intersect(other)
        if cut is None:
            return [self]
        parts: list[Rect] = []
        if cut.y > self.y:
            parts.append(Rect(x=self.x, y=self.y, w=self.w, h=cut.y - self.y))
        if cut.bottom < self.bottom:
            parts.append(Rect(x=self.x, y=cut.bottom, w=self.w, h=self.bottom - cut.bottom))
        if cut.x > self.x:
            parts.append(Rect(x=self.x, y=cut.y, w=cut.x - self.x, h=cut.h))
        if cut.right < self.right:
            parts.append(Rect(x=cut.right, y=cut.y, w=self.right - cut.right, h=cut.h))
        return parts

    def contains(self, other: Rect) -> bool:
        """True when every pixel of other is inside self."""
        return (
            other.x >= self.x
            and other.y >= self.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def contains_point(self, x: float, y: float) -> bool:
        """True when the point lies inside [x, right) x [y, bottom)."""
        return self.x <= x < self.right and self.y <= y < self.bottom

    def translate(self, dx: int, dy: int) -> Rect:
        """The same rectangle moved by (dx, dy)."""
        return Rect(x=self.x + dx, y=self.y + dy, w=self.w, h=self.h)

    def inflate(self, d: int) -> Rect:
        """The rectangle grown by d on every side (shrunk for negative d)."""
        return Rect(x=self.x - d, y=self.y - d, w=self.w + 2 * d, h=self.h + 2 * d)


def bounding_box(rects: Iterable[Rect]) -> Rect:
    """The smallest rectangle containing all of rects (ValueError if there are none)."""
    items = list(rects)
    if not items:
        raise ValueError("bounding_box of no rectangles")
    return Rect.from_edges(
        min(r.x for r in items),
        min(r.y for r in items),
        max(r.right for r in items),
        max(r.bottom for r in items),
    )
