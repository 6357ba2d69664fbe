"""Health, metrics, users and screen tokens (administration)."""

from __future__ import annotations

import time

from aiohttp import web

from .. import appkeys
from ..auth import Identity
from ..errors import Conflict, Invalid
from ..roles import ADMIN, METRICS
from ..schemas import HealthOut, NewUserIn, ScreenTokenOut, UserListItem, UsersOut
from . import api


@api.route("GET", "/healthz", summary="Liveness and readiness: Redis reachable, uptime (public)", roles=None,
           response=HealthOut, tag="system")
async def healthz(request: web.Request, ident: Identity | None) -> web.Response | dict:
    try:
        ok = bool(await request.app[appkeys.REDIS].ping())
    except Exception:
        ok = False
    request.app[appkeys.METRICS].redis_up.set(1 if ok else 0)
    problems = [p.to_dict() for p in request.app[appkeys.WALL_CONTROL].problems.values()]
    body = {"status": "ok" if ok and not problems else "degraded", "redis": ok,
            "uptime_s": round(time.monotonic() - request.app[appkeys.STARTED], 1), "version": api.version,
            "problems": problems}
    if not ok:
        return web.json_response(HealthOut.model_validate(body).model_dump(), status=503)
    return body


@api.route("GET", "/metrics", summary="Prometheus metrics (bearer token of an admin or integration user)",
           roles=METRICS, tag="system")
async def metrics(request: web.Request, ident: Identity) -> web.Response:
    m = request.app[appkeys.METRICS]
    m.uptime.set(time.monotonic() - request.app[appkeys.STARTED])
    m.layout_version.set((await request.app[appkeys.WALL_CONTROL].layout()).version)
    media = request.app[appkeys.MEDIA]
    if media.running and hasattr(media.engine, "health"):  # a synthetic test engine has no figures
        m.observe_media(media.health())
    body, ctype = m.render()
    return web.Response(body=body, headers={"Content-Type": ctype})


@api.route("GET", "/api/users", summary="List users", roles=ADMIN, response=UsersOut, tag="users")
async def list_users(request: web.Request, ident: Identity) -> dict:
    return {"users": await request.app[appkeys.USERS].list()}


@api.route("POST", "/api/users", summary="Create a user", roles=ADMIN, body=NewUserIn, response=UserListItem,
           status=201, tag="users", errors=(409,))
async def create_user(request: web.Request, ident: Identity, body: NewUserIn) -> dict:
    users = request.app[appkeys.USERS]
    if not await users.add(body.name, body.role, body.password, body.display_name):
        raise Conflict(f"user {body.name!r} exists")
    return next(u for u in await users.list() if u["name"] == body.name)


@api.route("DELETE", "/api/users/{name}", summary="Remove a user and revoke their tokens", roles=ADMIN,
           status=204, tag="users", errors=(404,))
async def delete_user(request: web.Request, ident: Identity) -> None:
    await request.app[appkeys.USERS].remove(request.match_info["name"])


@api.route("POST", "/api/screens/{id}/token", summary="Issue a new kiosk token for a screen (revokes the old one)",
           roles=ADMIN, response=ScreenTokenOut, tag="users", errors=(422,))
async def screen_token(request: web.Request, ident: Identity) -> dict:
    sid = request.match_info["id"]
    try:
        request.app[appkeys.WALL].screen(sid)
    except KeyError:
        raise Invalid("unknown screen", errors=[{"path": "id", "message": f"unknown screen {sid!r}"}]) from None
    token = await request.app[appkeys.USERS].screen_token(sid)
    return {"screen": sid, "token": token, "url": f"/wall/screens/{sid}?token={token}"}
