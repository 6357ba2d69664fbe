"""The hall itself for the pages: its name, its time zone and the vocabularies the pages use
(roles, source kinds, window kinds and fits), served from the typed enums so no page copies them."""

from __future__ import annotations

from typing import get_args

from aiohttp import web
from pydantic import BaseModel, Field

from layouts.window import Fit, WindowKind

from .. import appkeys
from ..auth import Identity
from ..config import SOURCE_SCHEMES
from ..roles import ANY_USER, ROLES
from . import api


class HallOut(BaseModel):
    district: str
    timezone: str
    roles: list[str]
    source_kinds: list[str]
    window_kinds: list[str]
    window_fits: list[str]
    ice_servers: list[dict] = Field(description="the STUN/TURN servers the pages' own peer connections use (calls, "
                                    "rooms); empty on a closed network")


@api.route("GET", "/api/hall", summary="The hall: district, display time zone and the vocabularies of the pages",
           roles=ANY_USER, response=HallOut, tag="system")
async def hall(request: web.Request, ident: Identity) -> HallOut:
    cfg = request.app[appkeys.CONFIG]
    return HallOut(district=cfg.district, timezone=cfg.display.timezone, roles=list(ROLES),
                   source_kinds=sorted({"rtsp" if s == "rtsps" else s for s in SOURCE_SCHEMES}),
                   window_kinds=list(get_args(WindowKind)), window_fits=list(get_args(Fit)),
                   ice_servers=[s.for_browser() for s in request.app[appkeys.MEDIA].settings.ice_servers])
