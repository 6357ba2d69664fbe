"""Our pipeline for a benchmark, run as a child process: file sources (decode threads) -> MediaEngine
compositor -> one libx264 (ultrafast, zerolatency) encode per screen via PyAV.

    python -m backend.bench.ours '{"inputs": [...], "screens": 1, "grid": 2, "seconds": 8, "warmup": 2}'

Prints one JSON object: CPU seconds of this process over the measured window, frames encoded per
screen, and each source's decoded frames.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import threading
import time
from fractions import Fraction

import av

from layouts import Layout, Rect, ScreenSpec, WallSpec, Window, build_wall
from media.engine import MediaEngine
from media.sources import SourceConfigLite

SCREEN = (1920, 1080)
FPS = 25


def grid_layout(n_sources: int, screens: int, grid: int) -> Layout:
    """Source i goes to screen i % screens, in the next free cell of that screen's grid x grid."""
    cw, ch = SCREEN[0] // grid, SCREEN[1] // grid
    windows, used = [], [0] * screens
    for i in range(n_sources):
        s = i % screens
        cell = used[s]
        used[s] += 1
        r, c = divmod(cell, grid)
        windows.append(Window(id=f"w{i}", kind="video", source=f"src{i}", label=False,
                              rect=Rect(s * SCREEN[0] + c * cw, r * ch, cw, ch)))
    return Layout(windows=windows)


def wall(screens: int):
    return build_wall(WallSpec(px_per_mm=1, screens=[
        ScreenSpec(id=f"screen{s}", kind="lcd", resolution=SCREEN, size_mm=SCREEN, position_mm=(s * SCREEN[0], 0))
        for s in range(screens)]))


class Encoder(threading.Thread):
    """Encodes every new composed frame of one screen."""

    def __init__(self, engine: MediaEngine, screen_id: str, stop: threading.Event) -> None:
        super().__init__(daemon=True, name=f"encode-{screen_id}")
        self.out = engine.screen_output(screen_id)
        self.stop_event = stop
        self.frames = 0
        self.bytes = 0
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width, ctx.height = SCREEN
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = Fraction(1, FPS)
        ctx.framerate = Fraction(FPS, 1)
        ctx.gop_size = 2 * FPS
        ctx.options = {"preset": "ultrafast", "tune": "zerolatency"}
        self.ctx = ctx

    def run(self) -> None:
        seq = 0
        while not self.stop_event.is_set():
            frame = self.out.wait_newer(seq, 0.5)
            if frame is None:
                continue
            seq = frame.seq
            vf = frame.to_av()
            vf.pts = self.frames
            for pkt in self.ctx.encode(vf):
                self.bytes += pkt.size
            self.frames += 1


def thread_cpu(tids: list[int]) -> float:
    """CPU seconds of these threads of this process (from /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def all_threads() -> list[int]:
    return [int(t) for t in os.listdir("/proc/self/task")]


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run(spec: dict) -> dict:
    inputs: list[str] = spec["inputs"]
    screens: int = spec.get("screens", 1)
    grid: int = spec.get("grid") or math.ceil(math.sqrt(len(inputs) / screens))
    seconds: float = spec.get("seconds", 8)
    warmup: float = spec.get("warmup", 2)
    sources = [SourceConfigLite(f"src{i}", f"file://{p}") for i, p in enumerate(inputs)]
    engine = MediaEngine(wall(screens), sources, fps=FPS, labels=spec.get("labels", False))
    engine.set_layout(grid_layout(len(inputs), screens, grid))
    stop = threading.Event()
    encoders = [Encoder(engine, f"screen{s}", stop) for s in range(screens)]
    engine.start()
    for s in range(screens):
        engine.acquire_screen(f"screen{s}")
    for enc in encoders:
        enc.start()
    time.sleep(warmup)

    def seqs() -> list[int]:
        return [(engine.source(f"src{i}").latest.get() or _Zero).seq for i in range(len(inputs))]

    # Which OS threads do what, for the CPU breakdown (reaches into the engine: a benchmark's privilege).
    roles = {
        "decode": [t.native_id for i in range(len(inputs)) if (t := engine.source(f"src{i}")._thread)],
        "compose": [t.native_id for t in getattr(engine._pool, "_threads", ())]
        + ([engine._ticker.native_id] if engine._ticker else []),
        "encode": [e.native_id for e in encoders],
    }
    known = {t for ids in roles.values() for t in ids}

    def by_role() -> dict[str, float]:
        out = {k: thread_cpu(v) for k, v in roles.items()}
        out["codec_threads_and_rest"] = thread_cpu([t for t in all_threads() if t not in known])
        return out

    r0 = by_role()
    f0, s0, c0, t0 = [e.frames for e in encoders], seqs(), cpu_seconds(), time.monotonic()
    dropped0 = sum(engine.health()["screens"][f"screen{s}"]["dropped"] for s in range(screens))
    time.sleep(seconds)
    f1, s1, c1, t1 = [e.frames for e in encoders], seqs(), cpu_seconds(), time.monotonic()
    r1 = by_role()
    health = engine.health()
    dropped1 = sum(health["screens"][f"screen{s}"]["dropped"] for s in range(screens))
    stop.set()
    engine.stop()
    wall_s = t1 - t0
    return {
        "wall_s": wall_s,
        "cpu_s": c1 - c0,
        "frames": [b - a for a, b in zip(f0, f1, strict=False)],
        "source_frames": [b - a for a, b in zip(s0, s1, strict=False)],
        "dropped_ticks": dropped1 - dropped0,
        "compose_ms": [health["screens"][f"screen{s}"]["compose_ms"] for s in range(screens)],
        "cpu_by_role": {k: round(r1[k] - r0[k], 3) for k in r1},
    }


class _Zero:
    seq = 0


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))), flush=True)
