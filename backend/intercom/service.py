"""The intercom: push-to-talk talkgroups reaching the field pages of the workers on duty and the departments' users,
one speaker at a time (floor control with a queue; the commander takes the floor at once), each transmission kept
for `intercom.replay_minutes` to replay.

As calls and rooms do, a group's floor and media live in the process that runs its media (media/intercom.py) and
are mirrored to Redis for reads; every change of the floor and every new clip is pushed to the group's members'
phones and to the centre's consoles (hooks). Who is in a group is decided at each request: a worker while on duty
(their grids', their streets' and the ad hoc groups naming them), a department's users always, the centre
everywhere; anyone else is told the group does not exist.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from media.intercom import Clip, TalkgroupMedia
from media.webrtc import OfferRejected

from .. import keys
from ..auth import Identity
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..events.config import Department
from ..roles import INTERCOM_COMMAND, Role
from ..workers.model import REPORTING
from .config import IntercomConfig
from .floor import Floor
from .groups import Talkgroup, adhoc_group, hall_groups

if TYPE_CHECKING:
    from media.server import MediaServer

    from ..workers.model import GridWorker
    from ..workers.registry import WorkerRegistry

log = logging.getLogger("hall.intercom")

# (what, payload, the field users to tell): the app sends it to their phones and to the centre's consoles
Push = Callable[[str, dict[str, Any], list[str]], Awaitable[None]]
CLIPS_DIR = "intercom"  # under the data directory
CLIP_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SWEEP_EVERY_S = 30.0
FloorOp = Callable[[Floor, float], Any]


class Intercom:
    def __init__(self, redis: aioredis.Redis, cfg: IntercomConfig, media: MediaServer, workers: WorkerRegistry,
                 departments: Iterable[Department], data_dir: Callable[[], str]) -> None:
        self.redis = redis
        self.cfg = cfg
        self.media = media
        self.workers = workers
        self.data_dir = data_dir
        self.hall = hall_groups(cfg, workers.grids, departments)
        self.hooks: list[Push] = []
        self.floors: dict[str, Floor] = {}
        self.talk: dict[str, TalkgroupMedia] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._names: dict[str, str] = {}
        self._tasks: set[asyncio.Future[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    # -- the groups and who is in them ------------------------------------------------------------------------
    async def _adhoc(self) -> dict[str, Talkgroup]:
        raw = await self.redis.hgetall(keys.INTERCOM_GROUPS)
        people = await self.workers.people()
        out = []
        for gid, value in raw.items():
            try:
                out.append(adhoc_group(json.loads(value), people))
            except (ValueError, KeyError, TypeError):
                log.warning("an ad hoc talkgroup could not be read; skipped", extra={"group": gid})
        return {g.id: g for g in sorted(out, key=lambda g: g.created_at or 0)}

    async def all_groups(self) -> dict[str, Talkgroup]:
        return {**self.hall, **await self._adhoc()}

    async def _group(self, gid: str) -> Talkgroup:
        group = self.hall.get(gid)
        if group is None and gid.startswith("adhoc:"):
            raw = await self.redis.hget(keys.INTERCOM_GROUPS, gid)
            if raw is not None:
                group = adhoc_group(json.loads(raw), await self.workers.people())
        if group is None:
            raise NotFound(f"no talkgroup {gid!r}")
        return group

    async def _on_duty(self, names: Iterable[str]) -> set[str]:
        """Which of these workers are on duty now (read from their live state in Redis, whichever process set it)."""
        names = list(names)
        if not names:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for n in names:
                pipe.hget(keys.worker(n), "status")
            statuses = await pipe.execute()
        return {n for n, s in zip(names, statuses, strict=True) if s in REPORTING}

    async def members(self, group: Talkgroup, duty: set[str] | None = None) -> list[str]:
        """The field users in the group now, by name (`duty`: the workers on duty, when already read)."""
        people = await self.workers.people()
        candidates = group.candidates()
        if duty is None:
            duty = await self._on_duty(n for n in candidates if n in people)
        return sorted(n for n in candidates if group.has(n, worker=n in people, on_duty=n in duty))

    async def _is_in(self, group: Talkgroup, ident: Identity) -> bool:
        if ident.role in INTERCOM_COMMAND:
            return True
        if ident.name not in group.candidates():
            return False
        worker = ident.role == Role.WORKER
        return group.has(ident.name, worker=worker, on_duty=worker and bool(await self._on_duty([ident.name])))

    async def group_for(self, ident: Identity, gid: str) -> Talkgroup:
        """The group, if `ident` is in it (or works at the centre); 404 otherwise, as if it did not exist."""
        group = await self._group(gid)
        if not await self._is_in(group, ident):
            raise NotFound(f"no talkgroup {gid!r}")
        return group

    async def groups_for(self, ident: Identity) -> list[Talkgroup]:
        groups = await self.all_groups()
        if ident.role in INTERCOM_COMMAND:
            return list(groups.values())
        worker = ident.role == Role.WORKER
        if worker and not await self._on_duty([ident.name]):
            return []
        return [g for g in groups.values() if g.has(ident.name, worker=worker, on_duty=True)]

    # -- views ----------------------------------------------------------------------------------------------
    async def _display(self, name: str) -> str:
        if name not in self._names:
            self._names[name] = (await self.redis.hget(keys.user(name), "display_name")) or name
        return self._names[name]

    async def floor_of(self, gid: str) -> Floor:
        """The floor as this process runs it, else as the process running the group's media mirrored it."""
        floor = self.floors.get(gid)
        if floor is not None:
            return floor
        raw = await self.redis.get(keys.intercom_floor(gid))
        if raw is None:
            return Floor()
        try:
            return Floor(**json.loads(raw))
        except (ValueError, TypeError):
            return Floor()

    async def floor_view(self, gid: str, floor: Floor | None = None) -> dict[str, Any]:
        floor = floor or await self.floor_of(gid)
        people = [n for n in (floor.holder, *floor.queue) if n]
        return {"group": gid, **floor.view(), "names": {n: await self._display(n) for n in people}}

    async def views(self, groups: list[Talkgroup], ident: Identity) -> list[dict[str, Any]]:
        centre = ident.role in INTERCOM_COMMAND
        duty: set[str] | None = None
        if centre:  # every worker's duty read once for all the groups' member lists
            people = await self.workers.people()
            duty = await self._on_duty(n for g in groups for n in g.candidates() if n in people)
        out = []
        for g in groups:
            floor = await self.floor_of(g.id)
            media = self.talk.get(g.id)
            view: dict[str, Any] = {
                "id": g.id, "kind": g.kind, "name": g.name, "floor": await self.floor_view(g.id, floor),
                "live": len(media.members) if media is not None else 0,
                "you": {"position": floor.position(ident.name)}}
            if centre:
                view["members"] = await self.members(g, duty)
                if g.kind == "adhoc":
                    view.update(users=list(g.users), created_by=g.created_by, created_at=g.created_at)
            out.append(view)
        return out

    async def view(self, group: Talkgroup, ident: Identity) -> dict[str, Any]:
        return (await self.views([group], ident))[0]

    # -- the floor --------------------------------------------------------------------------------------------
    def _lock(self, gid: str) -> asyncio.Lock:
        return self._locks.setdefault(gid, asyncio.Lock())

    async def request(self, ident: Identity, gid: str) -> dict[str, Any]:
        """Ask for the floor: granted when free, else queued in order."""
        group = await self.group_for(ident, gid)
        await self._floor_op(group, lambda f, now: f.request(ident.name, now, self.cfg.max_talk_s), "request",
                             ident.name)
        return await self._answer(gid, ident)

    async def release(self, ident: Identity, gid: str) -> dict[str, Any]:
        """Let go of the floor (the next in line gets it), or leave the queue."""
        group = await self.group_for(ident, gid)
        await self._floor_op(group, lambda f, now: f.release(ident.name, now, self.cfg.max_talk_s), "release",
                             ident.name)
        return await self._answer(gid, ident)

    async def take(self, ident: Identity, gid: str) -> dict[str, Any]:
        """The commander takes the floor at once: whoever spoke is cut off (and told), nobody is queued."""
        if ident.role not in INTERCOM_COMMAND:
            raise Forbidden("only the centre takes the floor")
        group = await self.group_for(ident, gid)
        await self._floor_op(group, lambda f, now: f.take(ident.name, now, self.cfg.max_talk_s), "take", ident.name)
        return await self._answer(gid, ident)

    async def _answer(self, gid: str, ident: Identity) -> dict[str, Any]:
        floor = await self.floor_of(gid)
        return {"floor": await self.floor_view(gid, floor), "position": floor.position(ident.name)}

    async def _floor_op(self, group: Talkgroup, op: FloorOp, reason: str, by: str | None = None) -> Any:
        """Apply one change to a group's floor; a new holder is heard (and recorded) at once, the old one's clip
        is kept, and everyone in the group is told."""
        gid = group.id
        async with self._lock(gid):
            floor = self.floors.setdefault(gid, Floor())
            holder, queue = floor.holder, list(floor.queue)
            result = op(floor, time.time())
            if floor.holder == holder and floor.queue == queue:
                return result
            if floor.holder != holder:
                await self._holder_changed(group, floor)
            await self.redis.set(keys.intercom_floor(gid), json.dumps(floor.view()),
                                 ex=int(self.cfg.max_talk_s * 2) + 60)
            cut = result if reason in ("take", "expired") and isinstance(result, str) else None
            payload = {**await self.floor_view(gid, floor), "reason": reason, "by": by, "cut_off": cut}
            if cut:
                payload["names"][cut] = await self._display(cut)
            if floor.holder is None and not floor.queue:
                self.floors.pop(gid, None)
        await self._tell(group, "intercom:floor", payload)
        return result

    async def _holder_changed(self, group: Talkgroup, floor: Floor) -> None:
        gid = group.id
        timer = self._timers.pop(gid, None)
        if timer is not None:
            timer.cancel()
        if floor.holder is not None and floor.until is not None:
            loop = asyncio.get_running_loop()
            self._timers[gid] = loop.call_later(max(0.0, floor.until - time.time()), self._expire, gid)
        media = self.talk.get(gid)
        if media is None:
            return  # nobody is connected: there is nothing to hear or record
        clip = await media.give_floor(floor.holder, self._new_clip() if floor.holder is not None else None)
        if clip is not None:
            self._background(self._keep_clip(group, clip))

    def _expire(self, gid: str) -> None:
        self._timers.pop(gid, None)
        self._background(self._expire_now(gid))

    async def _expire_now(self, gid: str) -> None:
        try:
            group = await self._group(gid)
        except NotFound:  # an ad hoc group deleted meanwhile
            return
        limit = self.cfg.max_talk_s
        await self._floor_op(group, lambda f, now: f.expire(max(now, f.until or now), limit), "expired")

    async def _drop(self, gid: str, name: str) -> None:
        """`name` is out of the group now (off duty, disconnected): out of its floor and queue."""
        try:
            group = await self._group(gid)
        except NotFound:
            return
        await self._floor_op(group, lambda f, now: f.drop(name, now, self.cfg.max_talk_s), "left", name)

    # -- media ------------------------------------------------------------------------------------------------
    async def join(self, ident: Identity, gid: str, offer_sdp: str) -> tuple[str, str]:
        """A member's (new) peer connection into the group: (its session id, the answer SDP)."""
        group = await self.group_for(ident, gid)
        async with self._lock(gid):
            media = self.talk.get(gid)
            if media is None:
                media = TalkgroupMedia(self.media, gid, on_member=lambda who, state: self._member(gid, who, state))
                media.start()
                self.talk[gid] = media
                floor = self.floors.get(gid)
                if floor is not None and floor.holder is not None:
                    await media.give_floor(floor.holder, self._new_clip())
        try:  # (outside the lock: the floor never waits for a member's ICE gathering)
            session, answer = await media.join(ident.name, offer_sdp, ident.name)
        except OfferRejected as exc:
            errors = [{"path": exc.field, "message": str(exc)}] if exc.field else None
            raise BadRequest(str(exc), errors=errors) from None
        log.info("talkgroup joined", extra={"group": group.id, "member": ident.name})
        return session.id, answer

    async def leave(self, ident: Identity, gid: str, session_id: str) -> None:
        media = self.talk.get(gid)
        session = media.sessions.get(session_id) if media is not None else None
        if session is None:
            raise NotFound("no such session (it may have ended already)")
        if session.owner != ident.name and ident.role != Role.ADMIN:
            raise Forbidden("only who started a session (or an admin) ends it")
        await session.end()

    def _member(self, gid: str, member: str, state: str) -> None:
        if state == "left":
            self._background(self._member_left(gid, member))

    async def _member_left(self, gid: str, member: str) -> None:
        await self._drop(gid, member)
        async with self._lock(gid):
            media = self.talk.get(gid)
            if media is not None and not media.members:  # the last one left: the group's media rests
                del self.talk[gid]
                clip = await media.close()
                if clip is not None:
                    await self._keep_clip(await self._group(gid), clip)

    async def on_worker(self, what: str, w: GridWorker) -> None:
        """WorkerRegistry hook: a worker who goes off duty leaves their groups (floor, queue, media); on or off,
        their phone is told to read its groups again."""
        if what != "status":
            return
        if w.status not in REPORTING:
            for gid in {*self.floors, *self.talk}:
                media = self.talk.get(gid)
                if media is not None and w.name in media.members:
                    await media.leave(w.name)
                await self._member_left(gid, w.name)
        await self._emit("intercom:groups", {"change": "duty", "status": w.status}, [w.name])

    # -- clips ------------------------------------------------------------------------------------------------
    def _clips_dir(self) -> Path:
        return Path(self.data_dir()) / CLIPS_DIR

    def _new_clip(self) -> Path:
        return self._clips_dir() / f"{secrets.token_urlsafe(9)}.ogg"

    def _replay_s(self) -> float:
        return self.cfg.replay_minutes * 60

    async def _keep_clip(self, group: Talkgroup, clip: Clip) -> None:
        """A finished transmission into the group's replay list (a hold in which nobody spoke leaves none)."""
        if clip.path is None:
            if clip.error:
                log.warning("an intercom clip was lost", extra={"group": group.id, "error": clip.error})
            return
        cid = Path(clip.path).stem
        doc = {"id": cid, "group": group.id, "speaker": clip.speaker, "speaker_name": await self._display(clip.speaker),
               "at": clip.started_at, "seconds": clip.seconds, "bytes": clip.bytes, "file": f"{CLIPS_DIR}/{cid}.ogg"}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.intercom_clip(cid), json.dumps(doc), ex=int(self._replay_s()) + 3600)
            pipe.zadd(keys.intercom_clips(group.id), {cid: clip.started_at})
            pipe.zadd(keys.INTERCOM_CLIPS, {f"{group.id}|{cid}": clip.started_at})
            await pipe.execute()
        await self._tell(group, "intercom:clip", clip_view(doc))

    async def clips(self, ident: Identity, gid: str) -> list[dict[str, Any]]:
        """The group's transmissions of the last `replay_minutes`, newest first."""
        await self.group_for(ident, gid)
        ids = await self.redis.zrevrangebyscore(keys.intercom_clips(gid), "+inf", time.time() - self._replay_s())
        docs = await self.redis.mget([keys.intercom_clip(c) for c in ids]) if ids else []
        return [clip_view(json.loads(d)) for d in docs if d]

    async def clip_file(self, ident: Identity, clip_id: str) -> Path:
        raw = await self.redis.get(keys.intercom_clip(clip_id)) if CLIP_ID.match(clip_id) else None
        doc = json.loads(raw) if raw else None
        if doc is None or doc["at"] < time.time() - self._replay_s():
            raise NotFound(f"no clip {clip_id!r} (clips are kept {self.cfg.replay_minutes:g} minutes)")
        await self.group_for(ident, doc["group"])
        path = Path(self.data_dir()) / doc["file"]
        if not await asyncio.to_thread(path.is_file):
            raise NotFound("the clip's file is gone")
        return path

    async def sweep(self) -> int:
        """Delete the clips older than `replay_minutes` (their records and files); the number deleted."""
        cutoff = time.time() - self._replay_s()
        old = await self.redis.zrangebyscore(keys.INTERCOM_CLIPS, "-inf", cutoff)
        if old:
            async with self.redis.pipeline(transaction=False) as pipe:
                for member in old:
                    gid, _, cid = member.partition("|")
                    pipe.zrem(keys.intercom_clips(gid), cid)
                    pipe.delete(keys.intercom_clip(cid))
                    pipe.zrem(keys.INTERCOM_CLIPS, member)
                await pipe.execute()
        await asyncio.to_thread(self._delete_files, [m.partition("|")[2] for m in old], cutoff)
        return len(old)

    def _delete_files(self, clip_ids: list[str], cutoff: float) -> None:
        """The listed clips' files, and any file older than the window that no list names (a crash mid-write)."""
        folder = self._clips_dir()
        for cid in clip_ids:
            (folder / f"{cid}.ogg").unlink(missing_ok=True)
        if not folder.is_dir():
            return
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff - self.cfg.max_talk_s:
                    path.unlink(missing_ok=True)
            except OSError:
                continue

    async def run_sweeper(self) -> None:
        every = min(SWEEP_EVERY_S, max(1.0, self._replay_s() / 4))
        while True:
            try:
                deleted = await self.sweep()
                if deleted:
                    log.info("intercom clips expired", extra={"clips": deleted})
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("intercom sweep failed")
            await asyncio.sleep(every)

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self.run_sweeper(), name="intercom-sweeper")

    # -- ad hoc groups ----------------------------------------------------------------------------------------
    async def create(self, ident: Identity, name: str, users: list[str]) -> Talkgroup:
        """An ad hoc group of the centre's choosing: grid workers (members while on duty) and departments' users."""
        if ident.role not in INTERCOM_COMMAND:
            raise Forbidden("the centre makes ad hoc talkgroups")
        if len(users) > self.cfg.max_adhoc_members:
            raise Invalid("too many members", errors=[{"path": "members", "message": f"at most "
                                                       f"{self.cfg.max_adhoc_members} (intercom.max_adhoc_members)"}])
        async with self.redis.pipeline(transaction=False) as pipe:
            for u in users:
                pipe.hget(keys.user(u), "role")
            roles = await pipe.execute()
        errors = []
        for i, (u, role) in enumerate(zip(users, roles, strict=True)):
            if role not in (Role.WORKER, Role.DEPARTMENT):
                errors.append({"path": f"members[{i}]", "message": f"{u!r} is not a grid worker or a department's "
                                                                   "user"})
            elif u in users[:i]:
                errors.append({"path": f"members[{i}]", "message": f"{u!r} is named twice"})
        if errors:
            raise Invalid("invalid members", errors=errors)
        gid = f"adhoc:{secrets.token_urlsafe(6)}"
        doc = {"id": gid, "kind": "adhoc", "name": name, "users": users, "created_by": ident.name,
               "created_at": time.time()}
        await self.redis.hset(keys.INTERCOM_GROUPS, gid, json.dumps(doc))
        group = adhoc_group(doc, await self.workers.people())
        await self._emit("intercom:groups", {"change": "created", "group": gid}, users)
        log.info("ad hoc talkgroup made", extra={"group": gid, "by": ident.name, "members": len(users)})
        return group

    async def delete(self, ident: Identity, gid: str) -> None:
        if ident.role not in INTERCOM_COMMAND:
            raise Forbidden("the centre deletes ad hoc talkgroups")
        group = await self._group(gid)
        if group.kind != "adhoc":
            raise Conflict("the hall's own talkgroups (grids, streets, departments) cannot be deleted")
        async with self._lock(gid):
            timer = self._timers.pop(gid, None)
            if timer is not None:
                timer.cancel()
            self.floors.pop(gid, None)
            media = self.talk.pop(gid, None)
            if media is not None:
                clip = await media.close()
                if clip is not None:
                    await self._keep_clip(group, clip)
            await self.redis.hdel(keys.INTERCOM_GROUPS, gid)
            await self.redis.delete(keys.intercom_floor(gid))
        await self._emit("intercom:groups", {"change": "deleted", "group": gid}, group.users)

    # -- pushes and the end -----------------------------------------------------------------------------------
    async def _tell(self, group: Talkgroup, what: str, payload: dict[str, Any]) -> None:
        await self._emit(what, payload, await self.members(group))

    async def _emit(self, what: str, payload: dict[str, Any], to: Iterable[str]) -> None:
        names = sorted(set(to))
        for hook in self.hooks:
            try:
                await hook(what, payload, names)
            except Exception:  # a push that fails must not stop the floor
                log.exception("intercom push failed", extra={"what": what})

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def figures(self) -> dict[str, Any]:
        return {gid: media.figures() for gid, media in self.talk.items()}

    async def close(self) -> None:
        """The hall stops: every group's media ends (a transmission running is kept as a clip)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for gid, media in list(self.talk.items()):
            clip = await media.close()
            if clip is not None:
                try:
                    await self._keep_clip(await self._group(gid), clip)
                except Exception:
                    log.exception("the last clip could not be kept", extra={"group": gid})
        self.talk.clear()
        self.floors.clear()


def clip_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A clip as the pages see it (`intercom:clip` and the replay list): where to fetch it, not where it lies."""
    return {**{k: v for k, v in doc.items() if k != "file"}, "url": f"/api/intercom/clips/{doc['id']}"}
