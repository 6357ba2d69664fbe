"""The compositor: one screen's picture from its ScreenPlan, composed in YUV 4:2:0 planes.

Each visible window part is its source's crop scaled once, straight into the screen canvas
(``cv2.resize(..., dst=roi)`` on Y, U and V). The window's ``fit`` places the source in the whole
window by the source's own size ("contain": black bars, "cover": cropped, "fill": stretched); a part
then shows its piece of that picture, so a window across a seam stays one continuous picture. The
placement is computed once per part and source size, and the bars are drawn only when it changes.
A part is redrawn only when its source has a new frame or its state changed; a screen with nothing
changed reuses its last output. A lost source shows its last frame greyed with a "SIGNAL LOST" slate
and the time. Labels (window title or source name, local time) and slates are drawn on the luma
plane only, on a neutral-chroma box, so no colour conversion is ever needed. Their text is TrueType
(a CJK font: camera names are Chinese) rendered and cached by ``media.text``, so a label costs a copy
of a cached bitmap; only without Pillow or any font does it fall back to OpenCV's ASCII-only Hershey
font. Clock, text and panel windows are left black: the screen's kiosk page draws them over the video.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from layouts.plan import RenderPart, ScreenPlan
from layouts.window import fitted_picture
from media.frames import Frame
from media.text import text_renderer

BLACK_Y, WHITE_Y, NEUTRAL_C = 16, 235, 128
_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class SourceView:
    """What the compositor needs of a source at one instant."""

    frame: Frame | None
    lost_since: float | None = None  # UTC epoch seconds; set: show the slate
    name: str = ""
    state: str = "live"


def _ascii(text: str) -> str:
    # OpenCV's Hershey fonts have ASCII only; other characters would print as '?' anyway.
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


def _font_px(scale: float) -> int:
    # A Hershey scale as a TrueType size with the same cap height (Hershey: 22 px at 1.0; Noto Sans
    # caps are 0.73 em); at least 12 px, below which CJK ideographs stop being legible.
    return max(12, round(30 * scale))


def _edges(c0: float, c1: float, size: int) -> tuple[int, int]:
    a, b = round(c0 * size), round(c1 * size)
    if b <= a:
        b = min(size, a + 1)
        a = b - 1
    return a, b


_Edges = tuple[int, int, int, int]  # x0, y0, x1, y1 on the canvas (half-open)
_SLATES = {"lost": "NO SIGNAL", "stalled": "NO SIGNAL", "ended": "ENDED"}  # a window whose source has no picture


def window_rect(part: RenderPart) -> tuple[float, float, float, float]:
    """The whole window's rectangle (x, y, w, h) in the part's screen pixels (it may extend past the screen)."""
    r = part.screen_rect
    c0, c1, c2, c3 = part.crop
    ww, wh = r.w / max(c2 - c0, 1e-9), r.h / max(c3 - c1, 1e-9)
    return r.x - c0 * ww, r.y - c1 * wh, ww, wh


def _picture(part: RenderPart, source: tuple[int, int]) -> tuple[float, float, float, float]:
    """The source's picture in the window (fractions), placed by the window's fit in its canvas proportions."""
    _, _, ww, wh = window_rect(part)
    return fitted_picture(part.fit, part.window_size or (ww, wh), source)


def shown_scale(part: RenderPart, source: tuple[int, int]) -> float:
    """How large the part's window shows a source of this size: shown size / source size (the larger axis)."""
    _, _, ww, wh = window_rect(part)
    _, _, fw, fh = _picture(part, source)
    return max(fw * ww / max(source[0], 1), fh * wh / max(source[1], 1))


@dataclass(frozen=True)
class Placement:
    """Where a source of one size lands in one part: the canvas rectangle its picture fills (``dst``,
    None when the part shows only bars), the source crop (fractions) scaled into it, and the bars."""

    dst: _Edges | None
    crop: tuple[float, float, float, float]
    bars: tuple[_Edges, ...]


def _snap(v: float, lo: int, hi: int) -> int:
    # A picture edge inside the part falls on an even pixel: 4:2:0 chroma covers 2x2 pixels, and a
    # sample shared by picture and bar would tint the bar.
    e = round(v)
    return 2 * round(v / 2) if lo < e < hi else e


