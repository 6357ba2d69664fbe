"""`hall bench events`: sustained intake against a real `hall serve` and a real Redis with
`appendfsync always`; p50/p99 time to acknowledgment and to the Socket.IO broadcast reaching a
console client, at a fixed offered rate (open loop: latency counts from the scheduled send) and
at saturation (closed loop). Prints figures and one JSON line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import socketio

from ..config import HallConfig
from ..redis_server import EmbeddedRedis


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000, 2)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedHall:
    """`hall serve` in a process of its own on a given configuration and Redis (its log in data_dir)."""

    def __init__(self, config: str, redis_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, REDIS_URL=redis_url, HALL_LOG_LEVEL="WARNING")
        self.log = open(data_dir / "hall.log", "w")
        self.log_path = data_dir / "hall.log"
        self.proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--config", config, "--port",
                                      str(self.port), "--data-dir", str(data_dir)], stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 180  # a busy 2-core machine starts a hall slowly
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on"):
                return
            if not line and self.proc.poll() is not None:
                self.log.flush()
                tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"hall exited {self.proc.returncode}: {tail}")
        self.stop()
        raise RuntimeError("hall did not start in 180 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


async def _token(session: aiohttp.ClientSession, url: str, cfg: HallConfig, role: str) -> str:
    user = next(u for u in cfg.users if u.role == role and u.password)
    async with session.post(f"{url}/api/auth/login", json={"username": user.name, "password": user.password}) as r:
        r.raise_for_status()
        return (await r.json())["token"]


ROUTE = "/api/events"


async def _server_buckets(session: aiohttp.ClientSession, url: str, token: str,
                          name: str = "hall_http_request_seconds_bucket") -> dict[float, float]:
    """One of the hall's own histograms (cumulative bucket counts): by default the time spent on
    POST /api/events; `hall_event_loop_lag_seconds_bucket` for how late its event loop ran."""
    from prometheus_client.parser import text_string_to_metric_families

    async with session.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}) as r:
        text = await r.text()
    out: dict[float, float] = {}
    for fam in text_string_to_metric_families(text):
        for smp in fam.samples:
            if smp.name == name and (smp.labels.get("route") == ROUTE or "route" not in smp.labels):
                out[float(smp.labels["le"])] = smp.value
    return out


def _loop_stalls(before: dict[float, float], after: dict[float, float], at_least: float = 0.05) -> dict:
    """How often the hall's event loop ran its 50 ms timer `at_least` late, and the worst bucket (ms)."""
    les = sorted(after)
    count = lambda le: after.get(le, 0.0) - before.get(le, 0.0)  # noqa: E731  (cumulative: <= le)
    total = count(float("inf")) if les else 0.0
    below = max((count(le) for le in les if le < at_least), default=0.0)
    worst = next((le for le in les if count(le) >= total), None) if total else None
    return {"late": int(total - below), "worst_le_ms": None if worst in (None, float("inf")) else worst * 1000}


class _RedisLatency:
    """Redis's own latency monitor around a phase: how slow its fsyncs and commands were, so a tail
    caused by the disk shows as such. Needs CONFIG (an external Redis may refuse: then unknown)."""

    def __init__(self, redis_url: str) -> None:
        import redis.asyncio as aioredis

        self.r = aioredis.Redis.from_url(redis_url, decode_responses=True)
        self.ok = True

    async def start(self) -> None:
        try:
            await self.r.config_set("latency-monitor-threshold", 10)
            await self.r.execute_command("LATENCY", "RESET")
        except Exception:
            self.ok = False

    async def worst(self) -> dict[str, int] | None:
        if not self.ok:
            return None
        rows = await self.r.execute_command("LATENCY", "LATEST")
        return {str(row[0]): int(row[3]) for row in rows}  # event -> worst ms since the reset

    async def close(self) -> None:
        if self.ok:
            try:
                await self.r.config_set("latency-monitor-threshold", 0)  # as it was: off
            except Exception:
                pass
        await self.r.aclose()


def _bucket_p99(before: dict[float, float], after: dict[float, float]) -> float | None:
    """The upper bound (ms) of the histogram bucket holding the server-side p99 between two scrapes:
    separates time in the hall from time queued in this load generator or the machine."""
    les = sorted(after)
    counts = [after[le] - before.get(le, 0.0) for le in les]
    if not counts or counts[-1] <= 0:
        return None
    for le, c in zip(les, counts, strict=False):
        if c >= 0.99 * counts[-1]:
            return le * 1000 if le != float("inf") else None
    return None


async def _durability(redis_url: str) -> str:
    """What the Redis under test really does with writes (an external one may differ)."""
    import redis.asyncio as aioredis

    r = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        conf = await r.config_get("append*")
        return f"appendonly {conf.get('appendonly')}, appendfsync {conf.get('appendfsync')}"
    except Exception:
        return "unknown (CONFIG not allowed)"
    finally:
        await r.aclose()


