"""The aiohttp application factory: REST API, pages, Socket.IO (shared across processes through Redis)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any

import socketio
from aiohttp import web

from media.server import MediaServer

from . import appkeys, keys
from .api import errors_middleware
from .auth import Users
from .calls.service import CallService
from .config import HallConfig
from .connectors.service import Connectors
from .dashboards.context import Sources
from .dashboards.patrol import PatrolCoverage
from .dashboards.service import Dashboards
from .events.service import EventService
from .gis.service import MapService
from .metrics import Metrics
from .namespaces import console as console_ns
from .namespaces import field as field_ns
from .namespaces import room as room_ns
from .namespaces import wall as wall_ns
from .namespaces.common import disconnect_revoked
from .rooms.service import Rooms
from .routes import api
from .routes.pages import setup_static
from .rules.service import LayoutRules
from .schemas import LayoutState
from .store import connect, redacted, wait_for_redis
from .wall_control import WallControl
from .wall_media import WallMedia
from .workers.live import PositionsPush
from .workers.registry import WorkerRegistry

log = logging.getLogger("hall.app")


async def check_durability(redis) -> bool:
    """An acknowledged report must survive a crash: say loudly when Redis is not set up for that."""
    try:
        conf = await redis.config_get("append*")
    except Exception as exc:  # managed Redis may forbid CONFIG
        log.warning("cannot read the Redis persistence settings", extra={"error": str(exc)})
        return False
    ok = conf.get("appendonly") == "yes" and conf.get("appendfsync") == "always"
    if not ok:
        log.warning("Redis is not appendonly yes / appendfsync always: an acknowledged write may be lost in a crash",
                    extra={"appendonly": conf.get("appendonly"), "appendfsync": conf.get("appendfsync")})
    return ok


async def watch_event_loop(metrics: Metrics, every: float = 0.05, warn_after: float = 0.25) -> None:
    """Measure how late the loop wakes up: a frozen loop freezes every console; say so in the logs."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(every)
        lag = loop.time() - start - every
        metrics.loop_lag.observe(max(lag, 0.0))
        if lag > warn_after:
            log.warning("event loop was blocked", extra={"lag_ms": round(lag * 1000)})


PAGE_PREFIXES = ("/console/", "/field/", "/wall/assets/", "/room/")
# What the pages may load: only the hall's own scripts and connections (nothing from the internet, no inline
# script); inline styles for the charts and the map; camera snapshots and videos as blobs; WebRTC media is not
# governed by CSP. The map library runs its worker from a blob.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; "
                           "connect-src 'self' ws: wss:; worker-src 'self' blob:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
SERVER = "CommandHall"  # not aiohttp's name and version


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        resp = await handler(request)
    except web.HTTPException as exc:  # redirects and the static routes' 404s carry the headers too
        _secure(request, exc)
        raise
    _secure(request, resp)
    return resp


def _secure(request: web.Request, resp: web.StreamResponse) -> None:
    resp.headers["Server"] = SERVER
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    resp.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.path.startswith(PAGE_PREFIXES):  # pages' scripts: revalidated (304 if unchanged), so an
        resp.headers.setdefault("Cache-Control", "no-cache")  # update reaches phones and wall PCs at once


async def follow_revocations(redis, sio: socketio.AsyncServer, namespaces: list[str]) -> None:
    """Drop this process's Socket.IO connections whose token was revoked (logout, user removed, screen token
    renewed), in every process: the revoking one publishes the token hashes (auth.Users._announce)."""
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(keys.AUTH_REVOKED)
            while True:
                msg = await pubsub.get_message(timeout=30)
                if msg is None:
                    continue
                try:
                    hashes = [h for h in json.loads(msg["data"]) if isinstance(h, str)]
                except (ValueError, TypeError):
                    continue
                ended = await disconnect_revoked(sio, namespaces, hashes)
                if ended:
                    log.info("revoked sessions disconnected", extra={"sockets": ended})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis away: listen again (a revoked socket still fails at its next event)
            log.warning("revocation listener reconnecting", extra={"error": str(exc)})
            await asyncio.sleep(1.0)
        finally:
            try:
                await pubsub.aclose()
            except Exception:
                pass


