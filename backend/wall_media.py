"""The backend's side of the media server (media/server.py): it starts it, shows it the current wall layout
(at start, on every write here, and on writes by other processes through Redis pub/sub) and reports its
health to consoles and /metrics. The arrow points one way: the backend drives the media server."""

from __future__ import annotations

import asyncio
import logging
import os

import redis.asyncio as aioredis
import socketio
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from layouts import Layout
from media.server import MediaServer

from . import keys
from .cascade import CascadeControl
from .config import HallConfig
from .metrics import Metrics
from .schemas import LayoutState
from .wall_control import WallControl

log = logging.getLogger("hall.media")

HEALTH_EVERY_S = 1.0
RECHECK_EVERY_S = 5.0  # a missed pub/sub message (Redis away) is caught up by this at the latest


class WallMedia:
    def __init__(self, cfg: HallConfig, redis: aioredis.Redis, wall_control: WallControl, sio: socketio.AsyncServer,
                 metrics: Metrics, namespace: str, room: str, server: MediaServer) -> None:
        self.cfg = cfg
        self.redis = redis
        self.wc = wall_control
        self.sio = sio
        self.metrics = metrics
        self.namespace, self.room = namespace, room
        self.server = server
        self.applied_version = -1
        self._tasks: list[asyncio.Task] = []
        self._apply_lock = asyncio.Lock()
        self.cascade = CascadeControl(cfg, redis, server)

    def warn_about_camera_passwords(self) -> None:
        """A password written in a source's URL works, but belongs in the environment: say which key."""
        for i, s in enumerate(self.cfg.sources):
            for key in s.passwords_in_urls():
                log.warning(f"sources[{i}].{key} has the camera's password written in it; give the user as "
                            "username and the password in the environment variable named by password_env",
                            extra={"key": f"sources[{i}].{key}", "source": s.id})
            if s.password_env and s.password_env not in os.environ:
                log.warning(f"sources[{i}].password_env: the environment variable {s.password_env} is not set; "
                            "the camera is opened without a password",
                            extra={"key": f"sources[{i}].password_env", "source": s.id})

    async def start(self) -> None:
        self.warn_about_camera_passwords()
        await asyncio.to_thread(self.server.start)
        await self.reload()
        await self.cascade.start()
        self._tasks = [asyncio.create_task(self._follow_changes(), name="media-follow"),
                       asyncio.create_task(self._push_health(), name="media-health")]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.cascade.stop()
        await self.server.stop()

    async def apply(self, state: LayoutState) -> None:
        """Show this layout unless a newer one is already shown (render plan built in a thread)."""
        async with self._apply_lock:
            if not self.server.running or state.version <= self.applied_version:
                return
            layout = Layout(windows=state.windows, scene=state.scene)
            await asyncio.to_thread(self.server.set_layout, layout)
            self.applied_version = state.version

    async def reload(self) -> None:
        await self.apply(await self.wc.layout())

    async def on_change(self, event: str, data: dict) -> None:
        """WallControl hook: apply at once here, and tell the other processes."""
        if event != "layout":
            return
        await self.apply(LayoutState.model_validate(data))
        try:
            await self.redis.publish(keys.WALL_CHANGED, str(data["version"]))
        except (RedisConnectionError, RedisTimeoutError, OSError):
            pass  # the others catch up by their periodic check

    async def _follow_changes(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(keys.WALL_CHANGED)
                await self.reload()  # whatever changed while we were not listening
                while True:
                    msg = await pubsub.get_message(timeout=RECHECK_EVERY_S)
                    if msg is None or int(msg["data"]) > self.applied_version:
                        await self.reload()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: retry; the wall keeps showing what it shows
                log.warning("layout follower reconnecting", extra={"error": str(exc)})
                await asyncio.sleep(1.0)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:
                    pass

    async def _push_health(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_EVERY_S)
            if not self.server.running:
                continue
            try:
                health = self.server.health()
                self.metrics.observe_media(health)
                await self.sio.emit("media:health", health, namespace=self.namespace, room=self.room)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("media health push failed")
