"""The wall's live panels as documents: each dashboard, ticker and panel of figures as the kiosks draw it (the
same document `/wall` pushes them), for consoles, other systems and tests."""

from __future__ import annotations

from aiohttp import web

from .. import appkeys
from ..auth import Identity
from ..errors import NotFound
from ..roles import WALL_READ
from . import api

TAG = "dashboards"


@api.route("GET", "/api/dashboards", summary="The wall's live panels: dashboards, tickers, panels of event figures",
           roles=WALL_READ, tag=TAG)
async def list_panels(request: web.Request, ident: Identity) -> dict:
    d = request.app[appkeys.DASHBOARDS]
    return {"panels": [{"id": p.id, "name": p.name, "kind": p.kind, "dashboard": p.dashboard}
                       for p in d.panels.values()]}


@api.route("GET", "/api/dashboards/{panel}", summary="One live panel's document as the wall draws it now: key "
           "figures and tiles (charts as Plotly JSON, lists, rankings, squares, maps), or a ticker's lines",
           roles=WALL_READ, tag=TAG, errors=(404,))
async def get_panel(request: web.Request, ident: Identity) -> dict:
    d = request.app[appkeys.DASHBOARDS]
    pid = request.match_info["panel"]
    if pid not in d.panels:
        raise NotFound(f"no live panel {pid!r}; one of {', '.join(d.panels) or '(none configured)'}")
    return await d.doc(pid)
