"""Users, roles, password hashing (Argon2id) and bearer tokens, kept in Redis.

Logins are throttled per client address and per (user, address), counted atomically before the
password is checked, so an attacker elsewhere cannot lock a user out and parallel guesses cannot slip
past the count. Passwords are checked in a small pool of their own: wall and event work never wait
behind Argon2. Only hashes of tokens are stored; a revocation is published so every hall process
drops the connections made with that token at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import argon2
import redis.asyncio as aioredis

from . import keys
from .config import AuthConfig, UserConfig
from .errors import Invalid, NotFound, TooManyRequests, Unauthorized
from .roles import ROLES

log = logging.getLogger("hall.auth")
T = TypeVar("T")

_checker = argon2.PasswordHasher()  # verify() reads each stored hash's own parameters


@dataclass(frozen=True)
class Identity:
    name: str
    role: str
    screen: str | None = None
    token_hash: str = ""
    # A guest's token (an expert invited by a link) opens one thing only, e.g. "room:<id>"; None: a user's token.
    scope: str | None = None
    display_name: str | None = None

    def public(self) -> dict:
        return {"name": self.name, "role": self.role, "screen": self.screen, "scope": self.scope,
                "display_name": self.display_name}


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
        self._attempt = redis.register_script(_ATTEMPT)
        self._hash_pool = ThreadPoolExecutor(max_workers=cfg.hash_workers, thread_name_prefix="argon2")
        self._hash_slots = cfg.hash_workers + cfg.hash_queue  # logins checking or waiting to check
        self._hashing = 0
        cost = cfg.password_hashing
        self._hasher = argon2.PasswordHasher(time_cost=cost.time_cost, memory_cost=cost.memory_kib,
                                             parallelism=cost.parallelism)  # Argon2id
        self._dummy: str | None = None  # checked for unknown users, so they cost what a known one does

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self._hash_work(self._hasher.hash, "not-a-real-password")
        return self._dummy

    async def _hash_work(self, fn: Callable[..., T], *args: Any, wait: bool = True) -> T:
        """Run Argon2 in its own pool. `wait=False` (anonymous logins): refuse with 429 when the pool and
        its queue are full, rather than queue without bound."""
        if not wait and self._hashing >= self._hash_slots:
            raise TooManyRequests("the hall is checking many logins at once; retry in a second",
                                  headers={"Retry-After": "1"})
        self._hashing += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._hash_pool, fn, *args)
        finally:
            self._hashing -= 1

    def close(self) -> None:
        self._hash_pool.shutdown(wait=False, cancel_futures=True)

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
        pw_hash = await self._hash_work(self._hasher.hash, password)
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
    async def login(self, name: str, password: str, address: str = "unknown") -> tuple[str, Identity, float]:
        """Check the password; return (token, identity, expires_at).

        The attempt is counted before the check, atomically, against the (user, address) pair and the
        address: parallel guesses cannot pass the limit, and nobody elsewhere can lock this user out."""
        if len(password) > 1024:
            raise Unauthorized("wrong user name or password")
        if self._hashing >= self._hash_slots:  # before counting: a busy hall is not the client's failure
            raise TooManyRequests("the hall is checking many logins at once; retry in a second",
                                  headers={"Retry-After": "1"})
        pair, addr = keys.login_failures(name, address), keys.login_failures_from(address)
        window_ms = self.cfg.lockout_seconds * 1000
        allowed, wait_ms = await self._attempt(
            keys=[pair, addr], args=[self.cfg.login_max_failures, self.cfg.login_max_failures_per_address, window_ms])
        if not allowed:
            wait = max(1, -(-int(wait_ms) // 1000))
            log.warning("login throttled", extra={"user": name, "address": address, "retry_in_s": wait})
            raise TooManyRequests(f"too many failed logins; try again in {wait} s",
                                  headers={"Retry-After": str(wait)})
        user = await self.get(name)
        stored = user["password_hash"] if user else await self._dummy_hash()
        ok = await self._hash_work(_verify, stored, password, wait=False)
        if not ok or user is None:
            raise Unauthorized("wrong user name or password")  # the attempt stays counted
        async with self.redis.pipeline(transaction=True) as pipe:  # a success is not a failure after all
            pipe.delete(pair)
            pipe.decr(addr)
            await pipe.execute()
        ttl = int(self.cfg.token_ttl_hours * 3600)
        token, ident, expires = await self.issue(name, user["role"], ttl_seconds=ttl, kind="login")
        return token, ident, expires

    async def issue(self, name: str, role: str, *, ttl_seconds: int | None, screen: str | None = None,
                    kind: str = "login", scope: str | None = None,
                    display_name: str | None = None) -> tuple[str, Identity, float]:
        """A new bearer token; ttl None means it lasts until revoked (screens only). Only its hash is kept."""
        token = secrets.token_urlsafe(32)
        th = hash_token(token)
        expires = time.time() + ttl_seconds if ttl_seconds else 0.0
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.token(th), mapping={"user": name, "role": role, "screen": screen or "",
                                               "expires_at": str(expires), "created_at": _now_iso(),
                                               "kind": kind, "scope": scope or "", "display_name": display_name or ""})
            if ttl_seconds:
                pipe.expire(keys.token(th), ttl_seconds)
            pipe.sadd(keys.user_tokens(name), th)
            await pipe.execute()
        return token, Identity(name, role, screen, th, scope, display_name), expires

    async def token_for(self, name: str, ttl_seconds: int | None = None) -> str:
        """A token for scripts and integrations (`hall token NAME`); it expires (auth.token_default_days)."""
        user = await self.get(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        ttl = ttl_seconds or int(self.cfg.token_default_days * 86400)
        token, _, _ = await self.issue(name, user["role"], ttl_seconds=ttl, kind="cli")
        return token

    async def screen_token(self, screen_id: str) -> str:
        """A new kiosk token for one screen; the old one is revoked (its kiosk page is disconnected)."""
        token, ident, _ = await self.issue(f"screen:{screen_id}", "screen", ttl_seconds=None, screen=screen_id,
                                           kind="screen")
        old = await self.redis.getset(keys.screen_token(screen_id), ident.token_hash)
        if old and old != ident.token_hash:
            await self.revoke_hash(old)
        return token

    async def ensure_screen_token(self, screen_id: str) -> str | None:
        """A kiosk token for a screen that has none (or whose token is gone); None if it has one: only its
        hash is stored, so an existing token cannot be shown again (renew it instead)."""
        th = await self.redis.get(keys.screen_token(screen_id))
        if th and await self.redis.exists(keys.token(th)):
            return None
        return await self.screen_token(screen_id)

    async def tokens(self, name: str | None = None) -> list[dict[str, str]]:
        """Live tokens (of one user, or all) for `hall token --list`: id (a prefix of the hash), owner, kind,
        role, created, expires. Entries of expired tokens are dropped on the way."""
        if name is not None:
            owners = [keys.user_tokens(name)]
        else:
            owners = [k async for k in self.redis.scan_iter(match=keys.user_tokens("*"), count=500)]
        out = []
        for owner_key in owners:
            owner = owner_key[len(keys.user_tokens("")):]
            for th in sorted(await self.redis.smembers(owner_key)):
                data = await self.redis.hgetall(keys.token(th))
                if not data:
                    await self.redis.srem(owner_key, th)
                    continue
                exp = float(data.get("expires_at") or 0)
                out.append({"id": th[:TOKEN_ID_LEN], "user": owner, "role": data.get("role", ""),
                            "kind": data.get("kind", "login"), "created_at": data.get("created_at", ""),
                            "expires_at": datetime.fromtimestamp(exp, UTC).isoformat(timespec="seconds")
                            if exp else "never"})
        return sorted(out, key=lambda t: (t["user"], t["created_at"]))

    async def revoke_id(self, token_id: str) -> dict[str, str]:
        """Revoke the one token whose hash starts with `token_id` (from `hall token --list`)."""
        if len(token_id) < TOKEN_ID_LEN:
            raise Invalid("token id too short", errors=[{"path": "id", "message": f"give {TOKEN_ID_LEN} characters "
                                                         "as `hall token --list` prints them"}])
        matches = [t for t in await self.tokens() if t["id"].startswith(token_id[:TOKEN_ID_LEN])]
        if not matches:
            raise NotFound(f"no live token {token_id!r}")
        owner_key = keys.user_tokens(matches[0]["user"])
        full = [th for th in await self.redis.smembers(owner_key) if th.startswith(token_id)]
        if len(full) != 1:
            raise NotFound(f"no single live token {token_id!r}")
        await self.revoke_hash(full[0])
        return matches[0]

    async def resolve(self, token: str) -> Identity | None:
        if not token or len(token) > 200:
            return None
        th = hash_token(token)
        # one round trip: the token and whether its user still exists (every request pays this)
        found = await self._resolve(keys=[keys.token(th)], args=[keys.user("")])
        if not found:
            return None
        name, role, screen, expires_at, scope, display_name = found
        expires = float(expires_at or 0)
        if expires and expires < time.time():
            return None
        return Identity(name, role, screen or None, th, scope or None, display_name or None)

    async def invite(self, scope: str, display_name: str, role: str, hours: float) -> tuple[str, Identity, float]:
        """A guest's token for one thing (`scope`, e.g. "room:<id>"): an expert invited by a link, who has no
        account. It expires; the room's host may revoke it."""
        guest = f"guest:{secrets.token_urlsafe(6)}"
        return await self.issue(guest, role, ttl_seconds=int(hours * 3600), kind="invite", scope=scope,
                                display_name=display_name)

    async def revoke(self, token: str) -> None:
        await self.revoke_hash(hash_token(token))

    async def revoke_hash(self, th: str) -> None:
        data = await self.redis.hgetall(keys.token(th))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.token(th))
            if data:
                pipe.srem(keys.user_tokens(data["user"]), th)
            await pipe.execute()
        await self._announce([th])

    async def revoke_all(self, name: str) -> None:
        hashes = list(await self.redis.smembers(keys.user_tokens(name)))
        async with self.redis.pipeline(transaction=True) as pipe:
            for th in hashes:
                pipe.delete(keys.token(th))
            pipe.delete(keys.user_tokens(name))
            await pipe.execute()
        await self._announce(hashes)

    async def _announce(self, hashes: list[str]) -> None:
        """Tell every hall process (the app's `follow_revocations`) to drop these tokens' connections."""
        if hashes:
            await self.redis.publish(keys.AUTH_REVOKED, json.dumps(hashes))


