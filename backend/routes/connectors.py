"""Data from other systems: the connectors' state for the console (values, age, last error), a webhook per
connector guarded by its own token, and a poll on demand."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import RootModel

from .. import appkeys
from ..auth import Identity, bearer
from ..errors import NotFound
from ..roles import CONSOLE, WALL_WRITE
from . import api

TAG = "connectors"


class WebhookIn(RootModel[dict[str, Any]]):
    """Whatever JSON object the other system sends; the connector's `fields` say what is read from it."""


@api.route("GET", "/api/connectors", summary="Every connector: its latest values and their ticker line, when they "
           "came (age), how (poll or webhook), the last error, a warning in force", roles=CONSOLE, tag=TAG)
async def list_connectors(request: web.Request, ident: Identity) -> dict:
    return {"connectors": await request.app[appkeys.CONNECTORS].states()}


@api.route("POST", "/api/connectors/{id}/webhook", summary="Another system sends its data (a JSON object); "
           "guarded by the connector's own token (Authorization: Bearer, or X-Hall-Token), not a user's; 422 names "
           "every mapped field missing from it", roles=None, body=WebhookIn, tag=TAG, errors=(401, 403, 404))
async def webhook(request: web.Request, ident: Identity | None, body: WebhookIn) -> dict:
    token = bearer(request.headers.get("Authorization")) or request.headers.get("X-Hall-Token")
    state = await request.app[appkeys.CONNECTORS].receive(request.match_info["id"], token, body.root)
    return {"connector": state}


@api.route("POST", "/api/connectors/{id}/poll", summary="Poll a connector now (its values, or the error recorded)",
           roles=WALL_WRITE, tag=TAG, errors=(404,))
async def poll_now(request: web.Request, ident: Identity) -> dict:
    conns = request.app[appkeys.CONNECTORS]
    cid = request.match_info["id"]
    c = conns.configs.get(cid)
    if c is None or c.poll is None:
        raise NotFound(f"no polled connector {cid!r}")
    return {"connector": await conns.poll(cid)}
