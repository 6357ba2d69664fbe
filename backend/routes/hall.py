"""The hall itself for the pages: its name, its time zone and the vocabularies the pages use
(roles, source kinds, window kinds and fits, the events' words, who may call), served from the typed enums and
the configuration so no page copies them."""

from __future__ import annotations

from typing import get_args

from aiohttp import web
from pydantic import BaseModel, Field

from layouts.window import Fit, WindowKind

from .. import appkeys
from ..auth import Identity
from ..config import SOURCE_SCHEMES
from ..events.schemas import VocabularyOut
from ..events.vocab import vocabulary
from ..roles import ANY_USER, ROLES
from . import api


class CallsOut(BaseModel):
    """What the pages need of `calls:`: whether to offer the call buttons, and the counts they show."""

    callers: list[str] = Field(description="roles that may start calls (the console shows its call buttons to them)")
    ring_at_once: int = Field(description="how many phones 'Ring nearest' rings together")
    ring_timeout_s: float
    reconnect_grace_s: float = Field(description="how long a page keeps trying to come back into a dropped call")


class HallOut(BaseModel):
    district: str
    timezone: str
    roles: list[str]
    source_kinds: list[str]
    window_kinds: list[str]
    window_fits: list[str]
    ice_servers: list[dict] = Field(description="the STUN/TURN servers the pages' own peer connections use (calls, "
                                    "rooms); empty on a closed network")
    calls: CallsOut
    events: VocabularyOut


@api.route("GET", "/api/hall", summary="The hall: district, display time zone and the vocabularies of the pages",
           roles=ANY_USER, response=HallOut, tag="system")
async def hall(request: web.Request, ident: Identity) -> HallOut:
    cfg = request.app[appkeys.CONFIG]
    return HallOut(district=cfg.district, timezone=cfg.display.timezone, roles=list(ROLES),
                   source_kinds=sorted({"rtsp" if s == "rtsps" else s for s in SOURCE_SCHEMES}),
                   window_kinds=list(get_args(WindowKind)), window_fits=list(get_args(Fit)),
                   ice_servers=[s.for_browser() for s in request.app[appkeys.MEDIA].settings.ice_servers],
                   calls=CallsOut(callers=[r.value for r in cfg.calls.callers], ring_at_once=cfg.calls.ring_at_once,
                                  ring_timeout_s=cfg.calls.ring_timeout_s,
                                  reconnect_grace_s=cfg.calls.reconnect_grace_s),
                   events=VocabularyOut.model_validate(vocabulary()))
