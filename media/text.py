"""Label and slate text for the compositor: TrueType/OpenType glyphs as luma bitmaps, cached.

OpenCV's Hershey fonts are ASCII only, and the district's camera names are Chinese. Text is
rendered here with Pillow (FreeType) in a font that covers CJK (Noto Sans CJK SC from Debian's
``fonts-noto-cjk``), falling back to DejaVu/Liberation (Latin only: CJK shows as boxes), and
when neither Pillow nor a font is there, ``text_renderer().available`` is False and the
compositor keeps its Hershey drawing. Which one is used is logged once.

Everything returned is a read-only uint8 luma bitmap already mapped onto the label box: ink is
``WHITE_Y``, the background ``BLACK_Y``, antialiased edges in between. The box under a label or
slate is flat black, so blitting is a plain copy (no per-frame blending). Rendered pieces are kept
in an LRU keyed by (text, pixel size); the clock is assembled from a per-glyph cache (tabular
digit cells), so a ticking clock never calls FreeType after its first second.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Pillow itself is imported only when text is first drawn
    from PIL.ImageFont import FreeTypeFont

log = logging.getLogger(__name__)

BLACK_Y, WHITE_Y = 16, 235
# alpha (0-255) -> luma on the black box
_LUT = (BLACK_Y + np.arange(256, dtype=np.float32) * (WHITE_Y - BLACK_Y) / 255 + 0.5).astype(np.uint8)

_CJK_FAMILY = "Noto Sans CJK SC"
_CJK_PATHS = (  # Debian/Ubuntu fonts-noto-cjk, then other layouts (one face per file or a collection)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
_LATIN = (
    ("DejaVu Sans", ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)),
    ("Liberation Sans", ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
                         "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf")),
)
_CJK_PROBE = "滨"


@dataclass(frozen=True)
class FontChoice:
    path: str
    index: int
    name: str
    cjk: bool


def _fc_match(pattern: str) -> tuple[str, int, str] | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "-f", "%{file}\n%{index}\n%{family}", pattern], capture_output=True,
                             text=True, timeout=5, check=False).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(out) < 3 or not out[0] or not os.path.isfile(out[0]):
        return None
    try:
        index = int(out[1] or 0)
    except ValueError:
        index = 0
    return out[0], index, out[2]


def _ink(font: FreeTypeFont, text: str) -> bytes:
    from PIL import Image, ImageDraw

    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    img = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(img).text((-left, -top), text, fill=255, font=font)
    return b"%dx%d:" % img.size + img.tobytes()


def _covers_cjk(font: FreeTypeFont) -> bool:
    """True if the font has a real glyph for a CJK ideograph (not its missing-glyph box)."""
    try:
        probe = _ink(font, _CJK_PROBE)
        return probe.split(b":", 1)[1].strip(b"\0") != b"" and probe != _ink(font, "\U0010fffd")
    except Exception:
        return False


def _load(path: str, index: int, px: int = 24) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(path, px, index=index)


def _font_name(font: FreeTypeFont) -> str:
    return " ".join(part for part in font.getname() if part)


def _sc_index(path: str) -> int:
    """The Simplified Chinese face of a Noto CJK collection (its regional glyph forms), else 0."""
    for i in range(10):
        try:
            fam = _load(path, i).getname()[0]
        except Exception:
            break
        if fam == _CJK_FAMILY:
            return i
    return 0


def find_font() -> FontChoice | None:
    """The best font on this machine for labels: CJK first, then a Latin TrueType font; None: none."""
    try:
        import PIL.ImageFont  # noqa: F401  (only: is Pillow there)
    except ImportError:
        return None
    candidates: list[tuple[str, int]] = []
    m = _fc_match(_CJK_FAMILY)
    if m is not None and "CJK" in m[2]:
        candidates.append((m[0], m[1]))
    candidates += [(p, _sc_index(p) if p.endswith(".ttc") else 0) for p in _CJK_PATHS if os.path.isfile(p)]
    for path, index in candidates:
        try:
            font = _load(path, index)
        except Exception:
            continue
        if _covers_cjk(font):
            return FontChoice(path, index, _font_name(font), True)
    for family, paths in _LATIN:
        m = _fc_match(family)
        options = ([(m[0], m[1])] if m is not None and m[2].split(",")[0] == family else []) + [(p, 0) for p in paths]
        for path, index in options:
            if not os.path.isfile(path):
                continue
            try:
                font = _load(path, index)
            except Exception:
                continue
            return FontChoice(path, index, _font_name(font), _covers_cjk(font))
    return None


class _LRU:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data: OrderedDict[Hashable, np.ndarray] = OrderedDict()

    def get(self, key: Hashable) -> np.ndarray | None:
        v = self.data.get(key)
        if v is not None:
            self.data.move_to_end(key)
        return v

    def put(self, key: Hashable, value: np.ndarray) -> np.ndarray:
        value.setflags(write=False)
        self.data[key] = value
        self.data.move_to_end(key)
        while len(self.data) > self.limit:
            self.data.popitem(last=False)
        return value


def _clean(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


class TextRenderer:
    """Cached luma bitmaps of text in one font; safe to share between compositor threads.

    Counters: ``renders`` (FreeType rasterisations: pieces and clock glyphs), ``hits`` and
    ``misses`` (cache look-ups of pieces and assembled labels), ``assembled`` (labels/slates
    built from cached pieces).
    """

    def __init__(self, font: FontChoice | None, max_pieces: int = 512, max_glyphs: int = 1024,
                 max_boxes: int = 256) -> None:
        self.font = font
        self._fonts: dict[int, FreeTypeFont] = {}
        self._vm: dict[int, tuple[int, int]] = {}
        self._cells: dict[int, int] = {}
        self._pieces = _LRU(max_pieces)
        self._glyphs = _LRU(max_glyphs)
        self._boxes = _LRU(max_boxes)
        self._lock = threading.Lock()
        self.renders = 0
        self.hits = 0
        self.misses = 0
        self.assembled = 0

    @property
    def available(self) -> bool:
        return self.font is not None

    # -- fonts and metrics (call with the lock held) ---------------------------------------------
    def _face(self, px: int) -> FreeTypeFont:
        f = self._fonts.get(px)
        if f is None:
            if len(self._fonts) > 64:
                self._fonts.clear()
                self._vm.clear()
                self._cells.clear()
            assert self.font is not None
            f = self._fonts[px] = _load(self.font.path, self.font.index, px)
        return f

    def _vmetrics(self, px: int) -> tuple[int, int]:
        """(top, bottom) of a text line relative to its baseline (top negative): a fixed line box."""
        vm = self._vm.get(px)
        if vm is None:
            f = self._face(px)
            top = min(f.getbbox("国ÁÅ|", anchor="ls")[1], -round(px * 0.8))
            bottom = max(f.getbbox("国gjpy", anchor="ls")[3], round(px * 0.15))
            vm = self._vm[px] = (int(top), int(bottom))
        return vm

    def _draw(self, text: str, px: int, width: int | None = None) -> np.ndarray:
        from PIL import Image, ImageDraw

        f = self._face(px)
        top, bottom = self._vmetrics(px)
        if text.strip() == "" and width is None:
            width = math.ceil(f.getlength(text)) if text else 0
        if width is None:
            left, _, right, _ = f.getbbox(text, anchor="ls")
            x0 = min(0, int(left))
            width = max(math.ceil(f.getlength(text)), int(right)) - x0
        else:
            x0 = round((f.getlength(text) - width) / 2) if text else 0  # centred in a fixed cell
        self.renders += 1
        if width <= 0:
            return np.full((bottom - top, 0), BLACK_Y, np.uint8)
        img = Image.new("L", (width, bottom - top), 0)
        if text.strip():
            ImageDraw.Draw(img).text((-x0, -top), text, fill=255, font=f, anchor="ls")
        return np.take(_LUT, np.asarray(img))

    def _piece(self, text: str, px: int) -> np.ndarray:
        key = (text, px)
        v = self._pieces.get(key)
        if v is not None:
            self.hits += 1
            return v
        self.misses += 1
        return self._pieces.put(key, self._draw(text, px))

    def _glyph(self, ch: str, px: int) -> np.ndarray:
        key = (ch, px)
        v = self._glyphs.get(key)
        if v is None:
            cell = None
            if ch.isdigit():  # tabular: every digit in the widest digit's cell, so the clock never jitters
                cell = self._cells.get(px)
                if cell is None:
                    f = self._face(px)
                    cell = self._cells[px] = math.ceil(max(f.getlength(d) for d in "0123456789"))
            v = self._glyphs.put(key, self._draw(ch, px, cell))
        return v

    def _clock(self, text: str, px: int) -> np.ndarray:
        glyphs = [self._glyph(c, px) for c in text]
        if not glyphs:
            top, bottom = self._vmetrics(px)
            return np.full((bottom - top, 0), BLACK_Y, np.uint8)
        return np.concatenate(glyphs, axis=1)

    def _cached_box(self, key: Hashable, build: Callable[[], np.ndarray]) -> np.ndarray:
        with self._lock:
            v = self._boxes.get(key)
            if v is not None:
                self.hits += 1
                return v
            self.misses += 1
            self.assembled += 1
            return self._boxes.put(key, build())

    # -- public -----------------------------------------------------------------------------------
    def line_height(self, px: int) -> int:
        with self._lock:
            top, bottom = self._vmetrics(px)
        return bottom - top

    def piece(self, text: str, px: int) -> np.ndarray:
        """One line of text at ``px`` pixels per em, in a fixed-height line box (cached)."""
        with self._lock:
            return self._piece(_clean(text), px)

    def clock(self, text: str, px: int) -> np.ndarray:
        """A clock string from per-glyph bitmaps (digits in equal cells); no rendering once warm."""
        with self._lock:
            return self._clock(text, px)

    def label(self, title: str, clock: str, px: int, pad: int, max_width: int | None = None) -> np.ndarray:
        """The label box: ``title  clock`` with ``pad`` pixels around, cut at ``max_width``."""
        title = _clean(title)

        def build() -> np.ndarray:
            t = self._piece(title, px) if title else None
            c = self._clock(clock, px) if clock else None
            gap = round(px * 0.5) if t is not None and c is not None else 0
            top, bottom = self._vmetrics(px)
            h = bottom - top
            w = (t.shape[1] if t is not None else 0) + gap + (c.shape[1] if c is not None else 0)
            box = np.full((h + 2 * pad, w + 2 * pad), BLACK_Y, np.uint8)
            x = pad
            if t is not None:
                box[pad:pad + h, x:x + t.shape[1]] = t
                x += t.shape[1] + gap
            if c is not None:
                box[pad:pad + h, x:x + c.shape[1]] = c
            if max_width is not None and box.shape[1] > max_width:
                box = box[:, :max(0, max_width)].copy()
            return box

        return self._cached_box(("label", title, clock, px, pad, max_width), build)

    def slate(self, lines: Sequence[tuple[str, int]], gap: int) -> np.ndarray:
        """A centred multi-line box: each line (text, px), ``gap`` pixels around and between lines."""
        lines = tuple((_clean(t), px) for t, px in lines)

        def build() -> np.ndarray:
            pieces = [self._piece(t, px) for t, px in lines]
            w = max((p.shape[1] for p in pieces), default=0) + 2 * gap
            h = sum(p.shape[0] for p in pieces) + gap * (len(pieces) + 1)
            box = np.full((h, w), BLACK_Y, np.uint8)
            y = gap
            for p in pieces:
                x = (w - p.shape[1]) // 2
                box[y:y + p.shape[0], x:x + p.shape[1]] = p
                y += p.shape[0] + gap
            return box

        return self._cached_box(("slate", lines, gap), build)


_shared: TextRenderer | None = None
_shared_lock = threading.Lock()


def text_renderer() -> TextRenderer:
    """The process's renderer (font found once, cache shared by every screen); logs the font once."""
    global _shared
    with _shared_lock:
        if _shared is None:
            font = find_font()
            if font is None:
                log.warning("labels: no TrueType font or no Pillow: OpenCV Hershey (ASCII only, other text "
                            "shows as '?'); install fonts-noto-cjk and pillow")
            elif font.cjk:
                log.info("labels: font %s (%s#%d)", font.name, font.path, font.index)
            else:
                log.warning("labels: font %s (%s), no CJK: Chinese names show as boxes; install fonts-noto-cjk",
                            font.name, font.path)
            _shared = TextRenderer(font)
        return _shared
