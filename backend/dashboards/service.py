"""The dashboards' one owner in the app: each wall panel's document (a dashboard, a ticker, a panel of event
figures) built from what it shows, rebuilt when that changes, and pushed to the kiosks watching it (Socket.IO
`/wall`, room `panel:{id}`); the kiosks never poll. Changes are gathered for `dashboards.rebuild_s`, so a burst
of reports costs one rebuild, and only the panels on the wall are rebuilt (the others when a kiosk asks)."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..config import PanelConfig
from ..events.figures import made_all
from ..wall_control import WallControl
from ..workers.live import PositionsPush
from ..workers.model import GridWorker
from . import disputes, event_management, information, performance, warning
from .config import TITLES
from .context import WALL_ROLE, Sources

log = logging.getLogger("hall.dashboards")

Emit = Callable[[str, dict[str, Any]], Awaitable[None]]  # (panel id, its document)
BUILDERS = {"information": information.build, "events": event_management.build, "disputes": disputes.build,
            "warning": warning.build, "performance": performance.build}
# What each dashboard is made of: the changes that make it stale.
READS = {"information": {"events", "workers", "media"}, "events": {"events", "minute"},
         "disputes": {"events", "minute"}, "warning": {"events", "minute", "alerts"},
         "performance": {"events", "patrol", "workers"}}
PANEL_KINDS = ("dashboard", "ticker", "chart")
MAX_WAIT_S = 0.6  # the longest a change waits for others to be shown with it


def digest(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k not in ("at", "as_of")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class Dashboards:
    def __init__(self, src: Sources, panels: list[PanelConfig], wall: WallControl) -> None:
        self.src = src
        self.panels = {p.id: p for p in panels if p.kind in PANEL_KINDS and (p.kind != "chart" or p.figures)}
        self.wall = wall
        self.emits: list[Emit] = []
        self.docs: dict[str, dict[str, Any]] = {}
        self.digests: dict[str, str] = {}
        self.dirty: set[str] = set(self.panels)
        self.built_in: dict[str, float] = {}  # panel -> seconds its last build took
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._locks = {pid: asyncio.Lock() for pid in self.panels}
        self._cameras: int | None = None
        self._minute = ""
        self.positions: PositionsPush | None = None  # the workers' positions to the wall's maps (set by the app)

    # -- what changed ------------------------------------------------------------------------------------------
    def reads(self, p: PanelConfig) -> set[str]:
        if p.kind == "dashboard":
            return READS[p.dashboard or ""]
        if p.kind == "ticker":
            return {f"connector:{c}" for c in (p.connectors or self._connector_ids())}
        return {"events"}  # a panel of event figures

    def _connector_ids(self) -> list[str]:
        return list(self.src.connectors.configs) if self.src.connectors is not None else []

    def touch(self, *what: str) -> None:
        """Something the panels read changed: the panels that read it are rebuilt shortly."""
        changed = set(what)
        stale = {pid for pid, p in self.panels.items() if self.reads(p) & changed}
        if stale:
            self.dirty |= stale
            self._wake.set()

    async def on_event(self, name: str, data: dict[str, Any]) -> None:
        """The events' hook (`event`, `event:warning`): every dashboard counting events is rebuilt."""
        self.touch("events")

    async def on_worker(self, what: str, w: GridWorker) -> None:
        """The workers' hook: duty changes the counts; a position may cover a new square of a grid."""
        if what == "status":
            self.touch("workers")
        elif what == "position" and await self.src.patrol.on_worker(what, w):
            self.touch("patrol")

    async def on_connector(self, cid: str, state: dict[str, Any]) -> None:
        changed = [f"connector:{cid}"]
        conn = self.src.connectors.configs.get(cid) if self.src.connectors is not None else None
        if conn is not None and conn.alert is not None:
            changed.append("alerts")
        self.touch(*changed)

    # -- building ---------------------------------------------------------------------------------------------
    async def build(self, pid: str) -> dict[str, Any]:
        """One panel's document now (a failure keeps the last one, marked with the error)."""
        p = self.panels[pid]
        started = time.monotonic()
        now = self.src.now()
        head: dict[str, Any] = {"panel": pid, "kind": p.kind, "title": p.name, "at": now,
                                "as_of": self.src.clock.hm(now), "type": self.src.dcfg.type.model_dump()}
        try:
            if p.kind == "dashboard":
                body = await BUILDERS[p.dashboard or ""](self.src)
                head |= {"dashboard": p.dashboard, "subtitle": TITLES[p.dashboard or ""]}
            elif p.kind == "ticker":
                body = await self._ticker(p, now)
            else:
                body = {"figures": await made_all(self.src.events, p.figures, WALL_ROLE, [self.src.today()])}
            doc = head | body
        except Exception as exc:
            log.exception("dashboard build failed", extra={"panel": pid})
            doc = {**self.docs.get(pid, head), "error": f"not updated since {self.docs.get(pid, head)['as_of']}: "
                                                        f"{exc.__class__.__name__}"}
        self.built_in[pid] = time.monotonic() - started
        return doc

    async def _ticker(self, p: PanelConfig, now: float) -> dict[str, Any]:
        if self.src.connectors is None:
            return {"lines": []}
        wanted = p.connectors or self._connector_ids()
        states = {s["id"]: s for s in await self.src.connectors.states(now)}
        lines = []
        for cid in wanted:
            s = states.get(cid)
            if s is None or s["line"] is None:
                continue
            line = s["line"]
            conn = self.src.connectors.configs[cid]
            if conn.alert is not None and s["alert"] is None:  # a warning service with nothing in force
                line = f"{s['name']}: no warning in force"
            lines.append({"id": cid, "name": s["name"], "kind": s["kind"], "line": line, "stale": s["stale"],
                          "as_of": self.src.clock.when(s["at"], now), "alert": s["alert"]})
        return {"lines": lines}

    async def doc(self, pid: str) -> dict[str, Any]:
        """The panel's document: the last one if nothing changed since, else built now (and pushed)."""
        async with self._locks[pid]:
            if pid in self.docs and pid not in self.dirty:
                return self.docs[pid]
            self.dirty.discard(pid)
            doc = await self.build(pid)
            await self._publish(pid, doc)
            return doc

    async def _publish(self, pid: str, doc: dict[str, Any]) -> None:
        self.docs[pid] = doc
        d = digest(doc)
        if self.digests.get(pid) == d:
            return
        self.digests[pid] = d
        for emit in self.emits:
            try:
                await emit(pid, doc)
            except Exception:
                log.exception("dashboard push failed", extra={"panel": pid})

    # -- running ----------------------------------------------------------------------------------------------
    async def start(self) -> None:
        if any(p.kind == "chart" for p in self.panels.values()):  # plotly.py is slow to import: not at a first change
            await asyncio.to_thread(importlib.import_module, "plotly.graph_objects")
        self._tasks = [asyncio.create_task(self._rebuild(), name="dashboards-rebuild"),
                       asyncio.create_task(self._tick(), name="dashboards-tick")]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.positions is not None:
            await self.positions.stop()

    async def shown(self) -> set[str]:
        """The panels some window of the wall shows now."""
        return {w.panel for w in (await self.wall.layout()).windows if w.panel in self.panels}

    async def _rebuild(self) -> None:
        while True:
            await self._wake.wait()
            # gather what else changes meanwhile; slow builds make the wait longer (a busy hall first), up to
            # MAX_WAIT_S so a change still shows within a second or so
            slowest = max((self.built_in.get(pid, 0.0) for pid in self.dirty), default=0.0)
            await asyncio.sleep(min(MAX_WAIT_S, max(self.src.dcfg.rebuild_s, slowest)))
            self._wake.clear()
            try:
                await asyncio.gather(*(self.doc(pid) for pid in sorted(self.dirty & await self.shown())))
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: try again at the next change
                log.exception("dashboards rebuild failed")

    async def _tick(self) -> None:
        """Once a second: what changes with time alone (the minute shown, the cameras online in this process)."""
        while True:
            await asyncio.sleep(1.0)
            minute = self.src.clock.hm(self.src.now())
            if minute != self._minute:
                self._minute = minute
                self.touch("minute")
            health = self.src.media_health()
            if health is not None:
                live = sum(1 for s in health.get("sources", {}).values() if s.get("state") == "live")
                if live != self._cameras:
                    self._cameras = live
                    self.touch("media")
