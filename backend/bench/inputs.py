"""Benchmark inputs: short H.264 clips (testsrc2) generated with ffmpeg into a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SIZES = {"1080p": (1920, 1080), "720p": (1280, 720)}


def ffmpeg_binary() -> str:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise SystemExit("ffmpeg is needed for the benchmark (Debian package ffmpeg)")
    return exe


def make_input(directory: Path, size: str, seconds: int = 10, fps: int = 25) -> Path:
    """An H.264 clip like a camera's: constant frame rate, a keyframe every 2 s, no B-frames."""
    w, h = SIZES[size]
    out = directory / f"testsrc2-{size}-{fps}.mp4"
    if not out.exists():
        subprocess.run(
            [ffmpeg_binary(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}",
             "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-g", str(2 * fps), "-bf", "0",
             "-pix_fmt", "yuv420p", str(out)],
            check=True,
        )
    return out
