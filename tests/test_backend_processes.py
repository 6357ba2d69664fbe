"""The hall as real processes: embedded Redis life cycle, two processes sharing broadcasts,
riding out a Redis restart, and user administration from the command line."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import socketio

from backend.config import DEFAULT_CONFIG
from backend.redis_server import EmbeddedRedis, read_state
from tests.conftest import HALL, HallProcess

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def _wait_dead(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_demo_starts_its_own_redis_and_ctrl_c_stops_both(tmp_path: Path):
    hall = HallProcess(None, tmp_path, cmd="demo")
    try:
        state = read_state(tmp_path)
        assert state is not None, "the embedded Redis should be recorded in the data directory"
        redis_pid = state["pid"]
        assert _alive(redis_pid)
        assert "/wall/screens/led-main?token=" in hall.banner
        assert "operator1" in hall.banner and "/console/" in hall.banner and "/field/" in hall.banner
        status, body = hall.request("GET", "/healthz")
        assert status == 200 and body["redis"] is True
        # the demo seeds a first picture on the wall: the five dashboards beside three cameras, and the ticker
        windows = hall.wall()["layout"]["windows"]
        assert len([w for w in windows if w["kind"] == "video"]) == 3
        assert {w["panel"] for w in windows if w["kind"] == "panel"} == {
            "info-aggregation", "event-management", "dispute-mediation", "early-warning", "performance", "ticker"}
        status, body = hall.request("GET", "/api/presets", token=hall.token("admin"))
        assert {p["name"] for p in body["presets"]} == {"Demo start", "Morning briefing"}
        # the demo's own feeds keep its connectors alive
        status, body = hall.request("GET", "/api/connectors", token=hall.token("admin"))
        deadline = time.monotonic() + 20
        while not all(c["values"] for c in body["connectors"] if c["polled"]) and time.monotonic() < deadline:
            time.sleep(0.5)
            status, body = hall.request("GET", "/api/connectors", token=hall.token("admin"))
        polled = {c["id"]: c for c in body["connectors"] if c["polled"]}
        assert set(polled) == {"weather", "traffic", "news"} and all(c["ok"] for c in polled.values()), polled
    finally:
        rc = hall.stop(signal.SIGINT)
    assert rc == 0
    assert _wait_dead(redis_pid), "the embedded redis-server outlived the hall"
    assert read_state(tmp_path) is None
    # its append-only file is on disk: the next start finds the same wall
    assert any((tmp_path / "redis" / "appendonlydir").iterdir())


def test_demo_keeps_the_wall_across_a_restart_on_the_same_data_dir(tmp_path: Path):
    hall = HallProcess(None, tmp_path, cmd="demo")
    try:
        admin = hall.token("admin")
        wall = hall.wall()
        status, _ = hall.request("PUT", "/api/wall/layout", {"version": wall["layout"]["version"], "windows": []},
                                 token=admin)
        assert status == 200
        version = hall.wall()["layout"]["version"]
    finally:
        hall.stop()
    again = HallProcess(None, tmp_path, cmd="demo")
    try:
        layout = again.wall()["layout"]
        assert layout["version"] == version and layout["windows"] == []
    finally:
        again.stop()


def test_kill_9_of_the_hall_leaves_no_orphan_redis(tmp_path: Path):
    hall = HallProcess(None, tmp_path, cmd="demo")
    redis_pid = read_state(tmp_path)["pid"]
    hall.proc.send_signal(signal.SIGKILL)
    hall.proc.wait()
    hall.stop()
    assert _wait_dead(redis_pid), "redis-server survived a kill -9 of the hall"


def test_failed_start_stops_the_embedded_redis_and_names_the_problem(tmp_path: Path):
    (tmp_path / "a").mkdir()
    blocker = HallProcess(None, tmp_path / "a", cmd="demo")
    try:
        proc = subprocess.run([HALL, "demo", "--port", str(blocker.port), "--data-dir", str(tmp_path / "b")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1
        assert f"cannot listen on 127.0.0.1:{blocker.port}" in proc.stderr
        assert read_state(tmp_path / "b") is None
        leftovers = subprocess.run(["pgrep", "-f", f"--dir {tmp_path / 'b'}"], capture_output=True, text=True)
        assert leftovers.stdout.strip() == "", "redis-server of the failed start is still running"
    finally:
        blocker.stop()


async def _console_client(hall: HallProcess, token: str) -> tuple[socketio.AsyncClient, asyncio.Queue]:
    sio = socketio.AsyncClient(reconnection=False)
    queue: asyncio.Queue = asyncio.Queue()
    sio.on("layout", lambda data: queue.put_nowait(data), namespace="/console")
    await sio.connect(hall.url, namespaces=["/console"], auth={"token": token}, transports=["websocket"])
    return sio, queue


async def test_two_processes_on_one_redis_share_broadcasts(redis_url: str, tmp_path: Path):
    a = HallProcess(redis_url, tmp_path)
    b = HallProcess(redis_url, tmp_path)
    try:
        sio, queue = await _console_client(b, b.token("operator2"))
        try:
            first = await asyncio.wait_for(queue.get(), 5)  # the layout sent on connect
            token = a.token("operator1")
            status, body = await asyncio.to_thread(
                a.request, "POST", "/api/wall/windows",
                {"version": first["version"], "window": {"kind": "clock", "rect": {"x": 0, "y": 0, "w": 400,
                                                                                   "h": 200}}},
                token)
            assert status == 201, body
            seen = await asyncio.wait_for(queue.get(), 5)
            assert seen["version"] == body["layout"]["version"]
            assert seen["updated_by"] == "operator1"
            assert [w["kind"] for w in seen["windows"]] == ["clock"]
            # a stale write through the other process is refused there too
            status, body = await asyncio.to_thread(
                b.request, "PUT", "/api/wall/layout", {"version": first["version"],
                                                       "windows": []}, b.token("operator2"))
            assert status == 409 and body["current_version"] == seen["version"]
            # a logout through one process drops that token's sockets in the other at once
            token2 = b.token("operator2")
            watcher, _ = await _console_client(b, token2)
            try:
                status, _ = await asyncio.to_thread(a.request, "POST", "/api/auth/logout", None, token2)
                assert status == 204
                for _ in range(100):
                    if "/console" not in watcher.namespaces:
                        break
                    await asyncio.sleep(0.05)
                assert "/console" not in watcher.namespaces, "the other process kept the revoked socket"
                assert "/console" in sio.namespaces
            finally:
                await watcher.disconnect()
        finally:
            await sio.disconnect()
    finally:
        a.stop()
        b.stop()


def test_writes_ride_out_a_redis_restart_and_acknowledged_ones_survive(tmp_path: Path):
    server = EmbeddedRedis(tmp_path / "redis-data")
    server.start()
    port, password = server.port, server.password
    hall = HallProcess(server.url, tmp_path)
    try:
        token = hall.token("operator1")
        version = hall.wall()["layout"]["version"]
        rect = {"x": 0, "y": 0, "w": 400, "h": 200}
        status, body = hall.request("POST", "/api/wall/windows",
                                    {"version": version, "window": {"kind": "clock", "rect": rect,
                                                                    "id": "before"}}, token)
        assert status == 201
        version = body["layout"]["version"]

        server.stop()  # Redis goes away...
        result: dict = {}

        def write() -> None:
            result["answer"] = hall.request(
                "POST", "/api/wall/windows",
                {"version": version, "window": {"kind": "clock", "rect": rect, "id": "during"}}, token)

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(1.0)
        back = EmbeddedRedis(tmp_path / "redis-data", port=port)  # ...and comes back on the same port and data
        back.password = password
        back.start()
        try:
            writer.join(20)
            status, body = result["answer"]
            assert status == 201, body
            ids = [w["id"] for w in hall.wall()["layout"]["windows"]]
            assert ids == ["before", "during"]
        finally:
            hall.stop()
            back.stop()
    finally:
        server.stop()


def test_users_and_tokens_from_the_command_line_against_a_running_hall(tmp_path: Path):
    hall = HallProcess(None, tmp_path, cmd="demo")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([HALL, *args, "--data-dir", str(tmp_path)], input=stdin, capture_output=True,
                              text=True, timeout=60, env=env)
    try:
        added = cli("users", "add", "dispatcher7", "--role", "commander", "--password-stdin", stdin="s3cret-words\n")
        assert added.returncode == 0, added.stderr
        assert "dispatcher7\tcommander" in cli("users", "list").stdout
        again = cli("users", "add", "dispatcher7", "--role", "commander", "--password-stdin", stdin="s3cret-words\n")
        assert again.returncode == 1 and "exists" in again.stderr
        short = cli("users", "add", "x1", "--role", "operator", "--password-stdin", stdin="short\n")
        assert short.returncode == 1 and "password" in short.stderr
        status, body = hall.request("POST", "/api/auth/login", {"username": "dispatcher7", "password": "s3cret-words"})
        assert status == 200 and body["user"]["role"] == "commander"

        token = cli("token", "dispatcher7").stdout.strip()
        status, body = hall.request("GET", "/api/auth/me", token=token)
        assert status == 200 and body["name"] == "dispatcher7"

        # tokens expire by default, can be listed (never shown again) and revoked by id
        listed = [line.split("\t") for line in cli("token", "--list", "dispatcher7").stdout.splitlines()]
        cli_tokens = [t for t in listed if t[3] == "cli"]
        assert len(cli_tokens) == 1 and token not in cli("token", "--list").stdout
        assert cli_tokens[0][5].startswith("expires 20")  # a date, not "never"
        short_lived = cli("token", "dispatcher7", "--ttl-days", "1").stdout.strip()
        ids = {t[0] for t in (line.split("\t") for line in cli("token", "--list", "dispatcher7").stdout.splitlines())}
        revoked = cli("token", "--revoke", next(iter(ids - {cli_tokens[0][0]} - {t[0] for t in listed})))
        assert revoked.returncode == 0, revoked.stderr
        assert hall.request("GET", "/api/auth/me", token=short_lived)[0] == 401
        assert hall.request("GET", "/api/auth/me", token=token)[0] == 200

        # kiosk tokens: only their hashes are in Redis; --screen issues a new one and the old stops working
        old_url = hall.screen_url("lcd-1-1")
        old = old_url.rsplit("token=", 1)[1]
        dump = subprocess.run(["redis-cli", "-u", read_state(tmp_path)["url"], "--no-auth-warning", "--scan"],
                              capture_output=True, text=True, timeout=30).stdout
        values = subprocess.run(["redis-cli", "-u", read_state(tmp_path)["url"], "--no-auth-warning", "GET",
                                 "hall:screen-token:lcd-1-1"], capture_output=True, text=True, timeout=30).stdout
        assert old not in dump and old not in values
        new = cli("token", "lcd-1-1", "--screen").stdout.strip()
        assert new and new != old
        assert hall.request("GET", "/api/auth/me", token=old)[0] == 401
        assert hall.request("GET", "/api/auth/me", token=new)[0] == 200

        removed = cli("users", "remove", "dispatcher7")
        assert removed.returncode == 0
        status, _ = hall.request("GET", "/api/auth/me", token=token)
        assert status == 401, "removing a user must revoke their tokens"
        assert cli("users", "remove", "dispatcher7").returncode == 1
    finally:
        hall.stop()
    nothing = subprocess.run([HALL, "users", "list", "--data-dir", str(tmp_path)], capture_output=True, text=True,
                             timeout=60, env=env)
    assert nothing.returncode == 2 and "no Redis to talk to" in nothing.stderr


def test_demo_on_the_lan_serves_https_with_a_certificate_for_this_machine(tmp_path: Path):
    import ssl
    import urllib.request

    from cryptography import x509

    hall = HallProcess(None, tmp_path, cmd="demo", extra=("--lan",))
    try:
        m = re.search(r"console:\s+(https://(\S+?):(\d+))/console/", hall.banner)
        assert m, hall.banner
        cert = x509.load_pem_x509_certificate((tmp_path / "tls" / "lan-cert.pem").read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert m.group(2) in {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
        ctx = ssl.create_default_context(cafile=str(tmp_path / "tls" / "lan-cert.pem"))  # trusted once, like a phone
        with urllib.request.urlopen(f"{m.group(1)}/healthz", context=ctx, timeout=10) as resp:
            assert resp.status == 200
    finally:
        hall.stop()


def test_a_missing_tls_certificate_stops_the_start_naming_it(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    out = subprocess.run([HALL, "serve", "--config", str(DEFAULT_CONFIG), "--port", "0", "--data-dir", str(tmp_path),
                          "--tls-cert", str(tmp_path / "no.pem"), "--tls-key", str(tmp_path / "no.key")],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 1 and "no.pem" in out.stderr and "--tls-cert" in out.stderr
