"""Log in and out; who am I."""

from __future__ import annotations

from aiohttp import web

from .. import appkeys
from ..auth import Identity
from ..roles import ANY_USER
from ..schemas import LoginIn, LoginOut, UserOut
from . import api


@api.route("POST", "/api/auth/login", summary="Log in with name and password; returns a bearer token",
           roles=None, body=LoginIn, response=LoginOut, tag="auth", errors=(401, 429))
async def login(request: web.Request, ident: Identity | None, body: LoginIn) -> dict:
    token, who, expires = await request.app[appkeys.USERS].login(body.username, body.password)
    return {"token": token, "user": who.public(), "expires_at": expires}


@api.route("GET", "/api/auth/me", summary="The identity behind the bearer token", roles=ANY_USER,
           response=UserOut, tag="auth")
async def me(request: web.Request, ident: Identity) -> dict:
    return ident.public()


@api.route("POST", "/api/auth/logout", summary="Revoke the bearer token", roles=ANY_USER, status=204, tag="auth")
async def logout(request: web.Request, ident: Identity) -> None:
    await request.app[appkeys.USERS].revoke_hash(ident.token_hash)