def create_app(cfg: HallConfig, redis_url: str, *, bootstrap_users: bool = True,
               media: bool = False) -> web.Application:
    """Build the application; Redis is connected (with retries) on start-up.

    The media server (media/server.py) is always built, at app[appkeys.MEDIA]; `media`: start it (sources,
    composition) in this process, as `hall` does. Tests of other parts leave it off, or give it an engine
    of their own (`app[appkeys.MEDIA].engine = ...`)."""
    app = web.Application(middlewares=[security_headers, errors_middleware], client_max_size=2 * 1024 * 1024)
    app[appkeys.CONFIG] = cfg
    app[appkeys.REDIS_URL] = redis_url
    app[appkeys.METRICS] = Metrics()
    app[appkeys.STARTED] = time.monotonic()
    app[appkeys.WALL] = cfg.build_wall()
    redis = connect(redis_url)
    app[appkeys.REDIS] = redis
    app[appkeys.USERS] = Users(redis, cfg.auth)
    app[appkeys.WALL_CONTROL] = WallControl(redis, cfg, app[appkeys.WALL])
    app[appkeys.EVENTS] = EventService(redis, cfg, lambda: app.get(appkeys.DATA_DIR) or cfg.server.data_dir)
    app[appkeys.WORKERS] = WorkerRegistry(redis, cfg, app[appkeys.EVENTS])
    app[appkeys.MAP] = MapService(redis, cfg, app[appkeys.EVENTS], app[appkeys.WORKERS])
    app[appkeys.EVENTS].hooks.append(app[appkeys.MAP].on_event)
    app[appkeys.EVENTS].place_of = app[appkeys.MAP].place  # the events' `place`: their address on the map

    # Socket.IO on the same server; the Redis manager shares rooms and broadcasts between processes.
    mgr = socketio.AsyncRedisManager(redis_url, channel=keys.SOCKETIO_CHANNEL)
    # Only the hall's own namespaces: the default "/" (which would take anonymous connections) is not one.
    namespaces = [console_ns.NAMESPACE, wall_ns.NAMESPACE, field_ns.NAMESPACE, room_ns.NAMESPACE]
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=mgr, cors_allowed_origins=[],
                               ping_interval=10, ping_timeout=10, max_http_buffer_size=1_000_000,
                               namespaces=namespaces)
    sio.attach(app)
    app[appkeys.SIO] = sio
    console_ns.register(sio, app)
    wall_ns.register(sio, app)
    field_ns.register(sio, app)
    room_ns.register(sio, app)

    async def broadcast(event: str, data: dict) -> None:
        await sio.emit(event, data, namespace=console_ns.NAMESPACE, room="consoles")
        if event == "layout":
            views = await asyncio.to_thread(app[appkeys.WALL_CONTROL].screen_views, LayoutState.model_validate(data))
            for sid, view in views.items():
                await sio.emit("screen", view, namespace=wall_ns.NAMESPACE, room=wall_ns.room(sid))

    app[appkeys.WALL_CONTROL].hooks.append(broadcast)

    async def event_broadcast(event: str, data: dict) -> None:  # events: notify only; Redis holds the record
        await sio.emit(event, data, namespace=console_ns.NAMESPACE, room="consoles")

    app[appkeys.EVENTS].hooks.append(event_broadcast)
    app[appkeys.EVENTS].hooks.append(field_ns.tasks_hook(sio, app[appkeys.EVENTS]))
    # grid workers: their positions to the centre's consoles (batched), their own status to their phones
    app[appkeys.WORKERS_PUSH] = PositionsPush(sio, console_ns.NAMESPACE, console_ns.WORKERS_ROOM)
    app[appkeys.WORKERS].hooks += [app[appkeys.WORKERS_PUSH], field_ns.duty_hook(sio, cfg.workers)]

    app[appkeys.MEDIA] = MediaServer(app[appkeys.WALL], cfg.sources, cfg.media_settings())
    wire_dashboards(app, sio)
    wall_media = WallMedia(cfg, redis, app[appkeys.WALL_CONTROL], sio, app[appkeys.METRICS], console_ns.NAMESPACE,
                           "consoles", app[appkeys.MEDIA])
    app[appkeys.WALL_MEDIA] = wall_media
    if media:
        app[appkeys.WALL_CONTROL].hooks.insert(0, wall_media.on_change)  # the picture first, then the notices

    # calls: ringing, records and their media through the media server; pushed to the caller's console and the
    # worker's phone (their own rooms)
    calls = CallService(redis, cfg.calls, app[appkeys.MEDIA], app[appkeys.WORKERS], app[appkeys.EVENTS],
                        app[appkeys.WALL_CONTROL], lambda: app.get(appkeys.DATA_DIR) or cfg.server.data_dir)
    app[appkeys.CALLS] = calls

    async def call_push(what: str, data: dict, to: tuple[str, str]) -> None:
        kind, name = to
        if kind == "console":
            await sio.emit(what, data, namespace=console_ns.NAMESPACE, room=console_ns.user_room(name))
        else:
            await sio.emit(what, data, namespace=field_ns.NAMESPACE, room=field_ns.room(name))

    calls.hooks.append(call_push)
    app[appkeys.WALL_CONTROL].hooks.append(calls.on_wall_change)

    # consultation rooms: their media through the media server too; everyone in one hears of its changes
    rooms = Rooms(redis, cfg.rooms, app[appkeys.MEDIA], app[appkeys.USERS], app[appkeys.EVENTS],
                  app[appkeys.WALL_CONTROL], lambda: app.get(appkeys.DATA_DIR) or cfg.server.data_dir)
    app[appkeys.ROOMS] = rooms

    async def room_push(room_id: str, what: str, data: dict) -> None:
        await sio.emit(what, data, namespace=room_ns.NAMESPACE, room=room_ns.room(room_id))
        if what == "room:state":  # the consoles' Rooms tab: who is in which room, live (consoles are room people)
            await sio.emit("room", data, namespace=console_ns.NAMESPACE, room=console_ns.ROOM)

    rooms.hooks.append(room_push)

    api.setup(app)
    setup_static(app)

    async def on_startup(app: web.Application) -> None:
        await wait_for_redis(redis, redacted(redis_url))
        app[appkeys.METRICS].redis_up.set(1)
        await check_durability(redis)
        await app[appkeys.WALL_CONTROL].recover()  # a stored layout that no longer validates: back to a valid one
        reindexed = await app[appkeys.EVENTS].store.reindex()
        if reindexed:
            log.info("event filter indexes built", extra={"events": reindexed})
        if bootstrap_users:
            created = await app[appkeys.USERS].bootstrap(cfg.users, dict(os.environ))
            if created:
                log.info("users created from config", extra={"users": ",".join(created)})
        await app[appkeys.MAP].start()
        workers = app[appkeys.WORKERS]
        await app[appkeys.DASHBOARDS].src.patrol.start(lambda: _worker_names(workers), workers.track)
        await app[appkeys.CONNECTORS].start()
        await app[appkeys.DASHBOARDS].start()
        await app[appkeys.RULES].start()
        app[appkeys.EVENT_TIMERS] = asyncio.create_task(app[appkeys.EVENTS].run_timers())
        app[appkeys.LOOP_WATCH] = asyncio.create_task(watch_event_loop(app[appkeys.METRICS]))
        app[appkeys.REVOCATIONS] = asyncio.create_task(follow_revocations(redis, sio, namespaces))
        if media and not app[appkeys.MEDIA].running:
            await wall_media.start()

    async def on_cleanup(app: web.Application) -> None:
        await calls.close()
        await rooms.close_all()
        await wall_media.stop()  # the media server too: its sessions, encoders and engine
        await app[appkeys.WORKERS_PUSH].stop()
        await app[appkeys.MAP].stop()
        await app[appkeys.RULES].stop()
        await app[appkeys.DASHBOARDS].stop()
        await app[appkeys.CONNECTORS].stop()
        for task in (appkeys.EVENT_TIMERS, appkeys.LOOP_WATCH, appkeys.REVOCATIONS):
            if task in app:
                app[task].cancel()
        app[appkeys.USERS].close()
        await redis.aclose()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def wire_dashboards(app: web.Application, sio: socketio.AsyncServer) -> None:
    """The wall's live panels, other systems' data and the layout rules: built, and hooked to what they follow
    (events, workers, connectors), to the kiosks they push to (/wall) and to the consoles they tell (/console)."""
    cfg, redis = app[appkeys.CONFIG], app[appkeys.REDIS]
    events, workers, wc = app[appkeys.EVENTS], app[appkeys.WORKERS], app[appkeys.WALL_CONTROL]
    media = app[appkeys.MEDIA]
    connectors = app[appkeys.CONNECTORS] = Connectors(redis, cfg.connectors)
    patrol = PatrolCoverage(redis, events.grids, cfg.dashboards.patrol_cell_m, events.calendar.tz)
    src = Sources(cfg, events, workers, app[appkeys.MAP], patrol, connectors,
                  media_health=lambda: media.health() if media.running else None)
    dashboards = app[appkeys.DASHBOARDS] = Dashboards(src, cfg.panels, wc)
    rules = app[appkeys.RULES] = LayoutRules(redis, cfg, wc, events.grids, events.calendar.tz,
                                             place_of=app[appkeys.MAP].place)

    async def to_kiosks(panel: str, doc: dict) -> None:
        await sio.emit("panel", doc, namespace=wall_ns.NAMESPACE, room=wall_ns.panel_room(panel))

    async def to_maps(event: str, data: dict) -> None:  # notices carry no personal data (EventService._emit)
        if event == "event":
            await sio.emit("event", data, namespace=wall_ns.NAMESPACE, room=wall_ns.MAP_ROOM)

    async def connector_state(cid: str, state: dict) -> None:
        await sio.emit("connector", state, namespace=console_ns.NAMESPACE, room=console_ns.ROOM)

    async def rule_notice(notice: dict) -> None:
        await sio.emit("rule", notice, namespace=console_ns.NAMESPACE, room=console_ns.ROOM)

    dashboards.emits.append(to_kiosks)
    events.hooks += [dashboards.on_event, to_maps, rules.alarms.on_event]
    # the wall's maps: workers' positions batched once a second, as the consoles get them (roles.MAP_WORKERS)
    dashboards.positions = PositionsPush(sio, wall_ns.NAMESPACE, wall_ns.MAP_ROOM)
    workers.hooks += [dashboards.on_worker, dashboards.positions]
    connectors.hooks += [dashboards.on_connector, connector_state, rules.alarms.on_connector]
    rules.notices.append(rule_notice)


async def _worker_names(workers: WorkerRegistry) -> list[str]:
    return sorted(await workers.people())
