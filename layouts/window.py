"""Windows on the wall canvas (video, event panel, clock, text) and the Layout that holds them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from layouts.geometry import Rect

WindowKind = Literal["video", "panel", "clock", "text"]
# How a source's picture fills its window: "contain" keeps its proportions inside the window (black
# bars, letterbox or pillarbox), "cover" keeps them and crops what overflows, "fill" stretches it.
Fit = Literal["contain", "cover", "fill"]

WINDOW_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
# Stacking order travels through JavaScript in the pages: keep it within its safe integers.
MAX_Z = 2**53 - 1


class MapFocus(BaseModel):
    """Where a map panel window looks instead of the whole district: round a point (an alarm's event or
    warning) out to a radius, with what it is about."""

    model_config = ConfigDict(extra="forbid", strict=True)

    lat: float = Field(ge=-85, le=85)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(default=400, gt=0, le=50_000)
    label: str | None = Field(default=None, max_length=200)
    event: str | None = Field(default=None, pattern=WINDOW_ID_PATTERN)


class Window(BaseModel):
    """One window: what it shows (source, panel, clock or text) and where on the canvas (pixels)."""

    # A misspelt field is an error, never silently dropped; "10" or true is not a number, 0 not a boolean.
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1, max_length=64, pattern=WINDOW_ID_PATTERN)
    kind: WindowKind
    rect: Rect
    z: int = Field(default=0, ge=-MAX_Z, le=MAX_Z)
    source: str | None = None
    panel: str | None = None
    text: str | None = Field(default=None, max_length=500)
    label: bool = True
    title: str | None = Field(default=None, max_length=200)
    fit: Fit = "contain"
    focus: MapFocus | None = None

    @model_validator(mode="after")
    def _focus_on_panels_only(self) -> Window:
        if self.focus is not None and self.kind != "panel":
            raise ValueError("focus: only a panel window (a map) has a focus")
        return self


class Layout(BaseModel):
    """What the wall shows: windows (later in the list is on top at equal z) and the scene, if any."""

    windows: list[Window] = []
    scene: str | None = None

    def window(self, id: str) -> Window:
        """The window with this id (KeyError if there is none)."""
        for w in self.windows:
            if w.id == id:
                return w
        raise KeyError(f"unknown window {id!r}")

    def with_window(self, window: Window) -> Layout:
        """A copy with window added on the end, or replacing the window with the same id in place."""
        windows = list(self.windows)
        for i, w in enumerate(windows):
            if w.id == window.id:
                windows[i] = window
                break
        else:
            windows.append(window)
        return self.model_copy(update={"windows": windows})

    def without(self, id: str) -> Layout:
        """A copy without the window with this id (KeyError if there is none)."""
        windows = [w for w in self.windows if w.id != id]
        if len(windows) == len(self.windows):
            raise KeyError(f"unknown window {id!r}")
        return self.model_copy(update={"windows": windows})

    def top_z(self) -> int:
        """The highest z in use (0 for an empty layout)."""
        return max((w.z for w in self.windows), default=0)

    def stacked_on_top(self, windows: Iterable[Window]) -> Layout:
        """A copy with windows added above every current one, keeping their relative z.

        A new window whose id is already used gets a ``-2``, ``-3``... suffix so ids stay unique.
        """
        new = list(windows)
        if not new:
            return self.model_copy()
        offset = 0
        if self.windows:
            offset = max(0, self.top_z() + 1 - min(w.z for w in new))
        used = {w.id for w in self.windows}
        placed: list[Window] = []
        for w in new:
            wid = _unique_id(w.id, used)
            used.add(wid)
            placed.append(w.model_copy(update={"id": wid, "z": w.z + offset}))
        return self.model_copy(update={"windows": [*self.windows, *placed]})


def fitted_picture(fit: Fit, window: tuple[float, float],
                   source: tuple[float, float]) -> tuple[float, float, float, float]:
    """Where a source's picture lands in a window, as fractions of the window: (x, y, w, h).

    ``window`` and ``source`` are (width, height) in square units (canvas pixels, source pixels).
    "contain" lies inside 0..1 (centred; the rest are bars), "cover" covers 0..1 (centred; what lies
    outside is cropped), "fill" is the whole window. A degenerate size fills the window.
    """
    ww, wh = window
    sw, sh = source
    if fit == "fill" or min(ww, wh, sw, sh) <= 0:
        return 0.0, 0.0, 1.0, 1.0
    # The picture's size relative to the window at the scale that fits (contain) or covers (cover) it.
    sx, sy = ww / sw, wh / sh
    s = min(sx, sy) if fit == "contain" else max(sx, sy)
    fw, fh = sw * s / ww, sh * s / wh
    return (1 - fw) / 2, (1 - fh) / 2, fw, fh


def _unique_id(wid: str, used: set[str]) -> str:
    if wid not in used:
        return wid
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = wid[: 64 - len(suffix)] + suffix
        if candidate not in used:
            return candidate
        n += 1
