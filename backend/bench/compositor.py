"""`hall bench compositor`: N sources onto M 1080p screens, ours against ffmpeg on the same inputs.

Ours: a decode thread per source (PyAV), the MediaEngine compositor, a libx264 ultrafast
zerolatency encode per screen (PyAV). ffmpeg: -re inputs, scale (bilinear), xstack, libx264
ultrafast zerolatency. Both run in real time for the same measured window after a warm-up; the
figure is CPU-seconds per output-second (an output-second: every screen's 25 frames).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from backend.bench import reference
from backend.bench.inputs import SIZES, make_input
from backend.bench.ours import FPS

# (name, inputs by size, screens)
SCENARIOS = [
    ("4x1080p->1", ["1080p"] * 4, 1),
    ("9x720p->1", ["720p"] * 9, 1),
    ("4x1080p+4x720p->2", ["1080p", "720p"] * 4, 2),
]


def run_ours(inputs: list[str], screens: int, grid: int, seconds: float, warmup: float, labels: bool = False) -> dict:
    spec = {"inputs": inputs, "screens": screens, "grid": grid, "seconds": seconds, "warmup": warmup,
            "labels": labels}
    res = subprocess.run([sys.executable, "-m", "backend.bench.ours", json.dumps(spec)], capture_output=True,
                         text=True, timeout=seconds + warmup + 60)
    if res.returncode != 0:
        raise RuntimeError(f"our pipeline failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def summarise(res: dict) -> dict:
    frames = min(res["frames"]) if res["frames"] else 0
    out_s = frames / FPS  # seconds of output video on every screen
    return {
        "fps_held": round(frames / res["wall_s"], 2),
        "cpu_s": round(res["cpu_s"], 3),
        "cpu_per_output_s": round(res["cpu_s"] / out_s, 3) if out_s else None,
        "cores": round(res["cpu_s"] / res["wall_s"], 3),
    }


def parse_scenario(text: str) -> tuple[str, list[str], int]:
    """'4x1080p+2x720p:2' -> name, input sizes, screens; ValueError naming what is wrong."""
    spec, _, screens = text.partition(":")
    sizes: list[str] = []
    for chunk in spec.split("+"):
        n, _, size = chunk.partition("x")
        if not n.isdigit() or int(n) < 1 or size not in SIZES:
            raise ValueError(f"--scenario {text!r}: {chunk!r} is not COUNTxSIZE with SIZE one of "
                             f"{', '.join(SIZES)} (e.g. 4x1080p+4x720p:2)")
        sizes += [size] * int(n)
    if screens and (not screens.isdigit() or not 1 <= int(screens) <= 16):
        raise ValueError(f"--scenario {text!r}: screens after ':' must be 1-16")
    return f"{spec}->{screens or 1}", sizes, int(screens or 1)


def _median(rows: list[dict]) -> dict:
    keys = rows[0].keys()
    return {k: sorted(r[k] for r in rows)[len(rows) // 2] if rows[0][k] is not None else None for k in keys}


def main(seconds: float = 8, warmup: float = 2, scenarios: list[str] | None = None, labels: bool = False,
         repeat: int = 1) -> int:
    chosen = [parse_scenario(s) for s in scenarios] if scenarios else SCENARIOS
    results = []
    with tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp:
        files = {size: str(make_input(Path(tmp), size)) for size in {s for _, sizes, _ in chosen for s in sizes}}
        for name, sizes, screens in chosen:
            inputs = [files[s] for s in sizes]
            grid = math.ceil(math.sqrt(len(inputs) / screens))
            ours_runs, ref_runs, loads = [], [], []
            for _ in range(max(1, repeat)):  # interleaved, so a busy moment hits both alike
                loads.append(os.getloadavg()[0])
                raw = run_ours(inputs, screens, grid, seconds, warmup, labels)
                ours_runs.append(summarise(raw))
                ref_runs.append(summarise(reference.run(inputs, screens, grid, seconds, warmup)))
            ours, ref = _median(ours_runs), _median(ref_runs)
            ratio = round(ours["cpu_per_output_s"] / ref["cpu_per_output_s"], 3) \
                if ours["cpu_per_output_s"] and ref["cpu_per_output_s"] else None
            row = {"bench": "compositor", "scenario": name, "sources": len(inputs), "screens": screens,
                   "grid": grid, "seconds": seconds, "repeat": max(1, repeat), "ours": ours, "ffmpeg": ref,
                   "ratio_ours_ffmpeg": ratio, "ours_cpu_by_role": raw.get("cpu_by_role"),
                   "loadavg_1m": round(max(loads), 2), "cpus": os.cpu_count()}
            results.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"{'scenario':<22} {'ours cpu/s':>10} {'ours fps':>9} {'ffmpeg cpu/s':>12} {'ffmpeg fps':>10} {'ratio':>7}")
    for r in results:
        print(f"{r['scenario']:<22} {r['ours']['cpu_per_output_s']:>10} {r['ours']['fps_held']:>9} "
              f"{r['ffmpeg']['cpu_per_output_s']:>12} {r['ffmpeg']['fps_held']:>10} {r['ratio_ours_ffmpeg']:>7}")
    print("cpu/s: CPU-seconds per output-second (all screens); ratio: ours/ffmpeg, target <= 1.0")
    busy = [r for r in results if r["loadavg_1m"] > (os.cpu_count() or 1)]
    if busy:
        print(f"note: the machine was busy (load average above {os.cpu_count()}) during "
              f"{', '.join(r['scenario'] for r in busy)}; fps and ratios are noisy then")
    return 0
