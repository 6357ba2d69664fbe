"""The backend's side of the cascade (media/cascade.py): which targets publish to the other centres.

The configuration's `enabled` is the default; the console starts and stops a target at run time, kept in Redis
so every hall process and a restart agree. The process that runs the media server follows it: at once when the
change is made there, within FOLLOW_EVERY_S when another process took it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis

from media.server import MediaServer, MediaUnavailable

from . import keys
from .config import HallConfig

log = logging.getLogger("hall.cascade")

FOLLOW_EVERY_S = 2.0


class CascadeControl:
    def __init__(self, cfg: HallConfig, redis: aioredis.Redis, server: MediaServer) -> None:
        self.cfg = cfg
        self.redis = redis
        self.server = server
        self.names = [t.name for t in cfg.cascade.targets]
        self._task: asyncio.Task[None] | None = None

    # -- what is wanted ----------------------------------------------------------------------------
    async def wanted(self) -> dict[str, dict[str, Any]]:
        """Each target: {enabled, by, at}: the console's last word, else the configuration's."""
        stored = await self.redis.hgetall(keys.CASCADE_TARGETS) if self.names else {}
        out: dict[str, dict[str, Any]] = {}
        for t in self.cfg.cascade.targets:
            doc: dict[str, Any] = {"enabled": t.enabled, "by": None, "at": None, "publish": None}
            try:
                doc |= {k: v for k, v in json.loads(stored.get(t.name) or "{}").items() if k in doc}
            except (ValueError, AttributeError):
                log.warning("a stored cascade setting does not read; the configuration's holds",
                            extra={"key": keys.CASCADE_TARGETS, "target": t.name})
            doc["enabled"] = bool(doc["enabled"])
            out[t.name] = doc
        return out

    async def set_enabled(self, name: str, enabled: bool, by: str, publish: str | None = None) -> None:
        """Start or stop publishing a target (KeyError: no such target), with what it publishes (None: what it
        published last, else the configuration's); applied at once if the media runs here."""
        if name not in self.names:
            raise KeyError(name)
        if publish is None:
            publish = (await self.wanted())[name]["publish"]
        doc = {"enabled": enabled, "by": by, "at": datetime.now(UTC).isoformat(timespec="seconds"),
               "publish": publish}
        await self.redis.hset(keys.CASCADE_TARGETS, name, json.dumps(doc))
        log.info("cascade target %s", "started" if enabled else "stopped", extra={"target": name, "by": by})
        if self.server.running:
            await self.apply()

    async def apply(self) -> None:
        """Make this process's publishers what is wanted."""
        wanted = await self.wanted()
        cascade = self.server.cascade
        for name, doc in wanted.items():
            try:
                what = doc["publish"] or cascade.targets[name].publish
                if doc["enabled"] and (name not in cascade.publishers or cascade.current.get(name) != what):
                    await cascade.publish(name, what)
                elif not doc["enabled"] and name in cascade.publishers:
                    await cascade.unpublish(name)
            except MediaUnavailable:
                return

    # -- what the console sees ---------------------------------------------------------------------------
    async def targets(self) -> list[dict[str, Any]]:
        """Every target: its configuration, who last started or stopped it, and its link's health here."""
        wanted = await self.wanted()
        health = self.server.cascade.health()
        return [{**health[name], "enabled": wanted[name]["enabled"], "changed_by": wanted[name]["by"],
                 "changed_at": wanted[name]["at"]} for name in self.names]

    # -- life cycle (the process that runs the media server) ------------------------------------------------
    def warn_about_tokens(self) -> None:
        for i, t in enumerate(self.cfg.cascade.targets):
            if t.enabled and t.token_env and t.token_env not in os.environ:
                log.warning(f"cascade.targets[{i}].token_env: the environment variable {t.token_env} is not set; "
                            "the target publishes without a token", extra={"key": f"cascade.targets[{i}].token_env"})

    async def start(self) -> None:
        self.warn_about_tokens()
        await self.server.start_links()  # the whep:// sources
        if self.names:
            await self.apply()
            self._task = asyncio.create_task(self._follow(), name="cascade-follow")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(FOLLOW_EVERY_S)
            try:
                await self.apply()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: the targets keep doing what they do
                log.warning("cascade follower: %s", exc)
