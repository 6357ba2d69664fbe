"""Shared fixtures: a real redis-server per test session, the app in-process, and `hall` as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis as sync_redis

from backend.config import DEFAULT_CONFIG, HallConfig, load_config
from backend.redis_server import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
HALL = str(Path(sys.executable).parent / "hall")
DEMO_PASSWORDS = {u.name: u.password for u in load_config(DEFAULT_CONFIG).users}


def wait_for(pred, timeout: float = 10.0, step: float = 0.05):
    """Poll pred() from a thread-free test until it is truthy or the time is up; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


@pytest.fixture(scope="session")
def ecdsa_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """FFmpeg's whip muxer needs an ECDSA certificate for DTLS with aiortc (TESTING.md)."""
    d = tmp_path_factory.mktemp("cert")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=whip-test"],
                   check=True, capture_output=True)
    return str(cert), str(key)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    """One real redis-server (the same embedded start-up the hall uses) for the session."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    """The session's Redis, emptied before each test."""
    client = sync_redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture(scope="session")
def demo_config() -> HallConfig:
    return load_config(DEFAULT_CONFIG)


@pytest.fixture
async def client(redis_url: str, demo_config: HallConfig):
    """An aiohttp test client on the real application (real Redis), demo users bootstrapped."""
    from aiohttp.test_utils import TestClient, TestServer

    from backend.app import create_app

    app = create_app(demo_config, redis_url)
    async with TestClient(TestServer(app)) as c:
        yield c


async def login(client, name: str) -> dict[str, str]:
    """Authorization header of a fresh token for a demo user."""
    resp = await client.post("/api/auth/login", json={"username": name, "password": DEMO_PASSWORDS[name]})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


# The halls the tests start hash their 40-odd users, and every login, with Argon2id at a light cost (the same
# code, a cheaper setting of auth.password_hashing): at the default 64 MiB and 3 passes each hall's start and each
# token took a third of a core-second, a quarter of the suite's CPU. The in-process API tests keep the default.
LIGHT_HASHING = ("--set", "auth.password_hashing={time_cost: 1, memory_kib: 1024, parallelism: 1}")


class HallProcess:
    """`hall serve` as a real process on the demo configuration and a given Redis."""

    def __init__(self, redis_url: str | None, data_dir: Path, config: Path = DEFAULT_CONFIG,
                 cmd: str = "serve", port: int | None = None, extra: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.users = dict(DEMO_PASSWORDS)
        env = dict(os.environ)
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        self.log = open(data_dir / f"hall-{self.port}.log", "w+")
        self.proc = subprocess.Popen(
            [HALL, cmd, "--config", str(config), "--port", str(self.port), "--data-dir", str(data_dir),
             *LIGHT_HASHING, *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env, cwd=ROOT)
        self.banner = self._wait_banner()

    def _wait_banner(self, timeout: float = 240) -> str:
        # generous: a hall starts in seconds, but minutes pass when other tests load the 2 cores
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    self.log.seek(0)
                    raise RuntimeError(f"hall exited {self.proc.returncode}: {''.join(lines)}\n"
                                       f"{self.log.read()[-3000:]}")
                continue
            lines.append(line)
            if line.startswith("listening on"):
                return "".join(lines)
        self.proc.kill()  # not left behind on a busy machine, where it would slow everyone's next try
        self.proc.wait()
        raise TimeoutError("hall did not start: " + "".join(lines))

    def request(self, method: str, path: str, body: object = None, token: str | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else {})
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, (json.loads(raw) if raw else {})

    def token(self, name: str) -> str:
        status, body = self.request("POST", "/api/auth/login", {"username": name, "password": self.users[name]})
        assert status == 200, body
        return body["token"]

    def screen_url(self, screen_id: str) -> str:
        m = re.search(rf"^\s+{re.escape(screen_id)}\s.*?(http\S+)$", self.banner, re.M)
        assert m, f"no URL for screen {screen_id} in the banner"
        return m.group(1)

    def wall(self) -> dict:
        status, body = self.request("GET", "/api/wall", token=self.token("admin"))
        assert status == 200, body
        return body

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="session")
def hall(tmp_path_factory: pytest.TempPathFactory):
    """A running `hall serve` on the demo district with a Redis of its own (session-wide, for
    end-to-end tests; other tests empty the shared `redis_server` between them)."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("hall-redis"))
    server.start()
    proc = HallProcess(server.url, tmp_path_factory.mktemp("hall"))
    proc.redis_url = server.url  # tests that play another part of the hall (e.g. workers' positions) write there
    yield proc
    proc.stop()
    server.stop()


@pytest.fixture
def fresh_wall(hall: HallProcess) -> HallProcess:
    """The session's hall with an empty wall (layout reset through the API)."""
    admin = hall.token("admin")
    version = hall.wall()["layout"]["version"]
    status, body = hall.request("PUT", "/api/wall/layout", {"version": version, "windows": []}, token=admin)
    assert status == 200, body
    return hall


# -- helpers for the backend API tests (tests/test_backend_api_*.py) ------------------------
def token_of(headers: dict[str, str]) -> str:
    """The bare bearer token inside an Authorization header made by `login`."""
    return headers["Authorization"].split(" ", 1)[1]


async def connect_socket(client, namespace: str, token: str | None, events: tuple[str, ...] = (),
                         extra: dict | None = None):
    """A python-socketio client connected to the test server's namespace; received events go into `.received`.

    Raises socketio.exceptions.ConnectionError when the server refuses the connection.
    """
    import socketio

    sio = socketio.AsyncClient(reconnection=False)
    sio.received = {e: [] for e in events}  # type: ignore[attr-defined]
    for event in events:
        sio.on(event, (lambda e: lambda data: sio.received[e].append(data))(event), namespace=namespace)
    auth = {"token": token, **(extra or {})} if token is not None else None
    try:
        await sio.connect(str(client.make_url("")), namespaces=[namespace], auth=auth,
                          transports=["websocket"], wait_timeout=10)
    except BaseException:
        await sio.disconnect()
        raise
    return sio


async def wait_until(predicate, timeout: float = 5.0, what: str = "condition") -> None:
    """Wait up to a few seconds for predicate() to be true (broadcasts arrive asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


_DEMO_USER_HASHES: dict[str, dict[str, str]] = {}


async def seed_demo_users(redis_url: str, demo_config: HallConfig) -> None:
    """Put the demo users into an emptied Redis: bootstrapped (Argon2) once per session, copied after."""
    import redis.asyncio as aioredis

    from backend import keys
    from backend.auth import Users

    r = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        if not _DEMO_USER_HASHES:
            await Users(r, demo_config.auth).bootstrap(demo_config.users, dict(os.environ))
            for name in await r.smembers(keys.USERS):
                _DEMO_USER_HASHES[name] = await r.hgetall(keys.user(name))
        else:
            for name, record in _DEMO_USER_HASHES.items():
                await r.hset(keys.user(name), mapping=record)
                await r.sadd(keys.USERS, name)
    finally:
        await r.aclose()


@pytest.fixture
async def api_client(redis_url: str, demo_config: HallConfig):
    """Like `client`, but the demo users' records (made once by the real bootstrap) are copied into the
    emptied Redis instead of being hashed again with Argon2 for every test."""
    from aiohttp.test_utils import TestClient, TestServer

    from backend.app import create_app

    await seed_demo_users(redis_url, demo_config)
    app = create_app(demo_config, redis_url, bootstrap_users=False)
    async with TestClient(TestServer(app)) as c:
        yield c
