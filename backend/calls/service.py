"""Calls: a commander's one click rings the grid workers nearest an event, the first to answer is face to face
with the console, and the call is recorded on the event.

Ringing: "nearest" rings one worker at a time, the next when one declines or lets it ring out; "ring" rings a
few at once and the first to answer gets the call (the others stop ringing); "worker" rings one chosen worker.
Busy workers and workers in a call are never rung. Each call's state lives here (this process runs its media)
and is mirrored to Redis for reads, lists and the event's records; every change is pushed to the caller's
console and the worker's phone (hooks). A side whose network drops may come back into the same call within
`calls.reconnect_grace_s`; after that the call ends as failed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import redis.asyncio as aioredis

from media.calls import CallMedia, CallVideo, Side, call_source_id
from media.webrtc import OfferRejected

from .. import keys
from ..auth import Identity
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..events.schemas import ActionIn
from ..roles import ADMIN, CENTRE, Role
from .config import CallsConfig
from .model import CallRecord, CallState, EventBrief, Mode, Outcome, Person, Recording, Rung, Text

if TYPE_CHECKING:
    from media.server import MediaServer

    from ..events.service import EventService
    from ..wall_control import WallControl
    from ..workers.registry import WorkerRegistry

log = logging.getLogger("hall.calls")

# (what, payload, (namespace kind, user name)): the app turns it into a Socket.IO message
Push = Callable[[str, dict[str, Any], tuple[Literal["console", "field"], str]], Awaitable[None]]
RECORD_DAYS = 400  # a call's record is kept this long (its event's audit log keeps the summary for ever)
TICK_S = 0.25


class _Live:
    """A call this process runs: its record, its media, its ringing task."""

    def __init__(self, record: CallRecord, media: CallMedia, queue: list[Rung]) -> None:
        self.record = record
        self.media = media
        self.queue = queue  # candidates not rung yet, nearest first
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        self.drop_checks: dict[str, asyncio.TimerHandle] = {}


class CallService:
    def __init__(self, redis: aioredis.Redis, cfg: CallsConfig, media: MediaServer, workers: WorkerRegistry,
                 events: EventService, wall: WallControl, data_dir: Callable[[], str]) -> None:
        self.redis = redis
        self.data_dir = data_dir
        self.cfg = cfg
        self.media = media
        self.workers = workers
        self.events = events
        self.wall = wall
        self.callers = frozenset(r.value for r in cfg.callers)
        self.hooks: list[Push] = []
        self._live: dict[str, _Live] = {}
        self._ended_media: dict[str, CallMedia] = {}  # ended calls whose camera a wall window still shows
        self._tasks: set[asyncio.Future[None]] = set()  # pushes and ends started from media callbacks

    # -- reading -------------------------------------------------------------------------------------
    async def get(self, call_id: str) -> CallRecord:
        live = self._live.get(call_id)
        if live is not None:
            return live.record
        raw = await self.redis.get(keys.call(call_id))
        if raw is None:
            raise NotFound(f"no call {call_id!r}")
        return CallRecord.model_validate_json(raw)

    async def get_for(self, call_id: str, ident: Identity) -> CallRecord:
        """The call, if `ident` takes part in it (or works at the centre); 404 otherwise."""
        record = await self.get(call_id)
        if not self._may_see(record, ident):
            raise NotFound(f"no call {call_id!r}")
        return record

    def _may_see(self, record: CallRecord, ident: Identity) -> bool:
        if ident.role in CENTRE:
            return True
        return ident.name == record.caller.name or any(r.name == ident.name for r in record.rung)

    async def list(self, ident: Identity, *, event: str | None = None, active: bool | None = None,
                   limit: int = 50) -> list[CallRecord]:
        key = keys.calls_of_event(event) if event else keys.CALLS
        ids = await self.redis.zrevrange(key, 0, max(limit * 4, 200) - 1)
        out = []
        for cid in ids:
            try:
                record = await self.get(cid)
            except NotFound:
                continue
            if not self._may_see(record, ident):
                continue
            if active is not None and (record.state != CallState.ENDED) != active:
                continue
            out.append(record)
            if len(out) >= limit:
                break
        return out

    def view(self, record: CallRecord) -> dict[str, Any]:
        out = {**record.model_dump(mode="json", exclude={"recording": {"file"}}), "duration_s": record.duration_s}
        if record.recording is not None and record.recording.state == "done":
            out["recording"]["url"] = f"/api/calls/{record.id}/recording.mp4"
        return out

    # -- starting a call ------------------------------------------------------------------------------
    async def start(self, ident: Identity, *, mode: Mode, event_id: str | None = None, worker: str | None = None,
                    lat: float | None = None, lon: float | None = None) -> CallRecord:
        if ident.role not in self.callers:
            raise Forbidden(f"role {ident.role!r} may not start calls "
                            f"(calls.callers: {', '.join(sorted(self.callers))})")
        brief: EventBrief | None = None
        grid: str | None = None
        if event_id is not None:
            ev = await self.events.get_for(event_id, ident)
            view = self.events.view(ev, ident)
            brief = EventBrief(id=ev.id, category_name=ev.category_name, description=ev.description[:300],
                               place=view.get("place"), address=ev.address, urgency=ev.urgency, lat=ev.lat,
                               lon=ev.lon)
            lat, lon, grid = ev.lat if lat is None else lat, ev.lon if lon is None else lon, ev.grid
        people = await self.workers.people()
        skipped: list[dict[str, object]] = []
        if mode == Mode.WORKER:
            if worker is None:
                raise Invalid("whom to call", errors=[{"path": "worker", "message": "name the worker to call"}])
            w = await self.workers.get(worker)
            if w is None or worker not in people:
                raise Invalid("unknown worker", errors=[{"path": "worker", "message": f"no grid worker {worker!r}"}])
            if w.call:
                raise Conflict(f"{w.display_name} is in another call")
            if w.status != "on_duty":
                raise Conflict(f"{w.display_name} is {w.status.replace('_', ' ')}; only workers on duty are rung")
            candidates = [Rung(name=worker, display_name=people[worker], at=0, until=0)]
        else:
            if lat is None or lon is None:
                raise Invalid("where", errors=[{"path": "event", "message": "give an event with a place, or lat "
                                                                            "and lon, to find the nearest workers"}])
            found = await self.workers.nearest(lat, lon, event_grid=grid)
            candidates = [Rung(name=c["name"], display_name=c["display_name"], distance_m=c.get("distance_m"),
                               at=0, until=0) for c in found["candidates"]]
            skipped = [{k: s.get(k) for k in ("name", "display_name", "reason", "why", "distance_m")}
                       for s in found.get("skipped", [])]
            if not candidates:
                raise Conflict(found.get("short") or "no grid worker is available near this place",
                               skipped=skipped)
        call_id = secrets.token_urlsafe(9)
        record = CallRecord(id=call_id, mode=mode, event=brief, started_at=time.time(), skipped=skipped,
                            caller=Person(name=ident.name, display_name=await self._display_name(ident.name)),
                            source=call_source_id(call_id))
        video = CallVideo(self.cfg.video.landscape, self.cfg.video.portrait, self.cfg.video.bitrate_kbps)
        media = CallMedia(self.media, call_id, record.caller.display_name, "Grid worker", video,
                          on_state=lambda side, state: self._on_media_state(call_id, side, state))
        await asyncio.to_thread(media.start)
        live = _Live(record, media, candidates)
        self._live[call_id] = live
        await self._save(record)
        live.task = asyncio.create_task(self._ring(live), name=f"call-{call_id}")
        log.info("call started", extra={"call": call_id, "caller": ident.name, "mode": mode,
                                        "event": event_id, "candidates": len(candidates)})
        return record

    async def _display_name(self, name: str) -> str:
        return (await self.redis.hget(keys.user(name), "display_name")) or name

    # -- ringing ---------------------------------------------------------------------------------------
    async def _ring(self, live: _Live) -> None:
        at_once = self.cfg.ring_at_once if live.record.mode == Mode.RING else 1
        try:
            while live.record.state == CallState.RINGING:
                now = time.time()
                async with live.lock:
                    if live.record.state != CallState.RINGING:  # answered (or ended) while this waited for the lock
                        return
                    for r in live.record.ringing():
                        if now >= r.until:
                            r.outcome = "missed"
                            await self._tell_worker(r.name, "call:cancel", {"id": live.record.id,
                                                                            "reason": "not answered in time"})
                    while len(live.record.ringing()) < at_once and live.queue:
                        cand = live.queue.pop(0)
                        w = await self.workers.get(cand.name)
                        if w is None or w.call or w.status != "on_duty":
                            live.record.skipped.append({"name": cand.name, "display_name": cand.display_name,
                                                        "reason": "in_call" if w and w.call else "busy",
                                                        "why": "became unavailable while others were rung"})
                            continue
                        cand.at, cand.until = now, now + self.cfg.ring_timeout_s
                        live.record.rung.append(cand)
                        await self._tell_worker(cand.name, "call:ring", self._ring_message(live.record, cand))
                    if not live.record.ringing() and not live.queue:
                        declined = [r for r in live.record.rung if r.outcome == "declined"]
                        outcome = Outcome.DECLINED if declined and len(declined) == len(live.record.rung) \
                            else Outcome.MISSED
                        reason = "every worker rung declined" if outcome == Outcome.DECLINED else \
                            "nobody answered" if live.record.rung else "no worker could be rung"
                        await self._end(live, outcome, reason)
                        return
                    await self._changed(live.record)
                live.wake.clear()
                try:
                    await asyncio.wait_for(live.wake.wait(), TICK_S)
                except TimeoutError:
                    pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("ringing failed", extra={"call": live.record.id})
            await self._end(live, Outcome.FAILED, "the hall could not ring (see the log)")

    def _ring_message(self, record: CallRecord, rung: Rung) -> dict[str, Any]:
        """What a ringing phone shows: who calls, about what, until when."""
        return {"id": record.id, "caller": record.caller.model_dump(), "mode": record.mode,
                "event": record.event.model_dump() if record.event else None, "until": rung.until,
                "ring_s": self.cfg.ring_timeout_s}

    async def answer(self, ident: Identity, call_id: str) -> CallRecord:
        live = self._live_for(call_id)
        async with live.lock:
            record = live.record
            mine = next((r for r in record.ringing() if r.name == ident.name), None)
            if record.state != CallState.RINGING or mine is None:
                raise Conflict("this call is no longer ringing for you" if record.state != CallState.ENDED
                               else "the call has ended", state=record.state)
            try:
                await self.workers.set_call(ident.name, call_id)
            except Conflict:
                raise Conflict("you are in another call") from None
            now = time.time()
            mine.outcome, mine.answered_at = "answered", now
            record.state, record.answered_at = CallState.CONNECTED, now
            record.callee = Person(name=ident.name, display_name=mine.display_name)
            for r in record.ringing():
                r.outcome = "cancelled"
                await self._tell_worker(r.name, "call:cancel", {"id": call_id, "reason": "another worker answered"})
            live.queue.clear()
            await asyncio.to_thread(live.media.set_labels, record.caller.display_name, mine.display_name)
        title = f"Call: {mine.display_name}" + (f" · {record.event.category_name}" if record.event and
                                                record.event.category_name else "")
        await self.wall.register_source(record.source, title, "call", "Calls", record.caller.name, call=call_id)
        if self.cfg.recording == "always":
            await self._start_recording(live)
        live.wake.set()
        await self._changed(record)
        log.info("call answered", extra={"call": call_id, "worker": ident.name})
        return record

    async def decline(self, ident: Identity, call_id: str) -> CallRecord:
        live = self._live_for(call_id)
        async with live.lock:
            mine = next((r for r in live.record.ringing() if r.name == ident.name), None)
            if mine is None:
                raise Conflict("this call is not ringing for you")
            mine.outcome = "declined"
        live.wake.set()
        await self._changed(live.record)
        return live.record

    # -- media ----------------------------------------------------------------------------------------
    async def join(self, ident: Identity, call_id: str, offer_sdp: str) -> str:
        """A side's (new) peer connection into the call: the caller's console, or the worker who answered."""
        live = self._live_for(call_id)
        record = live.record
        side: Side
        if ident.name == record.caller.name:
            side = "caller"
        elif record.callee is not None and ident.name == record.callee.name:
            side = "callee"
        else:
            raise Forbidden("only the caller and the worker who answered join a call's media")
        if record.state == CallState.ENDED:
            raise Conflict("the call has ended")
        try:
            return await live.media.join(side, offer_sdp, ident.name)
        except OfferRejected as exc:
            raise BadRequest(str(exc), errors=[{"path": exc.field, "message": str(exc)}] if exc.field else None) \
                from None

    def _on_media_state(self, call_id: str, side: Side, state: str) -> None:
        live = self._live.get(call_id)
        if live is None or live.record.state == CallState.ENDED:
            return
        live.record.sides[side] = state  # type: ignore[assignment]
        if state == "reconnecting" and side not in live.drop_checks:
            loop = asyncio.get_running_loop()
            live.drop_checks[side] = loop.call_later(self.cfg.reconnect_grace_s, self._drop_check, call_id, side)
        elif state == "connected":
            handle = live.drop_checks.pop(side, None)
            if handle is not None:
                handle.cancel()
        self._background(self._changed(live.record))

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _drop_check(self, call_id: str, side: Side) -> None:
        live = self._live.get(call_id)
        if live is None:
            return
        live.drop_checks.pop(side, None)
        if live.record.sides.get(side) != "connected" and live.record.state != CallState.ENDED:
            who = "the worker" if side == "callee" else "the console"
            self._background(self._end(live, Outcome.FAILED if live.record.answered_at is None else
                                       Outcome.ANSWERED, f"{who} did not come back within "
                                       f"{self.cfg.reconnect_grace_s:g} s"))

    # -- during the call ------------------------------------------------------------------------------
    async def text(self, ident: Identity, call_id: str, text: str) -> CallRecord:
        live = self._caller_of(call_id, ident)
        entry = Text(at=time.time(), by=ident.name, text=text)
        live.record.texts.append(entry)
        if live.record.callee is not None:
            await self._tell_worker(live.record.callee.name, "call:text", {"id": call_id, **entry.model_dump()})
        await self._changed(live.record)
        return live.record

    async def mute(self, ident: Identity, call_id: str, muted: bool) -> CallRecord:
        live = self._live_for(call_id)
        record = live.record
        side = "caller" if ident.name == record.caller.name else \
            "callee" if record.callee is not None and ident.name == record.callee.name else None
        if side is None:
            raise Forbidden("only the call's two sides mute themselves")
        live.media.set_muted(side, muted)
        record.muted[side] = muted
        await self._changed(record)
        return record

    async def snapshot(self, ident: Identity, call_id: str) -> str:
        """A still of the worker's camera, stored as a photo (its SHA-256) and attached to the call's event."""
        live = self._caller_of(call_id, ident)
        jpeg = await live.media.snapshot("callee")
        if jpeg is None:
            raise Conflict("the worker's camera has shown no picture yet")
        saved = await self.events.photos.save(jpeg)
        sha = saved["sha256"]
        await self.events.store.photo_uploaded(sha, ident.name)
        record = live.record
        if record.event is not None:
            who = record.callee.display_name if record.callee else "the worker"
            await self.events.act(record.event.id, "attach",
                                  ActionIn(photos=[sha], note=f"Snapshot from the call with {who}"), ident)
        record.snapshots.append(sha)
        await self._changed(record)
        return sha

    async def to_wall(self, ident: Identity, call_id: str, *, screen: str | None = None,
                      window: str | None = None) -> dict[str, Any]:
        live = self._live_for(call_id)
        if live.record.state != CallState.CONNECTED:
            raise Conflict("the call is not connected yet: a worker has to answer first")
        layout, placed = await self.wall.show(live.record.source, ident.name, screen=screen, window=window)
        live.record.on_wall = placed.id
        await self._changed(live.record)
        return {"layout": layout, "window": placed}

    async def recording(self, ident: Identity, call_id: str, on: bool) -> CallRecord:
        """Start or stop recording the call (calls.recording: on_request; `always` records every call)."""
        if self.cfg.recording == "off":
            raise Conflict("calls are not recorded in this hall (calls.recording: off)")
        live = self._caller_of(call_id, ident)
        if on:
            await self._start_recording(live)
        else:
            await self._stop_recording(live)
        await self._changed(live.record)
        return live.record

    async def _start_recording(self, live: _Live) -> None:
        record = live.record
        if record.state != CallState.CONNECTED:
            raise Conflict("a call is recorded once a worker has answered")
        if live.media.recorder is not None:
            return
        day = time.strftime("%Y-%m-%d", time.gmtime())
        rel = f"recordings/{day}/{record.id}.mp4"
        await asyncio.to_thread(live.media.start_recording, Path(self.data_dir()) / rel)
        record.recording = Recording(state="recording", file=rel, started_at=time.time())

    async def _stop_recording(self, live: _Live) -> None:
        result = await asyncio.to_thread(live.media.stop_recording)
        rec = live.record.recording
        if result is None or rec is None:
            return
        rec.ended_at = time.time()
        rec.seconds, rec.bytes = result.seconds, result.bytes
        rec.state, rec.error = ("done", None) if result.path else ("failed", result.error)

    async def recording_file(self, ident: Identity, call_id: str) -> Path:
        """The call's MP4, for whoever may see its event (or, without an event, its two sides)."""
        record = await self.get_for(call_id, ident)
        if record.event is not None:
            await self.events.get_for(record.event.id, ident)  # 404 outside the reader's events
        if record.recording is None or record.recording.state != "done":
            raise NotFound("this call has no finished recording")
        path = Path(self.data_dir()) / record.recording.file
        if not await asyncio.to_thread(path.is_file):
            raise NotFound("the recording's file is gone")
        return path

    # -- the end --------------------------------------------------------------------------------------
    async def hangup(self, ident: Identity, call_id: str) -> CallRecord:
        live = self._live_for(call_id)
        record = live.record
        if not (ident.name == record.caller.name or (record.callee and ident.name == record.callee.name)
                or ident.role in ADMIN):
            raise Forbidden("only the call's two sides (or an admin) hang up")
        if record.state == CallState.RINGING:
            await self._end(live, Outcome.CANCELLED, f"{ident.name} hung up before anyone answered")
        else:
            await self._end(live, Outcome.ANSWERED, f"{ident.name} hung up")
        return record

    async def _end(self, live: _Live, outcome: Outcome, reason: str) -> None:
        record = live.record
        if record.state == CallState.ENDED:
            return
        record.state, record.outcome, record.reason, record.ended_at = CallState.ENDED, outcome, reason, time.time()
        for r in record.ringing():
            r.outcome = "cancelled"
            await self._tell_worker(r.name, "call:cancel", {"id": record.id, "reason": reason})
        for handle in live.drop_checks.values():
            handle.cancel()
        if live.task is not None and live.task is not asyncio.current_task():
            live.task.cancel()
        await self._stop_recording(live)
        await live.media.end()
        record.sides = {"caller": "left", "callee": "left"}
        if record.callee is not None:
            await self.workers.set_call(record.callee.name, None, ending=record.id)
            self._ended_media[record.source] = live.media
            await self.wall.end_source(record.source)  # a window showing it keeps an ENDED slate
            if record.source not in set(await self.wall.redis.hkeys(keys.RUNTIME_SOURCES)):
                self._forget_media(record.source)
        await self._record_on_event(record)  # on the event's audit log before the pages hear of the end
        await self._changed(record)
        self._live.pop(record.id, None)
        log.info("call ended", extra={"call": record.id, "outcome": outcome, "reason": reason,
                                      "duration_s": record.duration_s})

    async def on_wall_change(self, event: str, data: dict[str, Any]) -> None:
        """WallControl hook: an ended call's camera no window shows any more is dropped from the media server."""
        if event != "sources" or not self._ended_media:
            return
        present = {s["id"] for s in data.get("sources", [])}
        for source in [s for s in self._ended_media if s not in present]:
            self._forget_media(source)

    def _forget_media(self, source: str) -> None:
        media = self._ended_media.pop(source, None)
        if media is not None:
            media.forget()

    async def _record_on_event(self, record: CallRecord) -> None:
        """The call on its event's audit log: who called whom, rung/answered/ended, duration, outcome."""
        if record.event is None:
            return
        rung = ", ".join(f"{r.display_name} ({r.outcome})" for r in record.rung) or "nobody"
        callee = record.callee.display_name if record.callee else "nobody"
        note = (f"Call by {record.caller.display_name} with {callee}: {record.outcome}"
                + (f", {record.duration_s:g} s" if record.duration_s is not None else "") + f"; rung: {rung}")
        try:
            await self.events.store.note(record.event.id, {
                "action": "call", "by": record.caller.name, "role": "call", "at": record.ended_at, "note": note,
                "call": record.id, "outcome": record.outcome, "callee": record.callee.name if record.callee else None,
                "rung": [{"name": r.name, "at": r.at, "outcome": r.outcome} for r in record.rung],
                "started_at": record.started_at, "answered_at": record.answered_at, "ended_at": record.ended_at,
                "duration_s": record.duration_s, "snapshots": record.snapshots,
                "recording": record.recording is not None and record.recording.state == "done"})
        except Exception:  # the call is over either way; its own record stays
            log.exception("could not record the call on its event", extra={"call": record.id})

    async def close(self) -> None:
        """The hall stops: end every call it runs."""
        for live in list(self._live.values()):
            await self._end(live, Outcome.FAILED if live.record.answered_at is None else Outcome.ANSWERED,
                            "the hall stopped")
        for source in list(self._ended_media):
            self._forget_media(source)

    # -- helpers --------------------------------------------------------------------------------------
    def _live_for(self, call_id: str) -> _Live:
        live = self._live.get(call_id)
        if live is None:
            raise Conflict("the call has ended (or runs in another hall process)")
        return live

    def _caller_of(self, call_id: str, ident: Identity) -> _Live:
        live = self._live_for(call_id)
        if ident.name != live.record.caller.name and ident.role not in ADMIN:
            raise Forbidden("only the caller does this")
        return live

    async def _save(self, record: CallRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.call(record.id), record.model_dump_json(), ex=RECORD_DAYS * 86400)
            pipe.zadd(keys.CALLS, {record.id: record.started_at})
            if record.event is not None:
                pipe.zadd(keys.calls_of_event(record.event.id), {record.id: record.started_at})
            await pipe.execute()

    async def _changed(self, record: CallRecord) -> None:
        await self._save(record)
        view = self.view(record)
        await self._emit("call:state", view, ("console", record.caller.name))
        if record.callee is not None:
            await self._emit("call:state", view, ("field", record.callee.name))

    async def _tell_worker(self, name: str, what: str, payload: dict[str, Any]) -> None:
        await self._emit(what, payload, ("field", name))

    async def _emit(self, what: str, payload: dict[str, Any], to: tuple[Literal["console", "field"], str]) -> None:
        for hook in self.hooks:
            try:
                await hook(what, payload, to)
            except Exception:  # a push that fails must not stop the call
                log.exception("call push failed", extra={"what": what})


def is_worker(ident: Identity) -> bool:
    return ident.role == Role.WORKER
