"""Links to other command centres' WHIP and WHEP endpoints, kept up: the client side of RFC 9725 (POST an SDP
offer with a bearer token, 201 with the session's Location, DELETE it to end), the backoff between attempts, and
each link's health (state, since, last error, bitrate, reconnects).

A link is one peer connection at a time, made through the media server's `PeerSessions` (the configured ICE
servers only). `WhipPublisher` (media/whip_client.py) and `WhepSource` (media/sources/whep.py) are links.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from yarl import URL

from .credentials import redact
from .webrtc import PeerSession, PeerSessions

log = logging.getLogger("media.links")

LinkState = Literal["stopped", "connecting", "live", "failed"]
SDP = "application/sdp"
HTTP_TIMEOUT_S = 15.0  # the other side gathers its ICE candidates before it answers (no trickle)


@dataclass(frozen=True)
class Backoff:
    """Seconds between attempts: `quick` retries after `first_s`, then doubling up to `max_s` (MediaMTX retries
    a WHIP republish every 5 s), jittered so links lost together do not knock in step."""

    first_s: float = 1.0
    quick: int = 3
    max_s: float = 10.0

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Before attempt number `failures` + 1 (failures in a row, from 1); a 503's Retry-After is honoured up
        to `max_s`."""
        if failures <= self.quick:
            base = self.first_s
        else:
            base = min(self.max_s, self.first_s * 2 ** (failures - self.quick))
        if retry_after is not None:
            return min(self.max_s, max(base, retry_after))
        return base * random.uniform(0.75, 1.0)


