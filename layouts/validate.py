"""Checks a Layout against a Wall and the known sources and panels; reports every problem at once."""

from __future__ import annotations

from collections.abc import Collection

from layouts.errors import FieldError, LayoutError
from layouts.wall import Wall
from layouts.window import Layout

MAX_WINDOWS = 256


def validate_layout(wall: Wall, layout: Layout, sources: Collection[str], panels: Collection[str]) -> None:
    """Raise one LayoutError listing every problem (paths like ``windows[2].rect.w``); None if the layout is fine."""
    errors: list[FieldError] = []
    source_set, panel_set = set(sources), set(panels)
    canvas = wall.canvas
    if len(layout.windows) > MAX_WINDOWS:
        errors.append(FieldError("windows", f"too many windows ({len(layout.windows)} > {MAX_WINDOWS})"))
    first_with_id: dict[str, int] = {}
    for i, w in enumerate(layout.windows):
        path = f"windows[{i}]"
        if w.id in first_with_id:
            errors.append(FieldError(f"{path}.id",
                                     f"duplicate window id {w.id!r} (also windows[{first_with_id[w.id]}])"))
        else:
            first_with_id[w.id] = i
        sized = True
        for axis in ("w", "h"):
            v = getattr(w.rect, axis)
            if v <= 0:
                errors.append(FieldError(f"{path}.rect.{axis}", f"must be positive (got {v})"))
                sized = False
        if sized and not canvas.contains(w.rect):
            errors.append(FieldError(f"{path}.rect", f"off the canvas (canvas is {canvas.w}x{canvas.h})"))
        if w.kind == "video" and w.source is None:
            errors.append(FieldError(f"{path}.source", "a video window needs a source"))
        if w.source is not None and w.source not in source_set:
            errors.append(FieldError(f"{path}.source", f"unknown source {w.source!r}"))
        if w.kind == "panel" and w.panel is None:
            errors.append(FieldError(f"{path}.panel", "a panel window needs a panel"))
        if w.panel is not None and w.panel not in panel_set:
            errors.append(FieldError(f"{path}.panel", f"unknown panel {w.panel!r}"))
    if errors:
        raise LayoutError(errors)