def placement(part: RenderPart, source: tuple[int, int]) -> Placement:
    """The fit of the whole window, clipped to this part (pure; the compositor caches it per source size)."""
    r = part.screen_rect
    rx0, ry0, rx1, ry1 = r.x, r.y, r.x + r.w, r.y + r.h
    fx, fy, fw, fh = _picture(part, source)
    if (fx, fy, fw, fh) == (0.0, 0.0, 1.0, 1.0):  # the picture is the window: the plan's crop as it is
        return Placement((rx0, ry0, rx1, ry1), part.crop, ())
    wx, wy, ww, wh = window_rect(part)
    px0, px1 = _snap(wx + fx * ww, rx0, rx1), _snap(wx + (fx + fw) * ww, rx0, rx1)
    py0, py1 = _snap(wy + fy * wh, ry0, ry1), _snap(wy + (fy + fh) * wh, ry0, ry1)
    dx0, dx1, dy0, dy1 = max(px0, rx0), min(px1, rx1), max(py0, ry0), min(py1, ry1)
    if dx1 <= dx0 or dy1 <= dy0:
        return Placement(None, (0.0, 0.0, 1.0, 1.0), ((rx0, ry0, rx1, ry1),))
    crop = ((dx0 - px0) / (px1 - px0), (dy0 - py0) / (py1 - py0),
            (dx1 - px0) / (px1 - px0), (dy1 - py0) / (py1 - py0))
    bars = [(rx0, ry0, rx1, dy0), (rx0, dy1, rx1, ry1), (rx0, dy0, dx0, dy1), (dx1, dy0, rx1, dy1)]
    return Placement((dx0, dy0, dx1, dy1), crop, tuple(b for b in bars if b[2] > b[0] and b[3] > b[1]))


