"""Connecting to Redis: retries with backoff while it is away, and fails clearly when it stays away."""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("hall.store")

# A command retried while Redis is briefly away (restart, failover): about 10 s in all.
RETRIES = 10


def connect(url: str) -> aioredis.Redis:
    """A client that retries idempotent reconnects with exponential backoff and jitter."""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=2.0), RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError, ConnectionResetError, OSError],
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=10,
    )


async def wait_for_redis(client: aioredis.Redis, what: str, max_wait: float | None = None) -> None:
    """Wait (with backoff) until Redis answers PING; raise after max_wait seconds if given."""
    delay = 0.1
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        try:
            await client.ping()
            return
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            if max_wait is not None and loop.time() - start > max_wait:
                raise
            log.warning("waiting for redis", extra={"redis": what, "error": str(exc), "retry_in": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def redacted(url: str) -> str:
    """A Redis URL with its password hidden, for logs and messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
