"""Users, roles, password hashing (Argon2id) and bearer tokens, kept in Redis."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import argon2
import redis.asyncio as aioredis

from . import keys
from .config import AuthConfig, UserConfig
from .errors import Invalid, NotFound, TooManyRequests, Unauthorized
from .roles import ROLES

_hasher = argon2.PasswordHasher()  # Argon2id, library defaults (64 MiB, 3 passes)
# A real hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class Identity:
    name: str
    role: str
    screen: str | None = None
    token_hash: str = ""

    def public(self) -> dict:
        return {"name": self.name, "role": self.role, "screen": self.screen}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Users:
    """User accounts and their tokens in Redis."""

    def __init__(self, redis: aioredis.Redis, cfg: AuthConfig) -> None:
        self.redis = redis
        self.cfg = cfg
        self._resolve = redis.register_script(_RESOLVE)

    # -- accounts ---------------------------------------------------------
    async def add(self, name: str, role: str, password: str, display_name: str | None = None,
                  *, replace: bool = False) -> bool:
        """Create a user (or replace, if asked); False if it exists and replace is off."""
        if role not in ROLES:
            raise Invalid("unknown role", errors=[{"path": "role", "message": f"must be one of {', '.join(ROLES)}"}])
        if len(password) < 8:
            raise Invalid("password too short", errors=[{"path": "password", "message": "at least 8 characters"}])
        if not replace and await self.redis.exists(keys.user(name)):
            return False
        pw_hash = await asyncio.to_thread(_hasher.hash, password)
        mapping = {"name": name, "role": role, "password_hash": pw_hash,
                   "display_name": display_name or name, "created_at": _now_iso()}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.user(name), mapping=mapping)
            pipe.sadd(keys.USERS, name)
            await pipe.execute()
        if replace:
            await self.revoke_all(name)
        return True

    async def bootstrap(self, users: list[UserConfig], env: dict[str, str]) -> list[str]:
        """Create the configured users that do not exist yet; return their names."""
        created = []
        for u in users:
            password = u.password if u.password is not None else env.get(u.password_env or "", "")
            if not password:
                continue
            if await self.add(u.name, u.role, password, u.display_name):
                created.append(u.name)
        return created

    async def get(self, name: str) -> dict | None:
        data = await self.redis.hgetall(keys.user(name))
        return data or None

    async def list(self) -> list[dict]:
        names = sorted(await self.redis.smembers(keys.USERS))
        out = []
        for name in names:
            data = await self.get(name)
            if data:
                out.append({"name": name, "role": data["role"], "display_name": data.get("display_name", name),
                            "created_at": data.get("created_at")})
        return out

    async def remove(self, name: str) -> None:
        if not await self.redis.exists(keys.user(name)):
            raise NotFound(f"no user {name!r}")
        await self.revoke_all(name)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.user(name))
            pipe.srem(keys.USERS, name)
            await pipe.execute()

    # -- login and tokens -------------------------------------------------
    async def login(self, name: str, password: str) -> tuple[str, Identity, float]:
        """Check the password; return (token, identity, expires_at). Locks out after repeated failures."""
        fail_key = keys.login_failures(name)
        failures = int(await self.redis.get(fail_key) or 0)
        if failures >= self.cfg.login_max_failures:
            ttl = await self.redis.ttl(fail_key)
            raise TooManyRequests(f"too many failed logins; try again in {max(ttl, 1)} s")
        user = await self.get(name)
        stored = user["password_hash"] if user else _DUMMY_HASH
        ok = await asyncio.to_thread(_verify, stored, password)
        if not ok or user is None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(fail_key)
                pipe.expire(fail_key, self.cfg.lockout_seconds)
                await pipe.execute()
            raise Unauthorized("wrong user name or password")
        await self.redis.delete(fail_key)
        ttl = int(self.cfg.token_ttl_hours * 3600)
        token, ident, expires = await self.issue(name, user["role"], ttl_seconds=ttl)
        return token, ident, expires

    async def issue(self, name: str, role: str, *, ttl_seconds: int | None,
                    screen: str | None = None) -> tuple[str, Identity, float]:
        """A new bearer token; ttl None means it lasts until revoked."""
        token = secrets.token_urlsafe(32)
        th = hash_token(token)
        expires = time.time() + ttl_seconds if ttl_seconds else 0.0
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.token(th), mapping={"user": name, "role": role, "screen": screen or "",
                                               "expires_at": str(expires)})
            if ttl_seconds:
                pipe.expire(keys.token(th), ttl_seconds)
            pipe.sadd(keys.user_tokens(name), th)
            await pipe.execute()
        return token, Identity(name, role, screen, th), expires

    async def token_for(self, name: str, ttl_seconds: int | None = None) -> str:
        """A token for scripts and integrations (`hall token NAME`)."""
        user = await self.get(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        token, _, _ = await self.issue(name, user["role"], ttl_seconds=ttl_seconds)
        return token

    async def screen_token(self, screen_id: str, *, renew: bool = False) -> str:
        """The kiosk token of one screen: created once and kept, so a screen's URL stays valid."""
        existing = None if renew else await self.redis.get(keys.screen_token(screen_id))
        if existing and await self.resolve(existing):
            return existing
        token, _, _ = await self.issue(f"screen:{screen_id}", "screen", ttl_seconds=None, screen=screen_id)
        old = await self.redis.getset(keys.screen_token(screen_id), token)
        if old:
            await self.revoke(old)
        return token

    async def resolve(self, token: str) -> Identity | None:
        if not token or len(token) > 200:
            return None
        th = hash_token(token)
        # one round trip: the token and whether its user still exists (every request pays this)
        found = await self._resolve(keys=[keys.token(th)], args=[keys.user("")])
        if not found:
            return None
        name, role, screen, expires_at = found
        expires = float(expires_at or 0)
        if expires and expires < time.time():
            return None
        return Identity(name, role, screen or None, th)

    async def revoke(self, token: str) -> None:
        await self.revoke_hash(hash_token(token))

    async def revoke_hash(self, th: str) -> None:
        data = await self.redis.hgetall(keys.token(th))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.token(th))
            if data:
                pipe.srem(keys.user_tokens(data["user"]), th)
            await pipe.execute()

    async def revoke_all(self, name: str) -> None:
        hashes = await self.redis.smembers(keys.user_tokens(name))
        async with self.redis.pipeline(transaction=True) as pipe:
            for th in hashes:
                pipe.delete(keys.token(th))
            pipe.delete(keys.user_tokens(name))
            await pipe.execute()


# KEYS[1] = the token's hash key, ARGV[1] = the user key prefix. Returns {user, role, screen,
# expires_at}, or nil when the token is unknown or its (non-screen) user has been removed.
_RESOLVE = """
local t = redis.call('HMGET', KEYS[1], 'user', 'role', 'screen', 'expires_at')
if not t[1] then return nil end
if string.sub(t[1], 1, 7) ~= 'screen:' and redis.call('EXISTS', ARGV[1] .. t[1]) == 0 then return nil end
return {t[1], t[2], t[3] or '', t[4] or '0'}
"""


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (argon2.exceptions.VerifyMismatchError, argon2.exceptions.InvalidHashError,
            argon2.exceptions.VerificationError):
        return False


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
