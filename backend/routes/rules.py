"""Layout rules: the alarms (what sets each off, whether it holds a region now, why, until when) and the
schedules (next time), and an alarm's region put back by hand."""

from __future__ import annotations

from aiohttp import web

from .. import appkeys
from ..auth import Identity
from ..roles import CONSOLE, WALL_WRITE
from . import api

TAG = "rules"


@api.route("GET", "/api/rules", summary="Alarm rules (active ones: why, the region, until when) and schedules "
           "(next time, district time zone)", roles=CONSOLE, tag=TAG)
async def list_rules(request: web.Request, ident: Identity) -> dict:
    return await request.app[appkeys.RULES].states()


@api.route("POST", "/api/rules/alarms/{name}/revert", summary="Put an alarm's region back to what it showed "
           "before, now (as this user)", roles=WALL_WRITE, tag=TAG, errors=(404, 409))
async def revert(request: web.Request, ident: Identity) -> dict:
    return {"alarm": await request.app[appkeys.RULES].alarms.revert(request.match_info["name"], ident.name)}