class RemoteRefused(Exception):
    """The other centre answered the offer, or the DELETE, with an error."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status}: {message}" if status else message)
        self.status = status
        self.retry_after = retry_after


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def _reason(resp: aiohttp.ClientResponse) -> str:
    """What an error response says: a JSON body's `message` (the hall's own), else the start of its text."""
    text = (await resp.text(errors="replace")).strip()
    if resp.content_type == "application/json":
        try:
            body = await resp.json(content_type=None)
            message = body.get("message") if isinstance(body, dict) else None
            if isinstance(message, str):
                return message[:200]
        except ValueError:
            pass
    return text[:200] or (resp.reason or "error")


def _retry_after(resp: aiohttp.ClientResponse) -> float | None:
    value = resp.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


async def post_offer(http: aiohttp.ClientSession, url: str, offer_sdp: str,
                     token: str | None) -> tuple[str, str | None]:
    """POST an offer to a WHIP or WHEP endpoint; returns (answer SDP, the session's URL from Location, resolved
    against the endpoint after any 307/308 redirect). RemoteRefused for any other answer than 201 (200 taken too)."""
    headers = {"Content-Type": SDP, "Accept": SDP, **_bearer(token)}
    async with http.post(url, data=offer_sdp.encode(), headers=headers,
                         timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)) as resp:
        if resp.status not in (200, 201):
            raise RemoteRefused(resp.status, await _reason(resp), _retry_after(resp))
        answer = await resp.text()
        if resp.content_type != SDP or not answer.startswith("v=0"):
            raise RemoteRefused(resp.status, f"the answer is not SDP ({resp.content_type or 'no content type'})")
        location = resp.headers.get("Location")
        return answer, str(resp.url.join(URL(location))) if location else None


async def delete_resource(http: aiohttp.ClientSession, url: str, token: str | None, timeout_s: float = 3.0) -> None:
    """End a session at the other centre (DELETE its URL); best effort: a centre that is gone ends it itself."""
    try:
        async with http.delete(url, headers=_bearer(token), timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            if resp.status >= 400 and resp.status != 404:
                log.info("the other centre refused to end a session", extra={"url": redact(url),
                                                                              "status": resp.status})
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.info("cannot end a session at the other centre", extra={"url": redact(url), "error": str(exc)})


@dataclass
class LinkHealth:
    """One link as operators see it (the console's card, /api/media/health, /metrics)."""

    name: str
    kind: str  # "publish" (WHIP out) or "pull" (WHEP in)
    url: str  # without secrets
    state: LinkState
    since: float | None  # UTC epoch seconds of the last change of state
    error: str | None  # the last failure, kept while it retries
    bitrate_kbps: float
    reconnects: int
    next_attempt_s: float | None  # seconds to the next attempt while failed

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Link:
    """Keeps one session with another centre up, in a task of its own: open it (`_open`: a peer connection and
    the offer exchange), wait until it connects, watch it (ended by the other side, `_check` saying it is dead,
    bitrate from the connection's statistics), end it (DELETE), wait the backoff, again; until `stop()`."""

    kind = "link"
    watch_every_s = 1.0
    silent_after_s = 10.0  # a connected link with no sign of the other side for this long is taken as lost

    def __init__(self, name: str, url: str, token: Callable[[], str | None], sessions: PeerSessions,
                 http: Callable[[], aiohttp.ClientSession], backoff: Backoff | None = None,
                 on_state: Callable[[LinkState, str | None], None] | None = None) -> None:
        self.name = name
        self.url = url
        self._token = token  # read at each attempt: never kept in health or logs
        self.sessions = sessions
        self._http = http
        self.backoff = backoff or Backoff()
        self.on_state = on_state
        self.state: LinkState = "stopped"
        self.since: float | None = None
        self.error: str | None = None
        self.reconnects = 0
        self.bitrate_kbps = 0.0
        self.session: PeerSession | None = None
        self.resource: str | None = None  # the session's URL at the other centre
        self.connected_at: float | None = None  # time.monotonic() when the current session came up
        self._next_attempt: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._bytes: tuple[float, int] | None = None

    # -- control (event loop) -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self.reconnects = 0
        self.error = None
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"link-{self.name}")

    async def stop(self) -> None:
        """End the session (DELETE at the other centre) and stop trying."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._set("stopped", None)
        self.bitrate_kbps = 0.0

    def cancel(self) -> None:
        """`stop()` for any thread: the task ends the session itself (DELETE) as it is cancelled."""
        task = self._task
        if task is not None and not task.done():
            try:
                task.get_loop().call_soon_threadsafe(task.cancel)
            except RuntimeError:  # its loop is closed: nothing runs it any more
                pass

    # -- what a kind of link does ----------------------------------------------------------------------
    async def _open(self, session: PeerSession) -> None:
        """Set up the peer connection, exchange the offer (`self._exchange`); raise to fail the attempt."""
        raise NotImplementedError

    def _check(self, stats: dict[str, Any]) -> str | None:
        """Why a connected session is dead though its connection is not closed (from its statistics), or None."""
        return None

    def _rate_of(self, stats: dict[str, Any]) -> int:
        """Bytes so far in the connection's statistics (sent or received, by kind)."""
        return 0

    def _quiet_for(self) -> float:
        """Seconds the current session has been up (0 before it connects)."""
        return 0.0 if self.connected_at is None else time.monotonic() - self.connected_at

    async def _exchange(self, session: PeerSession) -> None:
        """Our offer to the other centre, its answer applied; the session's URL kept for the DELETE."""
        from aiortc import RTCSessionDescription

        pc = session.pc
        await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers every candidate first
        answer, self.resource = await post_offer(self._http(), self.url, pc.localDescription.sdp, self._token())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    # -- the supervisor ---------------------------------------------------------------------------------
    async def _run(self) -> None:
        failures = 0
        while True:
            self._set("connecting", self.error)
            retry_after: float | None = None
            session = self.sessions.new(self.name, "cascade")
            ended = asyncio.Event()
            session.on_end.append(ended.set)
            self.session = session
            try:
                await self._open(session)
                await self._connected(session, ended)
                self.connected_at = time.monotonic()
                failures = 0
                self._set("live", None)
                error = await self._watch(session, ended)
            except RemoteRefused as exc:
                error, retry_after = f"the other centre refused: {exc}", exc.retry_after
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = f"cannot reach the other centre: {exc or type(exc).__name__}"
            except Exception as exc:  # an offer aiortc cannot make or an answer it cannot apply
                log.warning("cascade link attempt failed", exc_info=True, extra={"link": self.name})
                error = f"{type(exc).__name__}: {exc}"
            finally:  # also when stopped (cancelled): the other centre is told
                await self._end(session)
            failures += 1
            self.reconnects += 1
            delay = self.backoff.delay(failures, retry_after)
            self._next_attempt = time.monotonic() + delay
            self._set("failed", redact(error))
            log.info("cascade link down; retrying", extra={"link": self.name, "error": self.error,
                                                           "retry_in_s": round(delay, 1)})
            await asyncio.sleep(delay)

    async def _connected(self, session: PeerSession, ended: asyncio.Event) -> None:
        """Wait until ICE and DTLS are up; PeerSessions ends a session that never connects."""
        while session.pc.connectionState != "connected":
            if ended.is_set() or session.pc.connectionState in ("failed", "closed"):
                raise ConnectionError("ICE/DTLS did not connect (no candidate pair reached the other centre)")
            try:
                await asyncio.wait_for(ended.wait(), 0.1)
            except TimeoutError:
                pass

    async def _watch(self, session: PeerSession, ended: asyncio.Event) -> str:
        """Until the session ends or is found dead: why."""
        self._bytes = None
        while True:
            try:
                await asyncio.wait_for(ended.wait(), self.watch_every_s)
            except TimeoutError:
                pass
            if ended.is_set() or session.pc.connectionState in ("failed", "closed"):
                return "the connection was closed (the other centre ended it or went away)"
            problem = self._check(await self._measure(session))
            if problem:
                return problem

    async def _measure(self, session: PeerSession) -> dict[str, Any]:
        report = await session.pc.getStats()
        stats = {k: report[k] for k in report}
        total = self._rate_of(stats)
        now = time.monotonic()
        if self._bytes is not None and now > self._bytes[0]:
            self.bitrate_kbps = round(max(0, total - self._bytes[1]) * 8 / 1000 / (now - self._bytes[0]), 1)
        self._bytes = (now, total)
        return stats

    async def _end(self, session: PeerSession) -> None:
        resource, self.resource = self.resource, None
        self.session, self.connected_at, self.bitrate_kbps = None, None, 0.0
        try:
            if resource is not None:
                await delete_resource(self._http(), resource, self._token())
        finally:
            await session.end()

    def _set(self, state: LinkState, error: str | None) -> None:
        if state != "failed":
            self._next_attempt = None
        self.error = error
        if state != self.state:
            self.state, self.since = state, time.time()
        if self.on_state is not None:
            self.on_state(state, error)

    # -- health --------------------------------------------------------------------------------------------
    def health(self) -> LinkHealth:
        nxt = self._next_attempt
        return LinkHealth(name=self.name, kind=self.kind, url=redact(self.url), state=self.state, since=self.since,
                          error=self.error, bitrate_kbps=self.bitrate_kbps, reconnects=self.reconnects,
                          next_attempt_s=None if nxt is None else round(max(0.0, nxt - time.monotonic()), 1))


def stats_bytes(stats: dict[str, Any], kind: str, field: str) -> int:
    """The sum of `field` over the reports of type `kind` (e.g. outbound-rtp, bytesSent)."""
    return sum(int(getattr(s, field, 0) or 0) for s in stats.values() if getattr(s, "type", None) == kind)

