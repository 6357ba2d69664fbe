"""The focus scene of an alarm (pure): the map centred on the place, and the cameras nearest to it by distance
beside it, laid out in a region of the wall."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from layouts.geometry import Rect
from layouts.window import MapFocus, Window

from ..workers.model import distance_m

MAP_SHARE = 2 / 3  # of the region's longer side: the map; the cameras share the rest


@dataclass(frozen=True)
class Camera:
    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Near:
    camera: Camera
    distance_m: float


def nearest_cameras(cameras: Iterable[Camera], lat: float, lon: float, n: int) -> list[Near]:
    """The `n` cameras nearest the point, nearest first (ties by id)."""
    ranked = sorted((Near(c, distance_m(lat, lon, c.lat, c.lon)) for c in cameras),
                    key=lambda x: (x.distance_m, x.camera.id))
    return ranked[:n]


def window_prefix(rule: str) -> str:
    """Every window an alarm puts up starts with this (so a revert finds them)."""
    return f"alarm-{rule}"[:48]


def focus_windows(region: Rect, rule: str, map_panel: str, focus: MapFocus, title: str,
                  near: list[Near]) -> list[Window]:
    """The map (with its focus) over the larger part of the region, the cameras side by side in the rest: in a
    column at the right of a wide region, in a row below the map in a tall one."""
    prefix = window_prefix(rule)
    wide = region.w >= region.h
    if not near:
        map_rect = region
    elif wide:
        map_rect = Rect(region.x, region.y, max(1, round(region.w * MAP_SHARE)), region.h)
    else:
        map_rect = Rect(region.x, region.y, region.w, max(1, round(region.h * MAP_SHARE)))
    out = [Window(id=f"{prefix}-map", kind="panel", panel=map_panel, rect=map_rect, z=0, title=title, focus=focus)]
    n = len(near)
    for k, cam in enumerate(near):
        if wide:
            x0 = map_rect.right
            y0, y1 = region.y + region.h * k // n, region.y + region.h * (k + 1) // n
            rect = Rect(x0, y0, region.right - x0, y1 - y0)
        else:
            y0 = map_rect.bottom
            x0, x1 = region.x + region.w * k // n, region.x + region.w * (k + 1) // n
            rect = Rect(x0, y0, x1 - x0, region.bottom - y0)
        out.append(Window(id=f"{prefix}-cam{k + 1}", kind="video", source=cam.camera.id, rect=rect, z=1,
                          title=f"{cam.camera.name} · {round(cam.distance_m)} m", fit="cover"))
    return out
