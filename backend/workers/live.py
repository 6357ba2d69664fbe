"""Workers' live positions to the centre's consoles: every change gathered and pushed as one
`workers:positions` message at most once a second (a district has hundreds of phones reporting)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import socketio

from .model import GridWorker

log = logging.getLogger("hall.workers.live")


class PositionsPush:
    """A registry hook: the newest state of each changed worker, flushed as one message per `every` seconds.

    The first change after a quiet time goes out at once; the next ones wait for the second to end."""

    def __init__(self, sio: socketio.AsyncServer, namespace: str, room: str, every: float = 1.0) -> None:
        self.sio = sio
        self.namespace = namespace
        self.room = room
        self.every = every
        self.pending: dict[str, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._last = -float("inf")

    async def __call__(self, what: str, w: GridWorker) -> None:
        self.pending[w.name] = w.position()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self.pending:  # changes that came in while the last batch was going out go next
            wait = self._last + self.every - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            batch, self.pending = list(self.pending.values()), {}
            self._last = loop.time()
            try:
                await self.sio.emit("workers:positions", {"workers": batch}, namespace=self.namespace,
                                    room=self.room)
            except Exception:  # Redis away for a moment: the next change sends the newest state again
                log.exception("workers:positions push failed", extra={"workers": len(batch)})

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
