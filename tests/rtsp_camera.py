"""Test cameras: tests/rtsp_server.py (GStreamer's RTSP server, run by the system python3 with
python3-gi) as a subprocess that can be stopped, frozen and started again on the same port."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

SERVER = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def gst_rtsp_available() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0'); "
                            "from gi.repository import GstRtspServer"], capture_output=True)
    return probe.returncode == 0


class RtspCamera:
    """Mounts like "/cam=1280x720" or "/a=640x360:red" (a videotestsrc pattern) on one loopback port."""

    def __init__(self, port: int, mounts: list[str], fps: int = 25, auth: str | None = None) -> None:
        self.port, self.mounts, self.fps = port, mounts, fps
        self.auth = auth  # "user:password" every client must give, as cameras ask
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> None:
        args = [SYSTEM_PYTHON, str(SERVER), "--port", str(self.port), "--fps", str(self.fps)]
        for m in self.mounts:
            args += ["--mount", m]
        if self.auth:
            args += ["--auth", self.auth]
        deadline = time.monotonic() + timeout
        while True:  # right after a stop the port may still be held for a moment
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = self.proc.stdout.readline()  # "READY <port>"
            if line.startswith("READY"):
                return
            err = self.proc.communicate()[1]
            if time.monotonic() > deadline:
                raise RuntimeError(f"RTSP server did not start: {line!r} {err}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def freeze(self) -> None:
        """The camera hangs: the connection stays open and nothing arrives."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def url(self, mount: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}{mount}"
