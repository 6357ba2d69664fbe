"""`hall demo`'s grid workers: each simulated worker walks through their grids at walking speed and reports
like a phone does, through the same public path (a Socket.IO client on `/field` with their own token,
against the hall's own URL), going busy and off duty now and then, so the console is alive on first start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time

import socketio

from ..auth import Users
from ..config import HallConfig
from ..events.geo import Grid, GridIndex
from ..namespaces.field import NAMESPACE
from ..roles import Role
from .model import REPORTING, Status

log = logging.getLogger("hall.workers.demo")

M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)
TICK_S = 1.0


def simulated_workers(cfg: HallConfig) -> list[str]:
    """The worker accounts `hall demo` walks: as `workers.demo.simulated` says, never those left for people
    nor the event flow's own grid worker (it takes field steps, it does not patrol)."""
    demo = cfg.workers.demo
    workers = [u.name for u in cfg.users if u.role == Role.WORKER and u.name not in demo.people
               and u.name != cfg.events.demo.accounts.worker]
    if isinstance(demo.simulated, list):
        return [n for n in demo.simulated if n not in demo.people]
    return workers if demo.simulated == "all" else workers[: demo.simulated]


def random_point(grid: Grid, rng: random.Random) -> tuple[float, float]:
    """A point (lat, lon) inside the grid's polygon."""
    x0, y0, x1, y1 = grid.bbox
    for _ in range(200):
        lat, lon = rng.uniform(y0, y1), rng.uniform(x0, x1)
        if grid.contains(lat, lon):
            return lat, lon
    return grid.centre()


def step_towards(lat: float, lon: float, to: tuple[float, float], metres: float) -> tuple[float, float, bool]:
    """Walk `metres` from (lat, lon) straight towards `to`; (lat, lon, arrived)."""
    dy = (to[0] - lat) * M_PER_DEG
    dx = (to[1] - lon) * M_PER_DEG * math.cos(math.radians(lat))
    left = math.hypot(dx, dy)
    if left <= metres:
        return to[0], to[1], True
    f = metres / left
    return lat + dy * f / M_PER_DEG, lon + dx * f / (M_PER_DEG * math.cos(math.radians(lat))), False


class WorkerDemo:
    def __init__(self, base_url: str, cfg: HallConfig, users: Users, seed: int | None = None) -> None:
        self.url = base_url
        self.cfg = cfg
        self.users = users
        self.rng = random.Random(seed)
        self.grids = GridIndex.from_geojson(cfg.events.grids_geojson) if cfg.events.grids_geojson else GridIndex([])
        self.names = simulated_workers(cfg)

    def patrol_area(self, name: str, i: int) -> list[Grid]:
        """The worker's own grids; one by turn for a worker on no grid (a district file without `workers`)."""
        own = [self.grids.by_id[gid] for gid in self.grids.of_worker(name)]
        every = self.grids.grids
        return own or ([every[i % len(every)]] if every else [])

    def draw_status(self) -> str:
        d = self.cfg.workers.demo
        r = self.rng.random()
        if r < d.off_duty_share:
            return Status.OFF_DUTY
        return Status.BUSY if r < d.off_duty_share + d.busy_share else Status.ON_DUTY

    async def run(self) -> None:
        if not self.names or not self.grids.grids:
            log.warning("worker demo: no simulated workers or no grids; nothing to do")
            return
        log.info("worker demo started", extra={"workers": len(self.names), "url": self.url})
        tasks = [asyncio.create_task(self._worker(name, i)) for i, name in enumerate(self.names)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _worker(self, name: str, i: int) -> None:
        """One phone for ever: connect with a fresh token of the worker's own, walk, and start again if the
        connection ends (hall restarting, token expired)."""
        area = self.patrol_area(name, i)
        where = random_point(self.rng.choice(area), self.rng)
        await asyncio.sleep(self.rng.uniform(0, 3))  # phones do not all start in the same second
        while True:
            # handle_sigint off: the client library would take over Ctrl-C and cancel every task of the hall.
            # The hall's own URL on this machine: with `--lan` its certificate is self-signed for the LAN.
            sio = socketio.AsyncClient(reconnection=False, handle_sigint=False,
                                       ssl_verify=not self.url.startswith("https://"))
            try:
                token, _, _ = await self.users.issue(name, Role.WORKER,
                                                     ttl_seconds=int(self.cfg.auth.token_ttl_hours * 3600))
                await sio.connect(self.url, namespaces=[NAMESPACE], auth={"token": token},
                                  transports=["websocket"], wait_timeout=10)
                where = await self._walk(sio, area, where)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("worker demo: %s reconnects", name, extra={"error": str(exc)})
            finally:
                with contextlib.suppress(Exception):
                    await sio.disconnect()
            await asyncio.sleep(5)

    async def _walk(self, sio: socketio.AsyncClient, area: list[Grid],
                    where: tuple[float, float]) -> tuple[float, float]:
        w = self.cfg.workers
        d = w.demo
        speed = d.speed_mps * self.rng.uniform(0.8, 1.2)
        status = self.draw_status()
        await self._call(sio, "duty", {"status": status})
        lat, lon = where
        target = random_point(self.rng.choice(area), self.rng)
        sent: tuple[float, float, float] | None = None  # lat, lon, when of the last report
        while sio.connected:
            await asyncio.sleep(TICK_S)
            if self.rng.random() < TICK_S / (d.status_minutes * 60):
                status = self.draw_status()
                await self._call(sio, "duty", {"status": status})
            if status == Status.OFF_DUTY:
                continue
            lat, lon, arrived = step_towards(lat, lon, target, speed * TICK_S)
            if arrived:
                target = random_point(self.rng.choice(area), self.rng)
            now = time.time()
            # the field page's rule: at most every report_every_s, after a report_min_move_m move, and
            # often enough that the position never goes stale
            moved = math.inf if sent is None else math.hypot(
                (lat - sent[0]) * M_PER_DEG, (lon - sent[1]) * M_PER_DEG * math.cos(math.radians(lat)))
            since = math.inf if sent is None else now - sent[2]
            if status in REPORTING and since >= w.report_every_s and (
                    moved >= w.report_min_move_m or since >= w.stale_after_s / 2):
                await self._call(sio, "position", {"lat": round(lat, 6), "lon": round(lon, 6),
                                                   "accuracy": round(self.rng.uniform(4, 25), 1), "at": now})
                sent = (lat, lon, now)
        return lat, lon

    async def _call(self, sio: socketio.AsyncClient, event: str, data: dict) -> None:
        ack = await sio.call(event, data, namespace=NAMESPACE, timeout=10)
        if not (isinstance(ack, dict) and ack.get("ok")):
            log.debug("worker demo: %s refused", event, extra={"answer": str(ack)[:200]})
            if isinstance(ack, dict) and ack.get("status") == 401:
                await sio.disconnect()  # the token ended: start again with a new one
