"""The hall says at start whether Redis keeps acknowledged writes through a crash."""

import logging

import redis.asyncio as aioredis

from backend.app import check_durability


async def test_the_embedded_redis_is_durable_and_a_weakened_one_is_reported(redis_url, caplog):
    r = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        assert await check_durability(r) is True
        await r.config_set("appendfsync", "everysec")
        with caplog.at_level(logging.WARNING, logger="hall.app"):
            assert await check_durability(r) is False
        assert any("appendfsync always" in rec.getMessage() for rec in caplog.records)
    finally:
        await r.config_set("appendfsync", "always")
        await r.aclose()