class ScreenCompositor:
    """Composes one screen; call ``compose`` from one thread at a time."""

    def __init__(self, screen_id: str, resolution: tuple[int, int], timezone: str | tzinfo = "UTC",
                 labels: bool = True) -> None:
        w, h = resolution
        if w % 2 or h % 2:
            raise ValueError(f"screen {screen_id}: resolution must be even for YUV 4:2:0 (got {w}x{h})")
        self.screen_id = screen_id
        self.width, self.height = w, h
        self.tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self.labels = labels
        self._canvas = Frame.blank(w, h, BLACK_Y)
        self._out: Frame | None = None
        self._plan: ScreenPlan | None = None
        self._keys: list[object] = []
        self._label_keys: list[object] = []
        self._placements: list[tuple[tuple[int, int], Placement] | None] = []  # per part: (source size, placement)
        self._bars: list[tuple[int, int] | None] = []  # per part: the source size its bars are drawn for
        self._seq = 0
        # Counters (tests and health): resize/copy calls, bars drawn, parts redrawn, outputs reused.
        self.scale_calls = 0
        self.bars_drawn = 0
        self.parts_drawn = 0
        self.frames_reused = 0
        self.frames_composed = 0
        self.label_px = max(0.35, min(1.2, h / 1080 * 0.7))
        self.text = text_renderer()  # shared font and bitmap cache; .available False: Hershey

    # -- public -----------------------------------------------------------------------------------
    def compose(self, plan: ScreenPlan, views: Mapping[str, SourceView],
                titles: Mapping[str, str | None] | None = None, now: float | None = None) -> Frame:
        """The screen's picture for this instant (a new Frame; planes shared with the last one if unchanged).

        ``titles``: window id -> label text (None: no label); windows not in it get the source name.
        """
        now = time.time() if now is None else now
        canvas = self._canvas
        changed = False
        if plan is not self._plan and plan != self._plan:
            canvas.y[:] = BLACK_Y
            canvas.u[:] = NEUTRAL_C
            canvas.v[:] = NEUTRAL_C
            self._plan = plan
            self._keys = [None] * len(plan.parts)
            self._label_keys = [None] * len(plan.parts)
            self._placements = [None] * len(plan.parts)
            self._bars = [None] * len(plan.parts)
            changed = True
        clock = datetime.fromtimestamp(now, self.tz).strftime("%H:%M:%S") if self.labels else ""
        for i, part in enumerate(plan.parts):
            if part.kind != "video":
                if self._keys[i] is None:
                    self._fill(part, BLACK_Y)
                    self._keys[i] = "fill"
                    changed = True
                continue
            view = views.get(part.source or "")
            frame = view.frame if view is not None else None
            lost = None if view is None else view.lost_since
            state = "unknown" if view is None else view.state
            key = (id(frame), frame.seq if frame is not None else -1, lost, state if frame is None else None)
            redrawn = False
            if key != self._keys[i]:
                self._draw_video(i, part, frame, lost, state)
                self._keys[i] = key
                self.parts_drawn += 1
                redrawn = changed = True
            if self.labels:
                title = (titles or {}).get(part.window_id, ...)
                if title is ...:
                    title = view.name if view is not None and view.name else (part.source or "")
                if title is not None:
                    lkey = (title, clock)
                    if redrawn or lkey != self._label_keys[i]:
                        if self._draw_label(part, title, clock):
                            changed = True
                        self._label_keys[i] = lkey
        self._seq += 1
        if changed or self._out is None:
            assert canvas.i420 is not None  # Frame.blank makes one buffer
            out = Frame._from_i420(canvas.i420.copy(), self.width, self.height)
            self.frames_composed += 1
        else:
            last = self._out
            out = Frame(last.y, last.u, last.v, i420=last.i420)
            self.frames_reused += 1
        out.seq = self._seq
        out.time = time.monotonic()
        out.changed = changed
        self._out = out
        return out

    # -- drawing ----------------------------------------------------------------------------------
    def _scale(self, src: np.ndarray, dst: np.ndarray) -> None:
        self.scale_calls += 1
        sh, sw = src.shape
        dh, dw = dst.shape
        if sh == dh and sw == dw:
            np.copyto(dst, src)
        elif sw == 2 * dw and sh == 2 * dh:
            cv2.resize(src, (dw, dh), dst=dst, interpolation=cv2.INTER_AREA)
        else:
            cv2.resize(src, (dw, dh), dst=dst, interpolation=cv2.INTER_LINEAR)

    def _rois(self, e: _Edges) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = self._canvas
        x0, y0, x1, y1 = e
        return (c.y[y0:y1, x0:x1], c.u[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2],
                c.v[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2])

    def _fill(self, part: RenderPart, luma: int) -> None:
        r = part.screen_rect
        self._fill_edges((r.x, r.y, r.x + r.w, r.y + r.h), luma)

    def _fill_edges(self, e: _Edges, luma: int) -> None:
        y, u, v = self._rois(e)
        y[:] = luma
        u[:] = NEUTRAL_C
        v[:] = NEUTRAL_C

    def _placement(self, i: int, part: RenderPart, size: tuple[int, int]) -> Placement:
        cached = self._placements[i]
        if cached is not None and cached[0] == size:
            return cached[1]
        place = placement(part, size)
        self._placements[i] = (size, place)
        return place

    def _draw_video(self, i: int, part: RenderPart, frame: Frame | None, lost: float | None, state: str) -> None:
        if frame is None:
            self._fill(part, BLACK_Y)
            self._bars[i] = None
            self._slate(part, _SLATES.get(state, "CONNECTING"), lost)
            return
        W, H = frame.width, frame.height
        place = self._placement(i, part, (W, H))
        if self._bars[i] != (W, H):  # a new plan, a new source size, or a slate drawn over them
            for bar in place.bars:
                self._fill_edges(bar, BLACK_Y)
            self._bars[i] = (W, H)
            self.bars_drawn += bool(place.bars)
        if place.dst is not None:
            y, u, v = self._rois(place.dst)
            c0, c1, c2, c3 = place.crop
            sx0, sx1 = _edges(c0, c2, W)
            sy0, sy1 = _edges(c1, c3, H)
            self._scale(frame.y[sy0:sy1, sx0:sx1], y)
            cx0, cx1 = _edges(c0, c2, W // 2)
            cy0, cy1 = _edges(c1, c3, H // 2)
            self._scale(frame.u[cy0:cy1, cx0:cx1], u)
            self._scale(frame.v[cy0:cy1, cx0:cx1], v)
            if lost is not None:
                cv2.convertScaleAbs(y, dst=y, alpha=0.35, beta=40)  # greyed: luma compressed, colour gone
                u[:] = NEUTRAL_C
                v[:] = NEUTRAL_C
        if lost is not None:
            self._bars[i] = None  # the slate may lie over the bars: redraw them when the picture is back
            self._slate(part, "ENDED" if state == "ended" else "SIGNAL LOST", lost)

    def _slate(self, part: RenderPart, title: str, since: float | None) -> None:
        """A centred two-line slate for the window, clipped to this part."""
        wx, wy, ww, wh = window_rect(part)
        lines = [title]
        if since is not None:
            lines.append("since " + datetime.fromtimestamp(since, self.tz).strftime("%Y-%m-%d %H:%M:%S"))
        scale = max(0.4, min(2.5, wh / 360))
        if self.text.available:
            px = _font_px(scale)
            box = self.text.slate([(t, px if i == 0 else _font_px(scale * 0.6)) for i, t in enumerate(lines)],
                                  int(12 * scale))
            bh, bw = box.shape
            self._put(part, int(wx + (ww - bw) / 2), int(wy + (wh - bh) / 2), box)
            return
        thick = max(1, round(scale * 2))
        sizes = [cv2.getTextSize(t, _FONT, scale * (1.0 if i == 0 else 0.6), thick)[0] for i, t in enumerate(lines)]
        gap = int(12 * scale)
        bw = max(s[0] for s in sizes) + 2 * gap
        bh = sum(s[1] for s in sizes) + gap * (len(lines) + 1) + int(8 * scale)
        bx, by = int(wx + (ww - bw) / 2), int(wy + (wh - bh) / 2)
        self._box(part, bx, by, bw, bh)
        r = part.screen_rect
        yroi = self._canvas.y[r.y:r.y + r.h, r.x:r.x + r.w]
        ty = by + gap
        for i, (t, (tw, th)) in enumerate(zip(lines, sizes, strict=False)):
            ty += th
            org = (int(wx + (ww - tw) / 2) - r.x, ty - r.y)
            cv2.putText(yroi, t, org, _FONT, scale * (1.0 if i == 0 else 0.6), WHITE_Y,
                        thick if i == 0 else max(1, thick // 2), cv2.LINE_AA)
            ty += gap

    def _box(self, part: RenderPart, bx: int, by: int, bw: int, bh: int) -> bool:
        """Fill a neutral black box (canvas coordinates), clipped to the part; False if nothing shows."""
        r = part.screen_rect
        x0, y0 = max(bx, r.x), max(by, r.y)
        x1, y1 = min(bx + bw, r.x + r.w), min(by + bh, r.y + r.h)
        if x1 <= x0 or y1 <= y0:
            return False
        c = self._canvas
        c.y[y0:y1, x0:x1] = BLACK_Y
        c.u[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2] = NEUTRAL_C
        c.v[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2] = NEUTRAL_C
        return True

    def _put(self, part: RenderPart, bx: int, by: int, box: np.ndarray) -> bool:
        """Copy a luma box (from media.text) to canvas (bx, by), neutral chroma under it, clipped to
        the part; False if nothing shows."""
        bh, bw = box.shape
        r = part.screen_rect
        x0, y0 = max(bx, r.x), max(by, r.y)
        x1, y1 = min(bx + bw, r.x + r.w), min(by + bh, r.y + r.h)
        if x1 <= x0 or y1 <= y0:
            return False
        c = self._canvas
        c.y[y0:y1, x0:x1] = box[y0 - by:y1 - by, x0 - bx:x1 - bx]
        c.u[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2] = NEUTRAL_C
        c.v[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2] = NEUTRAL_C
        return True

    def _draw_label(self, part: RenderPart, title: str, clock: str) -> bool:
        """The window's label at its top-left corner, clipped to this part; False if it is not here."""
        wx, wy, ww, wh = window_rect(part)
        scale = min(self.label_px, max(0.3, wh / 300))
        pad = max(3, int(6 * scale))
        if self.text.available:
            box = self.text.label(title[:48], clock, _font_px(scale), pad, max(0, int(ww) - 2 * pad))
            return box.shape[1] > 0 and self._put(part, int(wx) + pad, int(wy) + pad, box)
        thick = max(1, round(scale * 2))
        text = _ascii(title)[:48]
        (tw, th), base = cv2.getTextSize(f"{text}  88:88:88", _FONT, scale, thick)
        bx, by = int(wx) + pad, int(wy) + pad
        bw, bh = min(tw + 2 * pad, int(ww) - 2 * pad), th + base + 2 * pad
        if bw <= 0 or not self._box(part, bx, by, bw, bh):
            return False
        r = part.screen_rect
        yroi = self._canvas.y[r.y:r.y + r.h, r.x:r.x + r.w]
        # Clip the text to the box (and the part): draw into the box's own view.
        x0, y0 = max(bx, r.x), max(by, r.y)
        x1, y1 = min(bx + bw, r.x + r.w), min(by + bh, r.y + r.h)
        box = yroi[y0 - r.y:y1 - r.y, x0 - r.x:x1 - r.x]
        cv2.putText(box, f"{text}  {clock}", (bx + pad - x0, by + pad + th - y0), _FONT, scale, WHITE_Y, thick,
                    cv2.LINE_AA)
        return True
