"""``pattern://name``: a synthetic source drawn straight in YUV planes, with a machine-readable timestamp.

Options in the query: ``pattern://river-01?size=1280x720&fps=25``. Every frame shows the source
name, a moving box, the wall-clock time, and a band of black/white cells at the bottom (the
*timecode*) holding the capture time in milliseconds, so latency can be read back after the
compositor, the encoder and the browser (``decode_timecode``; the layout is in TIMECODE_*).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import cv2
import numpy as np

from media.frames import Frame
from media.sources.base import Source, SourceSpec, register

# Timecode layout, in fractions of the frame so it survives scaling: a band over the full width
# from TIMECODE_BAND[0] to TIMECODE_BAND[1] of the height, cut into TIMECODE_CELLS equal cells:
# cell 0 white, cell 1 black (references), cells 2..33 the 32 bits of (UTC ms mod 2**32), most
# significant first, cells 34..37 a parity nibble (XOR of the eight nibbles). White is luma 235.
TIMECODE_BAND = (11 / 12, 1.0)
TIMECODE_BITS = 32
TIMECODE_CELLS = 2 + TIMECODE_BITS + 4
_WHITE, _BLACK = 235, 16


def timecode_now() -> int:
    """The current UTC time in milliseconds, modulo 2**32 (what the timecode carries)."""
    return int(time.time() * 1000) & 0xFFFFFFFF


def timecode_latency_ms(code: int, now_ms: int | None = None) -> int:
    """Milliseconds from the timecode to now (handles the 2**32 wrap)."""
    now = timecode_now() if now_ms is None else now_ms & 0xFFFFFFFF
    d = (now - code) & 0xFFFFFFFF
    return d - (1 << 32) if d >= 1 << 31 else d


def _parity(value: int) -> int:
    p = 0
    for i in range(8):
        p ^= (value >> (4 * i)) & 0xF
    return p


def _cell_edges(width: int) -> list[int]:
    return [round(i * width / TIMECODE_CELLS) for i in range(TIMECODE_CELLS + 1)]


def timecode_bits(value: int) -> list[int]:
    """The cell values (1 white, 0 black) that encode value."""
    value &= 0xFFFFFFFF
    bits = [(value >> (TIMECODE_BITS - 1 - i)) & 1 for i in range(TIMECODE_BITS)]
    par = _parity(value)
    return [1, 0, *bits, *[(par >> (3 - i)) & 1 for i in range(4)]]


def draw_timecode(y: np.ndarray, u: np.ndarray, v: np.ndarray, value: int) -> None:
    """Write the timecode band for value into a frame's planes (in place)."""
    h, w = y.shape
    y0, y1 = int(h * TIMECODE_BAND[0]) & ~1, h
    edges = _cell_edges(w)
    for i, bit in enumerate(timecode_bits(value)):
        y[y0:y1, edges[i]:edges[i + 1]] = _WHITE if bit else _BLACK
    u[y0 // 2:, :] = 128
    v[y0 // 2:, :] = 128


def decode_timecode(y: np.ndarray) -> int | None:
    """Read the timecode from the luma of a picture showing the whole pattern frame (any size).

    None when the band is not there or the parity does not match.
    """
    h, w = y.shape[:2]
    if w < TIMECODE_CELLS * 2 or h < 12:
        return None
    b0, b1 = h * TIMECODE_BAND[0], h * TIMECODE_BAND[1]
    r0, r1 = int(b0 + (b1 - b0) * 0.25), max(int(b0 + (b1 - b0) * 0.75), int(b0 + (b1 - b0) * 0.25) + 1)
    means = []
    for i in range(TIMECODE_CELLS):
        c0, c1 = i * w / TIMECODE_CELLS, (i + 1) * w / TIMECODE_CELLS
        x0, x1 = int(c0 + (c1 - c0) * 0.3), max(int(c0 + (c1 - c0) * 0.7), int(c0 + (c1 - c0) * 0.3) + 1)
        means.append(float(y[r0:r1, x0:x1].mean()))
    white, black = means[0], means[1]
    if white - black < 60:
        return None
    thr = (white + black) / 2
    bits = [1 if m > thr else 0 for m in means[2:]]
    value = 0
    for b in bits[:TIMECODE_BITS]:
        value = (value << 1) | b
    par = 0
    for b in bits[TIMECODE_BITS:]:
        par = (par << 1) | b
    return value if par == _parity(value) else None


def _parse(url: str) -> tuple[str, int, int, float]:
    u = urlparse(url)
    name = (u.netloc + u.path).strip("/") or "pattern"
    q = parse_qs(u.query)
    w, h = 1280, 720
    if "size" in q:
        a, _, b = q["size"][0].lower().partition("x")
        w, h = int(a), int(b)
    if w < 64 or h < 64 or w % 2 or h % 2:
        raise ValueError(f"pattern size must be even and at least 64x64 (got {w}x{h})")
    fps = float(q.get("fps", ["25"])[0])
    if not 0 < fps <= 120:
        raise ValueError(f"pattern fps must be in (0, 120] (got {fps})")
    return name, w, h, fps


@register("pattern")
class PatternSource(Source):
    """Synthetic moving picture with the source name and a timecode; never fails."""

    kind = "pattern"
    alive_when_idle = True

    def __init__(self, cfg: SourceSpec) -> None:
        super().__init__(cfg)
        self.pattern_name, self.width, self.height, self.fps = _parse(self.url)
        self._background = self._make_background()

    def _make_background(self) -> Frame:
        w, h = self.width, self.height
        bg = Frame.blank(w, h)
        # Luma: a soft diagonal gradient; chroma: eight colour bars (seeded by the name, so sources differ).
        yy, xx = np.mgrid[0:h, 0:w]
        bg.y[:] = (60 + 60 * (xx / w) + 40 * (yy / h)).astype(np.uint8)
        seed = sum(map(ord, self.pattern_name))
        rng = np.random.default_rng(seed)
        bars_u = rng.integers(70, 186, 8)
        bars_v = rng.integers(70, 186, 8)
        cw = w // 2
        for i in range(8):
            x0, x1 = i * cw // 8, (i + 1) * cw // 8
            bg.u[:, x0:x1] = bars_u[i]
            bg.v[:, x0:x1] = bars_v[i]
        scale = h / 360
        cv2.putText(bg.y, self.pattern_name[:40], (int(20 * scale), int(70 * scale)), cv2.FONT_HERSHEY_SIMPLEX,
                    1.2 * scale, 235, max(1, int(3 * scale)), cv2.LINE_AA)
        return bg

    def make_frame(self, t_wall: float, index: int) -> Frame:
        """One picture for this wall-clock time (public for tests and benchmarks)."""
        w, h = self.width, self.height
        assert self._background.i420 is not None  # Frame.blank makes one buffer
        buf = self._background.i420.copy()
        f = Frame._from_i420(buf, w, h)
        # A box sweeping left to right once every 4 s.
        bw, bh = (w // 8) & ~1, (h // 6) & ~1
        x = int(((t_wall % 4.0) / 4.0) * (w - bw)) & ~1
        y = (h // 2) & ~1
        f.y[y:y + bh, x:x + bw] = 210
        f.u[y // 2:(y + bh) // 2, x // 2:(x + bw) // 2] = 60
        f.v[y // 2:(y + bh) // 2, x // 2:(x + bw) // 2] = 200
        scale = h / 360
        stamp = datetime.fromtimestamp(t_wall, UTC).strftime("%H:%M:%S.%f")[:-3] + f" UTC #{index}"
        cv2.putText(f.y, stamp, (int(20 * scale), int(110 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale, 235,
                    max(1, int(2 * scale)), cv2.LINE_AA)
        draw_timecode(f.y, f.u, f.v, int(t_wall * 1000) & 0xFFFFFFFF)
        return f

    def _run(self) -> None:
        self._mark_connected()
        period = 1.0 / self.fps
        index = 0
        while not self._stopping.is_set():
            if not self._wait_for_viewers():
                return
            next_t = time.monotonic()
            while self._viewers > 0 and not self._stopping.is_set():
                self._emit(self.make_frame(time.time(), index))
                self._data(0)
                index += 1
                next_t += period
                delay = next_t - time.monotonic()
                if delay < -period:  # fell behind (machine busy): drop the backlog, keep the rate
                    next_t = time.monotonic()
                elif delay > 0 and not self._sleep(delay):
                    return