async def run(cfg: HallConfig, config_path: str, *, rate: float, duration: float, saturation_s: float,
              concurrency: int, windows: int = 3) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="hall-bench-"))
    redis_url = os.environ.get("REDIS_URL")
    embedded = None
    if not redis_url:
        embedded = EmbeddedRedis(tmp)  # appendfsync always: every acknowledged report is on disk
        redis_url = await asyncio.to_thread(embedded.start)  # blocking: waits for PING
    durability = await _durability(redis_url)
    hall = await asyncio.to_thread(ServedHall, config_path, redis_url, tmp)
    grid = (cfg.events.grids_geojson or {}).get("features", [])
    code = next((m.code for major in cfg.events.taxonomy for m in major.minors), None)
    sent_at: dict[str, float] = {}
    heard_at: dict[str, float] = {}
    try:
        conn = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=30)) as session:
            worker = await _token(session, hall.url, cfg, "worker")
            operator = await _token(session, hall.url, cfg, "operator")
            sio = socketio.AsyncClient(reconnection=False)

            @sio.on("event", namespace="/console")
            async def on_event(data: dict) -> None:
                if data.get("action") == "report":
                    heard_at.setdefault(data["id"], time.perf_counter())

            await sio.connect(hall.url, namespaces=["/console"], auth={"token": operator}, transports=["websocket"])
            headers = {"Authorization": f"Bearer {worker}"}
            lat, lon = 36.645, 117.100
            if grid:
                ring = grid[0]["geometry"]["coordinates"][0]
                lon, lat = (ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2
            seq = 0

            async def one(t_ref: float, acks: list[float], errors: list[int]) -> None:
                nonlocal seq
                seq += 1
                body = {"channel": "worker", "description": f"bench {seq}", "lat": lat, "lon": lon,
                        "idempotency_key": f"bench-{seq}-{t_ref}"}
                if code:
                    body["category"] = code
                try:
                    async with session.post(f"{hall.url}/api/events", json=body, headers=headers) as r:
                        data = await r.json()
                        if r.status != 201:
                            errors.append(r.status)
                            return
                except (TimeoutError, aiohttp.ClientError):
                    errors.append(0)
                    return
                now = time.perf_counter()
                acks.append(now - t_ref)
                sent_at[data["event"]["id"]] = t_ref

            # warm-up (not measured)
            warm: list[float] = []
            await asyncio.gather(*(one(time.perf_counter(), warm, []) for _ in range(100)))

            # fixed offered rate, open loop, in windows: each window's p99 is reported beside the cause of
            # any tail (the hall's event loop late, or Redis's fsync slow), so noise shows as noise
            admin = await _token(session, hall.url, cfg, "admin")

            async def fixed_window() -> dict:
                server_before = await _server_buckets(session, hall.url, admin)
                lag_before = await _server_buckets(session, hall.url, admin, "hall_event_loop_lag_seconds_bucket")
                redis_lat = _RedisLatency(redis_url)
                await redis_lat.start()
                before_ids = set(sent_at)
                acks: list[float] = []
                errors: list[int] = []
                n = int(rate * duration)
                t0 = time.perf_counter() + 0.1
                tasks = []
                for i in range(n):
                    at = t0 + i / rate
                    delay = at - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(one(at, acks, errors)))
                await asyncio.gather(*tasks)
                elapsed = time.perf_counter() - t0
                server = _bucket_p99(server_before, await _server_buckets(session, hall.url, admin))
                stalls = _loop_stalls(lag_before, await _server_buckets(session, hall.url, admin,
                                                                        "hall_event_loop_lag_seconds_bucket"))
                worst = await redis_lat.worst()
                await redis_lat.close()
                await asyncio.sleep(1.0)  # let the last broadcasts arrive
                ids = set(sent_at) - before_ids
                bcast = [heard_at[i] - sent_at[i] for i in ids if i in heard_at]
                return {"server_p99_le_ms": server, "loop_stalls": stalls, "redis_worst_ms": worst,
                        "offered_per_s": rate, "duration_s": duration, "sent": n, "acked": len(acks),
                        "errors": len(errors), "achieved_per_s": round(len(acks) / elapsed, 1),
                        "ack_p50_ms": _pct(acks, 50), "ack_p99_ms": _pct(acks, 99), "ack_max_ms": _pct(acks, 100),
                        "broadcast_received": len(bcast), "broadcast_p50_ms": _pct(bcast, 50),
                        "broadcast_p99_ms": _pct(bcast, 99), "_acks": acks, "_bcast": bcast}

            windows_out = [await fixed_window() for _ in range(windows)]

            # saturation, closed loop
            sat_acks: list[float] = []
            sat_errors: list[int] = []
            before = set(sent_at)
            server_before = await _server_buckets(session, hall.url, admin)
            stop_at = time.perf_counter() + saturation_s

            async def loop() -> None:
                while time.perf_counter() < stop_at:
                    await one(time.perf_counter(), sat_acks, sat_errors)

            s0 = time.perf_counter()
            await asyncio.gather(*(loop() for _ in range(concurrency)))
            sat_elapsed = time.perf_counter() - s0
            sat_server = _bucket_p99(server_before, await _server_buckets(session, hall.url, admin))
            await asyncio.sleep(1.0)
            sat_ids = set(sent_at) - before
            sat_bcast = [heard_at[i] - sent_at[i] for i in sat_ids if i in heard_at]
            await sio.disconnect()
    finally:
        await asyncio.to_thread(hall.stop)
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
    all_acks = [a for w in windows_out for a in w.pop("_acks")]
    all_bcast = [b for w in windows_out for b in w.pop("_bcast")]
    p99s = sorted(w["ack_p99_ms"] for w in windows_out if w["ack_p99_ms"] is not None)
    return {
        "bench": "events", "durability": durability, "cpus": os.cpu_count(),
        "fixed": {"offered_per_s": rate, "windows": len(windows_out), "window_s": duration,
                  "sent": sum(w["sent"] for w in windows_out), "acked": len(all_acks),
                  "errors": sum(w["errors"] for w in windows_out),
                  "achieved_per_s": min(w["achieved_per_s"] for w in windows_out),
                  "ack_p50_ms": _pct(all_acks, 50), "ack_p99_ms": _pct(all_acks, 99),
                  "ack_p99_ms_median_window": p99s[len(p99s) // 2] if p99s else None,
                  "windows_p99_under_50ms": sum(p < 50 for p in p99s),
                  "broadcast_received": len(all_bcast), "broadcast_p50_ms": _pct(all_bcast, 50),
                  "broadcast_p99_ms": _pct(all_bcast, 99), "per_window": windows_out},
        "saturation": {"server_p99_le_ms": sat_server, "concurrency": concurrency, "duration_s": saturation_s,
                       "acked": len(sat_acks), "errors": len(sat_errors),
                       "throughput_per_s": round(len(sat_acks) / sat_elapsed, 1),
                       "ack_p50_ms": _pct(sat_acks, 50), "ack_p99_ms": _pct(sat_acks, 99),
                       "broadcast_received": len(sat_bcast),
                       "broadcast_p50_ms": _pct(sat_bcast, 50), "broadcast_p99_ms": _pct(sat_bcast, 99)},
    }


def main(cfg: HallConfig, config_path: str, *, rate: float, duration: float, saturation_s: float,
         concurrency: int, windows: int = 3) -> int:
    res = asyncio.run(run(cfg, config_path, rate=rate, duration=duration, saturation_s=saturation_s,
                          concurrency=concurrency, windows=windows))
    f, s = res["fixed"], res["saturation"]
    print(f"events intake, Redis {res['durability']}, {res['cpus']} CPUs")
    print(f"  fixed rate {f['offered_per_s']}/s, {f['windows']} windows of {f['window_s']} s:")
    for i, w in enumerate(f["per_window"], 1):
        st, rw = w["loop_stalls"], w["redis_worst_ms"]
        redis_txt = "unknown" if rw is None else (", ".join(f"{k} {v} ms" for k, v in rw.items()) or "none")
        print(f"    {i}: {w['acked']}/{w['sent']} acknowledged ({w['achieved_per_s']}/s, {w['errors']} errors); "
              f"ack p50 {w['ack_p50_ms']} ms, p99 {w['ack_p99_ms']} ms (in the hall: p99 <= {w['server_p99_le_ms']} "
              f"ms); broadcast p50 {w['broadcast_p50_ms']} ms, p99 {w['broadcast_p99_ms']} ms "
              f"({w['broadcast_received']} heard)")
        print(f"       tail causes: hall event loop late >= 50 ms {st['late']} times "
              f"(worst <= {st['worst_le_ms']} ms); "
              f"Redis latency over 10 ms: {redis_txt}")
    print(f"    all windows: ack p50 {f['ack_p50_ms']} ms, p99 {f['ack_p99_ms']} ms; median window p99 "
          f"{f['ack_p99_ms_median_window']} ms; {f['windows_p99_under_50ms']}/{f['windows']} windows with p99 < 50 ms")
    print(f"  saturation, {s['concurrency']} clients for {s['duration_s']} s: {s['throughput_per_s']}/s; "
          f"ack p50 {s['ack_p50_ms']} ms, p99 {s['ack_p99_ms']} ms (in the hall: p99 <= {s['server_p99_le_ms']} ms); "
          f"broadcast p50 {s['broadcast_p50_ms']} ms, p99 {s['broadcast_p99_ms']} ms ({s['errors']} errors)")
    print(json.dumps(res))
    return 0
