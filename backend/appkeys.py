"""The typed keys of the aiohttp application's state: every `app[...]` the hall reads or writes is named here."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
import socketio
from aiohttp import web

from layouts.wall import Wall

from .auth import Users
from .config import HallConfig
from .connectors.service import Connectors
from .dashboards.service import Dashboards
from .events.service import EventService
from .gis.service import MapService
from .metrics import Metrics
from .rules.service import LayoutRules
from .wall_control import WallControl
from .workers.live import PositionsPush
from .workers.registry import WorkerRegistry

if TYPE_CHECKING:  # an import cycle (api), or the media stack, which only the routes that use it load
    from media.server import MediaServer

    from .api import Api
    from .calls.service import CallService
    from .rooms.service import Rooms
    from .wall_media import WallMedia

# -- built by create_app ----------------------------------------------------------------------
CONFIG: web.AppKey[HallConfig] = web.AppKey("config", HallConfig)
REDIS_URL: web.AppKey[str] = web.AppKey("redis_url", str)
REDIS: web.AppKey[aioredis.Redis] = web.AppKey("redis", aioredis.Redis)
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
STARTED: web.AppKey[float] = web.AppKey("started", float)  # time.monotonic() when the app was built
WALL: web.AppKey[Wall] = web.AppKey("wall", Wall)
USERS: web.AppKey[Users] = web.AppKey("users", Users)
WALL_CONTROL: web.AppKey[WallControl] = web.AppKey("wall_control", WallControl)
EVENTS: web.AppKey[EventService] = web.AppKey("events", EventService)
MAP: web.AppKey[MapService] = web.AppKey("map", MapService)
SIO: web.AppKey[socketio.AsyncServer] = web.AppKey("sio", socketio.AsyncServer)
WALL_MEDIA: web.AppKey[WallMedia] = web.AppKey("wall_media")
WORKERS: web.AppKey[WorkerRegistry] = web.AppKey("workers", WorkerRegistry)
CALLS: web.AppKey[CallService] = web.AppKey("calls")  # calls between the console and the phones
ROOMS: web.AppKey[Rooms] = web.AppKey("rooms")  # the consultation rooms
WORKERS_PUSH: web.AppKey[PositionsPush] = web.AppKey("workers_push", PositionsPush)  # to the centre's consoles
DATA_DIR: web.AppKey[str] = web.AppKey("data_dir", str)  # set by `hall` (and tests); else server.data_dir
CONNECTORS: web.AppKey[Connectors] = web.AppKey("connectors", Connectors)  # other systems' data
DASHBOARDS: web.AppKey[Dashboards] = web.AppKey("dashboards", Dashboards)  # the wall's live panels
RULES: web.AppKey[LayoutRules] = web.AppKey("rules", LayoutRules)  # alarm and schedule layouts

# -- set on start-up --------------------------------------------------------------------------
EVENT_TIMERS: web.AppKey[asyncio.Task[None]] = web.AppKey("event_timers", asyncio.Task)
LOOP_WATCH: web.AppKey[asyncio.Task[None]] = web.AppKey("loop_watch", asyncio.Task)
REVOCATIONS: web.AppKey[asyncio.Task[None]] = web.AppKey("revocations", asyncio.Task)
EVENT_DEMO: web.AppKey[asyncio.Task[None]] = web.AppKey("event_demo", asyncio.Task)  # `hall --demo`
WORKER_DEMO: web.AppKey[asyncio.Task[None]] = web.AppKey("worker_demo", asyncio.Task)  # `hall demo`'s patrols
MEDIA: web.AppKey[MediaServer] = web.AppKey("media")  # the media server (media/server.py), started by `hall`

# -- the route registry's own tests (tests/test_delivery_registry.py) -------------------------
API: web.AppKey[Api] = web.AppKey("api")
HOOKED: web.AppKey[bool] = web.AppKey("hooked", bool)
