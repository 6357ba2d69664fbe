"""The pure model of a wall: screens and canvas, windows, presets and scenes, validation, render plan."""

from layouts.errors import FieldError, LayoutError, format_loc, from_validation_error
from layouts.geometry import Rect, bounding_box
from layouts.plan import RenderPart, RenderPlan, ScreenPlan, render_plan, screen_pixel_mapping
from layouts.presets import Preset, Scene, apply_preset, apply_scene, capture_preset, preset_region
from layouts.snap import snap_rect
from layouts.split import QUICK_SPLITS, apply_split, quick_split, split_cells
from layouts.validate import MAX_WINDOWS, validate_layout
from layouts.wall import Screen, ScreenKind, ScreenSpec, SpliceBlock, Wall, WallSpec, build_wall
from layouts.window import Fit, Layout, MapFocus, Window, WindowKind, fitted_picture

__all__ = [
    "MAX_WINDOWS",
    "QUICK_SPLITS",
    "FieldError",
    "Fit",
    "Layout",
    "LayoutError",
    "MapFocus",
    "Preset",
    "Rect",
    "RenderPart",
    "RenderPlan",
    "Scene",
    "Screen",
    "ScreenKind",
    "ScreenPlan",
    "ScreenSpec",
    "SpliceBlock",
    "Wall",
    "WallSpec",
    "Window",
    "WindowKind",
    "apply_preset",
    "apply_scene",
    "apply_split",
    "bounding_box",
    "build_wall",
    "capture_preset",
    "fitted_picture",
    "format_loc",
    "from_validation_error",
    "preset_region",
    "quick_split",
    "render_plan",
    "screen_pixel_mapping",
    "snap_rect",
    "split_cells",
    "validate_layout",
]
