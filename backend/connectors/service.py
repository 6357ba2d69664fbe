"""The connectors' one owner in the app: each connector polled at its interval by one hall process at a time (a
lease in Redis), or fed by its webhook; the latest values and the last error kept in Redis, every change handed
to the hooks (the wall's ticker and dashboards, the alarm rules, the consoles)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from .. import keys
from ..errors import Forbidden, Invalid, NotFound, Unauthorized
from .config import ConnectorConfig
from .mapping import MappingError, apply, ticker_line

log = logging.getLogger("hall.connectors")

Hook = Callable[[str, dict[str, Any]], Awaitable[None]]  # (connector id, its state now)
PARSE_INLINE = 64 * 1024  # larger answers are parsed off the event loop


class FetchError(Exception):
    """A poll that brought nothing usable, in words for the console."""


class Connectors:
    def __init__(self, redis: aioredis.Redis, connectors: list[ConnectorConfig]) -> None:
        self.redis = redis
        self.configs = {c.id: c for c in connectors}
        self.hooks: list[Hook] = []
        self.base_url: str | None = None  # the hall's own address, for poll URLs that are paths (set once listening)
        self.process = secrets.token_hex(6)  # who holds a poll lease
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- running --------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._session = aiohttp.ClientSession(headers={"Accept": "application/json",
                                                       "User-Agent": "CommandHall-connector"})
        self._tasks = [asyncio.create_task(self._run(c), name=f"connector-{c.id}")
                       for c in self.configs.values() if c.poll is not None]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self, c: ConnectorConfig) -> None:
        """Poll for ever; in several hall processes, the one that takes the interval's lease polls."""
        assert c.poll is not None
        while True:
            if c.poll.url.startswith("/") and not self.base_url:  # the hall is not listening yet: soon
                await asyncio.sleep(0.5)
                continue
            try:
                lease = max(1, int(c.poll.every_s * 900))  # ms: freed a little before the next turn
                if await self.redis.set(keys.connector_lease(c.id), self.process, nx=True, px=lease):
                    await self.poll(c.id)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: the wall keeps the last values; try again next turn
                log.exception("connector poll failed", extra={"connector": c.id})
            await asyncio.sleep(c.poll.every_s)

    # -- receiving --------------------------------------------------------------------------------------
    async def poll(self, cid: str) -> dict[str, Any]:
        """Poll one connector now: its values, or its error recorded (the last values stay)."""
        c = self.configs[cid]
        assert c.poll is not None
        try:
            doc = await self._fetch(c)
            values = apply(c.fields, doc)
        except (FetchError, MappingError) as exc:
            message = f"fields not found: {exc}" if isinstance(exc, MappingError) else str(exc)
            return await self._failed(c, message)
        return await self._got(c, values, "poll")

    async def _fetch(self, c: ConnectorConfig) -> Any:
        assert c.poll is not None
        url = c.poll.url
        if url.startswith("/"):
            if not self.base_url:
                raise FetchError("the hall's own address is not known yet")
            url = self.base_url.rstrip("/") + url
        if self._session is None:
            raise FetchError("the connectors are not running")
        try:
            async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=c.poll.timeout_s)) as resp:
                if resp.status != 200:
                    raise FetchError(f"HTTP {resp.status} from {_where(url)}")
                body = await resp.content.read(c.poll.max_bytes + 1)
        except TimeoutError:
            raise FetchError(f"no answer from {_where(url)} within {c.poll.timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"cannot reach {_where(url)}: {exc.__class__.__name__}") from None
        if len(body) > c.poll.max_bytes:
            raise FetchError(f"the answer is larger than {c.poll.max_bytes} bytes")
        try:
            return json.loads(body) if len(body) <= PARSE_INLINE else await asyncio.to_thread(json.loads, body)
        except ValueError:
            raise FetchError(f"the answer from {_where(url)} is not JSON") from None

    async def receive(self, cid: str, token: str | None, doc: Any) -> dict[str, Any]:
        """A webhook's body: checked against the connector's token, mapped; 422 names every missing field."""
        c = self.configs.get(cid)
        if c is None:
            raise NotFound(f"no connector {cid!r}")
        if c.webhook is None:
            raise NotFound(f"connector {cid!r} takes no webhook (it is polled)")
        secret = c.webhook.secret()
        if not token:
            raise Unauthorized("send the connector's token: Authorization: Bearer <token>")
        if secret is None or not hmac.compare_digest(token.encode(), secret.encode()):
            raise Forbidden("this is not the connector's token")
        try:
            values = apply(c.fields, doc)
        except MappingError as exc:
            await self._failed(c, f"webhook refused: fields not found: {exc}")
            raise Invalid("fields not found", errors=[{"path": path, "message": f"{name}: {why}"}
                                                      for name, path, why in exc.missing]) from None
        return await self._got(c, values, "webhook")

    async def _got(self, c: ConnectorConfig, values: dict[str, Any], how: str) -> dict[str, Any]:
        now = time.time()
        await self.redis.hset(keys.connector(c.id), mapping={"values": json.dumps(values, ensure_ascii=False),
                                                             "at": repr(now), "how": how})
        return await self._changed(c)

    async def _failed(self, c: ConnectorConfig, message: str) -> dict[str, Any]:
        log.warning("connector failed", extra={"connector": c.id, "error": message})
        await self.redis.hset(keys.connector(c.id), mapping={"error": message[:500], "error_at": repr(time.time())})
        return await self._changed(c)

    async def _changed(self, c: ConnectorConfig) -> dict[str, Any]:
        state = self.state(c, await self.redis.hgetall(keys.connector(c.id)), time.time())
        for hook in self.hooks:
            try:
                await hook(c.id, state)
            except Exception:  # a broken listener must not lose the values
                log.exception("connector hook failed", extra={"connector": c.id})
        return state

    # -- reading --------------------------------------------------------------------------------------------
    def state(self, c: ConnectorConfig, raw: dict[str, str], now: float) -> dict[str, Any]:
        """What the console and the wall show of a connector: values, their line and age, the last error."""
        try:
            values = json.loads(raw["values"]) if raw.get("values") else None
        except ValueError:
            values = None
        at = float(raw["at"]) if raw.get("at") else None
        error_at = float(raw["error_at"]) if raw.get("error_at") else None
        failing = error_at is not None and (at is None or error_at > at)
        alert = None
        if c.alert is not None and values is not None and str(values.get(c.alert.field)) in c.alert.levels:
            level = str(values[c.alert.field])
            alert = {"level": level, "rank": c.alert.levels.index(level), "levels": list(c.alert.levels)}
        return {"id": c.id, "name": c.name, "kind": c.kind, "how": raw.get("how"), "values": values,
                "line": ticker_line(c.ticker, values) if values is not None else None, "at": at,
                "age_s": round(now - at, 1) if at is not None else None,
                "stale": at is None or now - at > c.stale_s, "ok": values is not None and not failing,
                "error": raw.get("error") if failing else None, "error_at": error_at if failing else None,
                "polled": c.poll is not None, "webhook": c.webhook is not None, "alert": alert}

    async def states(self, now: float | None = None) -> list[dict[str, Any]]:
        """Every connector's state, in configuration order (one Redis round trip)."""
        now = time.time() if now is None else now
        ids = list(self.configs)
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(keys.connector(cid))
            raws = await pipe.execute()
        return [self.state(self.configs[cid], raw, now) for cid, raw in zip(ids, raws, strict=True)]


def _where(url: str) -> str:
    """A URL as the console may show it: no query (it may hold a key)."""
    return url.split("?", 1)[0]
