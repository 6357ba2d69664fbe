"""The reference job done by ffmpeg on the same inputs: decode, scale, xstack, libx264 ultrafast.

CPU time is read from /proc/<pid>/stat over the same measured window as ours (after a warm-up),
frames from ffmpeg's -progress output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

from backend.bench.inputs import ffmpeg_binary
from backend.bench.ours import FPS, SCREEN

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def command(inputs: list[str], screens: int, grid: int, scale_flags: str = "bilinear") -> list[str]:
    cw, ch = SCREEN[0] // grid, SCREEN[1] // grid
    args = [ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
            "-stats_period", "0.5"]
    for p in inputs:
        args += ["-re", "-stream_loop", "-1", "-i", str(p)]
    chains = [f"[{i}:v]scale={cw}:{ch}:flags={scale_flags},format=yuv420p[v{i}]" for i in range(len(inputs))]
    for s in range(screens):
        mine = [i for i in range(len(inputs)) if i % screens == s]
        if grid == 1 or len(mine) == 1:
            chains.append(f"[v{mine[0]}]pad={SCREEN[0]}:{SCREEN[1]}[s{s}]")
            continue
        cells = "|".join(f"{(k % grid) * cw}_{(k // grid) * ch}" for k in range(len(mine)))
        pads = "".join(f"[v{i}]" for i in mine)
        fill = ":fill=black" if len(mine) < grid * grid else ""
        # xstack sizes its output from the cells used; pad keeps every screen at full size.
        chains.append(f"{pads}xstack=inputs={len(mine)}:layout={cells}{fill},pad={SCREEN[0]}:{SCREEN[1]}[s{s}]")
    args += ["-filter_complex", ";".join(chains)]
    for s in range(screens):
        args += ["-map", f"[s{s}]", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                 "-g", str(2 * FPS), "-r", str(FPS), "-f", "h264", "-y", "/dev/null"]
    return args


def run(inputs: list[str], screens: int, grid: int, seconds: float, warmup: float) -> dict:
    proc = subprocess.Popen(command(inputs, screens, grid), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    frames = [0]

    def read_progress() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("frame="):
                frames[0] = int(line.split("=", 1)[1])

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    try:
        time.sleep(warmup)
        if proc.poll() is not None:
            raise RuntimeError(f"ffmpeg ended early: {proc.stderr.read() if proc.stderr else ''}")
        f0, c0, t0 = frames[0], _cpu_of(proc.pid), time.monotonic()
        time.sleep(seconds)
        f1, c1, t1 = frames[0], _cpu_of(proc.pid), time.monotonic()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    # -progress reports frames of the first output; every screen runs at the same rate.
    return {"wall_s": t1 - t0, "cpu_s": c1 - c0, "frames": [f1 - f0] * screens}
