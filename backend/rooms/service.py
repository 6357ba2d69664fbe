"""The expert consultation room: commanders from the hall, experts invited by a link, grid workers from their
phones, in one MCU room (media/rooms.py) with a host who mutes, removes, spotlights, shares a source and locks it.

A room lives in the process that runs its media (as calls do); its state is mirrored to Redis for lists and for
its event. Everyone in it hears of every change on the `/room` Socket.IO namespace (joins, leaves, reconnects, the
speaker, the host's actions). A participant whose connection drops stays listed as reconnecting and may come back
without a click within `rooms.reconnect_grace_s`; after that they are gone. A room linked to an event shows the
event's summary; its recording is listed with the event.
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
from pydantic import BaseModel

from media.rooms import RoomMedia
from media.webrtc import OfferRejected

from .. import keys
from ..auth import Identity, Users
from ..errors import BadRequest, Conflict, Forbidden, NotFound, Unavailable
from ..roles import ADMIN, CENTRE, ROOM_PEOPLE, Role
from .config import RoomsConfig

if TYPE_CHECKING:
    from media.server import MediaServer

    from ..events.service import EventService
    from ..wall_control import WallControl

log = logging.getLogger("hall.rooms")

HALL_NAME = "Hall"  # a room member that is the hall's own microphone and speakers
Push = Callable[[str, str, dict[str, Any]], Awaitable[None]]  # (room id, what, payload)


class Member(BaseModel):
    id: str  # the user (or the invited guest) taking part
    name: str  # display name
    role: str
    state: Literal["connecting", "connected", "reconnecting"] = "connecting"
    muted: bool = False
    camera: bool = False
    screen: bool = False
    joined_at: float


class RoomRecord(BaseModel):
    id: str
    title: str
    host: str
    event: dict[str, Any] | None = None
    created_at: float
    closed_at: float | None = None
    locked: bool = False
    members: dict[str, Member] = {}
    spotlight: str | None = None
    speaker: str | None = None
    shared: dict[str, str] | None = None  # {"source", "title"}
    recording: dict[str, Any] | None = None
    removed: list[str] = []  # who the host removed: not back in
    invites: list[dict[str, Any]] = []  # {"name", "expires_at", "token_id"}: who was invited (the link is not kept)


class _Live:
    def __init__(self, record: RoomRecord, media: RoomMedia) -> None:
        self.record = record
        self.media = media
        self.gone: dict[str, asyncio.TimerHandle] = {}


class Rooms:
    def __init__(self, redis: aioredis.Redis, cfg: RoomsConfig, media: MediaServer, users: Users,
                 events: EventService, wall: WallControl, data_dir: Callable[[], str]) -> None:
        self.redis = redis
        self.cfg = cfg
        self.media = media
        self.users = users
        self.events = events
        self.wall = wall
        self.data_dir = data_dir
        self.hooks: list[Push] = []
        self._live: dict[str, _Live] = {}
        self._tasks: set[asyncio.Future[None]] = set()

    # -- who may ------------------------------------------------------------------------------------------
    @staticmethod
    def in_scope(ident: Identity, room_id: str) -> bool:
        """A guest's token opens its own room only."""
        return ident.scope is None or ident.scope == f"room:{room_id}"

    def _is_host(self, record: RoomRecord, ident: Identity) -> bool:
        return ident.scope is None and (ident.name == record.host or ident.role in ADMIN)

    def _may_enter(self, record: RoomRecord, ident: Identity) -> bool:
        if not self.in_scope(ident, record.id) or ident.role not in ROOM_PEOPLE:
            return False
        return True

    # -- rooms --------------------------------------------------------------------------------------------
    async def create(self, ident: Identity, title: str, event_id: str | None) -> RoomRecord:
        if ident.role not in CENTRE or ident.scope is not None:
            raise Forbidden("the hall's staff open consultation rooms")
        event = None
        if event_id is not None:
            ev = await self.events.get_for(event_id, ident)
            view = self.events.view(ev, ident)
            event = {"id": ev.id, "category_name": ev.category_name, "description": ev.description[:300],
                     "place": view.get("place"), "state": ev.state, "urgency": ev.urgency}
        room_id = secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
        record = RoomRecord(id=room_id, title=title, host=ident.name, event=event, created_at=time.time())
        media = RoomMedia(self.media, room_id, on_change=lambda what, data: self._media_change(room_id, what, data))
        await asyncio.to_thread(media.start)
        self._live[room_id] = _Live(record, media)
        await self.wall.register_source(media.source_id, f"Consultation: {title}", "room", "Rooms", ident.name,
                                        room=room_id)
        await self._save(record)
        log.info("room opened", extra={"room": room_id, "host": ident.name, "event": event_id})
        return record

    async def get(self, room_id: str) -> RoomRecord:
        live = self._live.get(room_id)
        if live is not None:
            return live.record
        raw = await self.redis.get(keys.room(room_id))
        if raw is None:
            raise NotFound(f"no room {room_id!r}")
        return RoomRecord.model_validate_json(raw)

    async def get_for(self, room_id: str, ident: Identity) -> RoomRecord:
        record = await self.get(room_id)
        if not self._may_enter(record, ident):
            raise NotFound(f"no room {room_id!r}")
        return record

    async def list(self, ident: Identity, event: str | None = None, open_only: bool = True) -> list[RoomRecord]:
        ids = await self.redis.zrevrange(keys.rooms_of_event(event) if event else keys.ROOMS, 0, 199)
        out = []
        for rid in ids:
            try:
                record = await self.get(rid)
            except NotFound:
                continue
            if open_only and record.closed_at is not None:
                continue
            if self._may_enter(record, ident):
                out.append(record)
        return out

    def view(self, record: RoomRecord, ident: Identity | None = None) -> dict[str, Any]:
        out = record.model_dump(mode="json")
        out["live"] = record.id in self._live
        out["media"] = self._live[record.id].media.figures() if record.id in self._live else None
        if record.recording and record.recording.get("state") == "done":
            out["recording"] = {**{k: v for k, v in record.recording.items() if k != "file"},
                                "url": f"/api/rooms/{record.id}/recording.mp4"}
        elif record.recording:
            out["recording"] = {k: v for k, v in record.recording.items() if k != "file"}
        if ident is not None:
            out["you"] = {"host": self._is_host(record, ident), "id": ident.name}
        return out

    async def invite(self, ident: Identity, room_id: str, name: str, hours: float | None) -> dict[str, Any]:
        """A link for an expert from outside: a guest's token of role expert that opens this room only."""
        live = self._live_for(room_id)
        if not self._is_host(live.record, ident):
            raise Forbidden("the room's host invites")
        token, guest, expires = await self.users.invite(f"room:{room_id}", name, Role.EXPERT,
                                                        hours or self.cfg.invite_hours)
        live.record.invites.append({"name": name, "guest": guest.name, "expires_at": expires})
        await self._changed(live)
        return {"url": f"/room/{room_id}?invite={token}", "expires_at": expires, "guest": guest.name}

    # -- taking part ----------------------------------------------------------------------------------------
    async def join(self, ident: Identity, room_id: str, offer_sdp: str, size: str, hall: bool = False) -> str:
        """A participant's (new) peer connection into the room; `hall`: the hall's own microphone and speakers,
        joined by a staff member as their own member and shown as "Hall"."""
        live = self._live_for(room_id)
        record = live.record
        if not self._may_enter(record, ident):
            raise NotFound(f"no room {room_id!r}")
        pid = ident.name
        if pid not in record.members:
            if pid in record.removed:
                raise Forbidden("the host removed you from this room")
            if record.locked and not self._is_host(record, ident):
                raise Forbidden("the room is locked: the host lets nobody new in")
            if len(record.members) >= self.cfg.max_participants:
                raise Conflict(f"the room is full ({self.cfg.max_participants} participants)")
        if hall and (ident.role not in CENTRE or ident.scope is not None):
            raise Forbidden("only the hall's staff join with the hall's audio")
        name = HALL_NAME if hall else ident.display_name or await self._display_name(ident.name)
        try:
            answer = await live.media.join(pid, name, offer_sdp, ident.name, size)
        except OfferRejected as exc:
            raise BadRequest(str(exc), errors=[{"path": exc.field, "message": str(exc)}] if exc.field else None) \
                from None
        gone = live.gone.pop(pid, None)
        if gone is not None:
            gone.cancel()
        member = record.members.get(pid)
        p = live.media.participants.get(pid)
        if p is None:  # dropped while its answer was made (a leave, the end of its grace): that answer is dead
            raise Unavailable("you left the room while joining: join again")
        if member is None:
            record.members[pid] = Member(id=pid, name=name, role=ident.role, camera=p.has_camera,
                                         joined_at=time.time())
            await self._emit(room_id, "room:joined", {"id": pid, "name": name})
        else:
            member.camera, member.state = p.has_camera, "connecting"
            await self._emit(room_id, "room:rejoined", {"id": pid, "name": name})
        await self._changed(live)
        return answer

    async def share_screen(self, ident: Identity, room_id: str, offer_sdp: str) -> str:
        live = self._live_for(room_id)
        if ident.name not in live.record.members:
            raise Conflict("join the room before sharing a screen")
        try:
            answer = await live.media.share_screen(ident.name, offer_sdp, ident.name)
        except OfferRejected as exc:
            raise BadRequest(str(exc)) from None
        live.record.members[ident.name].screen = True
        live.record.shared = {"source": f"room:{room_id}:screen:{ident.name}",
                              "title": f"{live.record.members[ident.name].name} (screen)"}
        await self._changed(live)
        return answer

    async def leave(self, ident: Identity, room_id: str) -> None:
        live = self._live_for(room_id)
        await self._drop(live, ident.name, "left")

    async def _drop(self, live: _Live, pid: str, why: str) -> None:
        member = live.record.members.pop(pid, None)
        await live.media.leave(pid)
        if live.record.spotlight == pid:
            live.record.spotlight = None
        if member is not None:
            await self._emit(live.record.id, "room:left", {"id": pid, "name": member.name, "why": why})
        if pid == live.record.host:  # the host's controls pass to the hall's staff member longest in the room
            staff = sorted((m for m in live.record.members.values() if m.role in CENTRE and
                            not m.id.startswith("guest:")), key=lambda m: m.joined_at)
            if staff:
                live.record.host = staff[0].id
                await self._emit(live.record.id, "room:host", {"id": staff[0].id, "name": staff[0].name})
        await self._changed(live)

    def _media_change(self, room_id: str, what: str, data: dict[str, Any]) -> None:
        live = self._live.get(room_id)
        if live is None:
            return
        record = live.record
        if what == "participant":
            pid, state = str(data["participant"]), str(data["state"])
            member = record.members.get(pid)
            if member is None:
                return
            member.state = "connected" if state == "connected" else "reconnecting"
            if state == "connected":
                handle = live.gone.pop(pid, None)
                if handle is not None:
                    handle.cancel()
            elif pid not in live.gone:
                loop = asyncio.get_running_loop()
                live.gone[pid] = loop.call_later(self.cfg.reconnect_grace_s, self._gone, room_id, pid)
        elif what == "speaker":
            record.speaker = data.get("participant")  # type: ignore[assignment]
        elif what == "shared" and data.get("source") is None:
            record.shared = None
        self._background(self._changed(live))

    def _gone(self, room_id: str, pid: str) -> None:
        live = self._live.get(room_id)
        if live is not None:
            live.gone.pop(pid, None)
            self._background(self._drop(live, pid, f"did not come back within {self.cfg.reconnect_grace_s:g} s"))

    # -- the host ---------------------------------------------------------------------------------------------
    def _hosted(self, room_id: str, ident: Identity) -> _Live:
        live = self._live_for(room_id)
        if not self._is_host(live.record, ident):
            raise Forbidden("only the room's host does this")
        return live

    async def mute(self, ident: Identity, room_id: str, pid: str, muted: bool) -> RoomRecord:
        live = self._live_for(room_id)
        if pid != ident.name and not self._is_host(live.record, ident):
            raise Forbidden("you mute yourself; the host mutes others")
        member = live.record.members.get(pid)
        if member is None:
            raise NotFound(f"{pid!r} is not in the room")
        live.media.set_muted(pid, muted)
        member.muted = muted
        await self._emit(room_id, "room:muted", {"id": pid, "muted": muted, "by": ident.name})
        await self._changed(live)
        return live.record

    async def remove(self, ident: Identity, room_id: str, pid: str) -> RoomRecord:
        live = self._hosted(room_id, ident)
        if pid not in live.record.members:
            raise NotFound(f"{pid!r} is not in the room")
        await self._emit(room_id, "room:removed", {"id": pid, "by": ident.name})
        await self._drop(live, pid, f"removed by {ident.name}")
        live.record.removed.append(pid)  # not back in without the host
        if pid.startswith("guest:"):  # an invited guest's link stops working
            await self.users.revoke_all(pid)
        return live.record

    async def spotlight(self, ident: Identity, room_id: str, pid: str | None) -> RoomRecord:
        live = self._hosted(room_id, ident)
        if pid is not None and pid not in live.record.members:
            raise NotFound(f"{pid!r} is not in the room")
        await live.media.set_spotlight(pid)
        live.record.spotlight = pid
        await self._changed(live)
        return live.record

    async def share_source(self, ident: Identity, room_id: str, source: str | None) -> RoomRecord:
        """Share a wall source (camera, call, command-centre feed) or a wall screen into the room; None: stop."""
        live = self._hosted(room_id, ident)
        title = ""
        if source is not None:
            names = {s["id"]: s["name"] for s in self.wall.sources()} | await self.wall.runtime_names()
            screens = {s.id: s.name for s in self.wall.wall.screens}
            if source not in names and source not in screens:
                raise NotFound(f"no wall source or screen {source!r}")
            title = names.get(source) or f"Screen {screens[source]}"
        try:
            await live.media.share_source(source, title)
        except KeyError as exc:
            raise NotFound(str(exc)) from None
        live.record.shared = {"source": source, "title": title} if source else None
        await self._changed(live)
        return live.record

    async def lock(self, ident: Identity, room_id: str, locked: bool) -> RoomRecord:
        live = self._hosted(room_id, ident)
        live.record.locked = locked
        await self._changed(live)
        return live.record

    async def recording(self, ident: Identity, room_id: str, on: bool) -> RoomRecord:
        if self.cfg.recording == "off":
            raise Conflict("rooms are not recorded in this hall (rooms.recording: off)")
        live = self._hosted(room_id, ident)
        if on and live.media.recorder is None:
            rel = f"recordings/{time.strftime('%Y-%m-%d', time.gmtime())}/room-{room_id}-{int(time.time())}.mp4"
            await asyncio.to_thread(live.media.start_recording, Path(self.data_dir()) / rel)
            live.record.recording = {"state": "recording", "file": rel, "started_at": time.time()}
        elif not on:
            await self._stop_recording(live)
        await self._changed(live)
        return live.record

    async def _stop_recording(self, live: _Live) -> None:
        result = await asyncio.to_thread(live.media.stop_recording)
        rec = live.record.recording
        if result is None or rec is None:
            return
        rec.update(ended_at=time.time(), seconds=result.seconds, bytes=result.bytes,
                   state="done" if result.path else "failed", error=result.error)

    async def recording_file(self, ident: Identity, room_id: str) -> Path:
        record = await self.get_for(room_id, ident)
        if record.event is not None and ident.scope is None:
            await self.events.get_for(record.event["id"], ident)
        elif ident.name not in record.members and not self._is_host(record, ident):
            raise NotFound("no such recording")
        rec = record.recording
        if rec is None or rec.get("state") != "done":
            raise NotFound("this room has no finished recording")
        path = Path(self.data_dir()) / str(rec["file"])
        if not await asyncio.to_thread(path.is_file):
            raise NotFound("the recording's file is gone")
        return path

    async def close(self, ident: Identity | None, room_id: str) -> RoomRecord:
        live = self._live_for(room_id) if ident is None else self._hosted(room_id, ident)
        await self._stop_recording(live)
        await self._emit(room_id, "room:closed", {"by": ident.name if ident else "hall"})
        for handle in live.gone.values():
            handle.cancel()
        await live.media.close()
        await self.wall.end_source(live.media.source_id)
        live.record.closed_at = time.time()
        live.record.members = {}
        await self._changed(live)
        self._live.pop(room_id, None)
        return live.record

    async def close_all(self) -> None:
        for room_id in list(self._live):
            await self.close(None, room_id)

    # -- helpers --------------------------------------------------------------------------------------------
    def _live_for(self, room_id: str) -> _Live:
        live = self._live.get(room_id)
        if live is None:
            raise Conflict("the room is closed (or runs in another hall process)")
        return live

    async def _display_name(self, name: str) -> str:
        return (await self.redis.hget(keys.user(name), "display_name")) or name

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _save(self, record: RoomRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.room(record.id), record.model_dump_json(), ex=400 * 86400)
            pipe.zadd(keys.ROOMS, {record.id: record.created_at})
            if record.event is not None:
                pipe.zadd(keys.rooms_of_event(record.event["id"]), {record.id: record.created_at})
            await pipe.execute()

    async def _changed(self, live: _Live) -> None:
        await self._save(live.record)
        await self._emit(live.record.id, "room:state", self.view(live.record))

    async def _emit(self, room_id: str, what: str, payload: dict[str, Any]) -> None:
        for hook in self.hooks:
            try:
                await hook(room_id, what, payload)
            except Exception:
                log.exception("room push failed", extra={"room": room_id, "what": what})

