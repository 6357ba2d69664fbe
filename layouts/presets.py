"""Presets (named layouts of the wall or of a region of screens) and scenes (presets applied together)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

from layouts.errors import FieldError, LayoutError
from layouts.geometry import Rect
from layouts.wall import Wall
from layouts.window import Layout, Window


class Preset(BaseModel):
    """A named layout; screens names the region it covers (None: the whole wall)."""

    name: str = Field(min_length=1, max_length=64)
    windows: list[Window] = []
    screens: list[str] | None = None


class Scene(BaseModel):
    """A named combination of presets, applied in order."""

    name: str = Field(min_length=1, max_length=64)
    presets: list[str] = []


def preset_region(wall: Wall, preset: Preset) -> Rect:
    """The canvas region a preset covers: the whole canvas, or the bounding box of its screens."""
    if preset.screens is None:
        return wall.canvas
    unknown = [FieldError(f"screens[{i}]", f"unknown screen {sid!r}") for i,
               sid in enumerate(preset.screens) if not wall.has_screen(sid)]
    if unknown:
        raise LayoutError(unknown)
    if not preset.screens:
        raise LayoutError.single("screens", "a region preset needs at least one screen")
    return wall.region_rect(preset.screens)


def _inside(region: Rect, w: Window) -> bool:
    cx, cy = w.rect.center
    return region.intersects(w.rect) and region.contains_point(cx, cy)


def apply_preset(wall: Wall, layout: Layout, preset: Preset) -> Layout:
    """Apply a preset: a whole-wall preset replaces everything; a region preset replaces the windows inside its region.

    A window is inside when it intersects the region and its centre lies in it. The result has no scene.
    """
    if preset.screens is None:
        return Layout(windows=[w.model_copy() for w in preset.windows], scene=None)
    region = preset_region(wall, preset)
    kept = [w for w in layout.windows if not _inside(region, w)]
    return Layout(windows=kept, scene=None).stacked_on_top(preset.windows)


def apply_scene(wall: Wall, layout: Layout, scene: Scene, presets: Mapping[str, Preset]) -> Layout:
    """Apply the scene's presets in order; the result's scene is the scene's name."""
    missing = [FieldError(f"presets[{i}]", f"unknown preset {name!r}") for i,
               name in enumerate(scene.presets) if name not in presets]
    if missing:
        raise LayoutError(missing)
    for name in scene.presets:
        layout = apply_preset(wall, layout, presets[name])
    return layout.model_copy(update={"scene": scene.name})


def capture_preset(wall: Wall, layout: Layout, name: str, screens: list[str] | None = None) -> Preset:
    """Save the current layout (or the windows inside a region of screens) as a preset."""
    preset = Preset(name=name, windows=[], screens=screens)
    if screens is None:
        return preset.model_copy(update={"windows": list(layout.windows)})
    region = preset_region(wall, preset)
    return preset.model_copy(update={"windows": [w for w in layout.windows if _inside(region, w)]})