TOKEN_ID_LEN = 12  # how much of a token's hash `hall token --list` shows (and --revoke takes)

# A login attempt, counted before the password is checked. KEYS: 1 failures of the (user, address) pair,
# 2 failures from the address. ARGV: 1 pair limit, 2 address limit, 3 window (ms). Replies {1, 0} when the
# attempt may go on (it is counted), {0, ms to wait} when a limit is reached.
_ATTEMPT = """
for i = 1, 2 do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n >= tonumber(ARGV[i]) then return {0, math.max(redis.call('PTTL', KEYS[i]), 1000)} end
end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return {1, 0}
"""

# KEYS[1] = the token's hash key, ARGV[1] = the user key prefix. Returns {user, role, screen, expires_at, scope,
# display_name}, or nil when the token is unknown or its user (not a screen's, not a guest's) has been removed.
_RESOLVE = """
local t = redis.call('HMGET', KEYS[1], 'user', 'role', 'screen', 'expires_at', 'scope', 'display_name')
if not t[1] then return nil end
local prefix = string.sub(t[1], 1, 6)
if prefix ~= 'screen' and prefix ~= 'guest:' and redis.call('EXISTS', ARGV[1] .. t[1]) == 0 then return nil end
return {t[1], t[2], t[3] or '', t[4] or '0', t[5] or '', t[6] or ''}
"""


def _verify(stored: str, password: str) -> bool:
    try:
        return _checker.verify(stored, password)
    except (argon2.exceptions.VerifyMismatchError, argon2.exceptions.InvalidHashError,
            argon2.exceptions.VerificationError):
        return False


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
