"""Log in and out; who am I."""

from __future__ import annotations

import ipaddress

from aiohttp import web

from .. import appkeys
from ..auth import Identity
from ..errors import Forbidden
from ..roles import ANY_USER, Role
from ..schemas import LoginIn, LoginOut, UserOut
from . import api


def client_address(request: web.Request) -> str:
    """Who is logging in, for throttling: the peer, or the client a trusted reverse proxy names."""
    peer = request.remote or "unknown"
    trusted = request.app[appkeys.CONFIG].auth.trusted_proxies
    if peer in trusted:
        for hop in reversed([h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]):
            if hop and hop not in trusted:
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    break
    return peer


@api.route("POST", "/api/auth/login", summary="Log in with name and password; returns a bearer token. Failed "
           "attempts are limited per client address and per (user, address): 429 with Retry-After",
           roles=None, body=LoginIn, response=LoginOut, tag="auth", errors=(401, 429))
async def login(request: web.Request, ident: Identity | None, body: LoginIn) -> dict:
    users = request.app[appkeys.USERS]
    token, who, expires = await users.login(body.username, body.password, client_address(request))
    return {"token": token, "user": who.public(), "expires_at": expires}


@api.route("GET", "/api/auth/me", summary="The identity behind the bearer token", roles=ANY_USER,
           response=UserOut, tag="auth")
async def me(request: web.Request, ident: Identity) -> dict:
    return ident.public()


@api.route("POST", "/api/auth/logout", summary="Revoke the bearer token (a screen's kiosk token is renewed by an "
           "admin instead: POST /api/screens/{id}/token)", roles=ANY_USER, status=204, tag="auth", errors=(403,))
async def logout(request: web.Request, ident: Identity) -> None:
    if ident.role == Role.SCREEN:
        raise Forbidden("a screen's kiosk token cannot log itself out; an admin renews it")
    await request.app[appkeys.USERS].revoke_hash(ident.token_hash)
