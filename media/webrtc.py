"""WebRTC plumbing over aiortc: a screen's encoded track per viewer, H.264 only, keyframe requests
routed to our encoder, and the loopback ICE fix."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aioice.ice
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .encoder import KeyframeSink, ScreenEncoder

if TYPE_CHECKING:
    from .encoder import EncodedPacket

log = logging.getLogger("hall.media.webrtc")


# -- the loopback ICE fix (one place) ----------------------------------------------
_loopback_offered = False


def offer_loopback_candidates() -> None:
    """Make aioice offer 127.0.0.1 as a host candidate too.

    aioice skips 127.0.0.1 and has no option for it, so a host with only a loopback
    interface gathers no candidate at all; Chromium (with
    `--allow-loopback-in-peer-connection`) and FFmpeg can then reach us over loopback.
    The extra candidate is listed last and is harmless elsewhere: a remote peer simply
    fails to reach it and uses the others. Idempotent.
    """
    global _loopback_offered
    if _loopback_offered:
        return
    original = aioice.ice.get_host_addresses

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = original(use_ipv4, use_ipv6)
        if use_ipv4 and "127.0.0.1" not in addresses:
            addresses.append("127.0.0.1")
        return addresses

    aioice.ice.get_host_addresses = get_host_addresses
    _loopback_offered = True


# -- codecs --------------------------------------------------------------------------
def prefer_h264(transceiver: RTCRtpTransceiver) -> None:
    """Offer/answer H.264 only (with RTX for retransmissions).

    Must run before setRemoteDescription: preferences set later are silently ignored.
    """
    codecs = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences([c for c in codecs if c.mimeType.lower() in ("video/h264", "video/rtx")])


def route_keyframe_requests(sender: RTCRtpSender, sink: KeyframeSink) -> None:
    """PLI/FIR from this sender's viewer reach our encoder.

    aiortc handles PLI/FIR in `RTCRtpSender._handle_rtcp_packet` by calling
    `self._send_keyframe()`, which only sets a flag that its own per-viewer encoder reads.
    A sender fed with packets has no encoder of ours behind it, so forward the call.
    """
    own = sender._send_keyframe

    def send_keyframe() -> None:
        own()
        sink.request_keyframe("pli")

    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]


# -- a screen's track, one per viewer, all fed by the screen's single encoder ----------------
class EncodedScreenTrack(MediaStreamTrack):
    """Yields the screen encoder's av.Packets; aiortc's sender packetises them without re-encoding.

    Starts at a keyframe (asked for on creation) and, if the viewer falls behind, drops to
    the next keyframe rather than queue without bound.
    """

    kind = "video"

    def __init__(self, encoder: ScreenEncoder, max_queue: int = 50) -> None:
        super().__init__()
        self.encoder = encoder
        self.max_queue = max_queue
        # not `_loop`: that is the event emitter's own (pyee), which aiortc's tracks are
        self._track_loop = asyncio.get_running_loop()
        self._queue: deque[EncodedPacket] = deque()
        self._ready = asyncio.Event()
        self._waiting_keyframe = True
        self.packets_sent = 0
        self.packets_dropped = 0
        self._unsubscribe = encoder.subscribe(self._on_packet)
        encoder.request_keyframe("join")

    def _on_packet(self, packet: EncodedPacket) -> None:  # encoder thread
        try:
            self._track_loop.call_soon_threadsafe(self._push, packet)
        except RuntimeError:  # loop closed
            self._unsubscribe()

    def _push(self, packet: EncodedPacket) -> None:
        if self._waiting_keyframe:
            if not packet.is_keyframe:
                self.packets_dropped += 1
                return
            self._waiting_keyframe = False
        if len(self._queue) >= self.max_queue:
            # This viewer cannot keep up: skip to the next keyframe instead of growing its delay.
            self.packets_dropped += len(self._queue) + 1
            self._queue.clear()
            self._waiting_keyframe = True
            self.encoder.request_keyframe("pli")
            return
        self._queue.append(packet)
        self._ready.set()

    async def recv(self) -> EncodedPacket:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        self.packets_sent += 1
        return self._queue.popleft()

    def stop(self) -> None:
        self._unsubscribe()
        super().stop()
        self._ready.set()  # wake recv() so it sees the end


# -- peer connections ---------------------------------------------------------------------
class OfferRejected(ValueError):
    """The SDP offer cannot be answered (no video, no common codec, not SDP at all); ``field`` names the
    part of the SDP at fault when it is known (``m=video``, ``a=rtpmap``, ...)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def offer_problem(exc: Exception, codecs: str) -> str:
    """A message for the client saying why its offer was refused."""
    text = str(exc) or type(exc).__name__
    if "description send parameters" in text or "receive parameters" in text:
        return f"the offer has no codec we can use (this endpoint needs {codecs})"
    return f"cannot answer this offer: {text}"


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server of the configuration (aiortc takes at most one of each)."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def for_aiortc(self) -> RTCIceServer:
        return RTCIceServer(urls=list(self.urls), username=self.username, credential=self.credential)

    def for_browser(self) -> dict[str, object]:
        out: dict[str, object] = {"urls": list(self.urls)}
        if self.username is not None:
            out |= {"username": self.username, "credential": self.credential or ""}
        return out


def new_peer_connection(ice_servers: Sequence[IceServer] = ()) -> RTCPeerConnection:
    """A peer connection with exactly these ICE servers. Given none, aiortc would use Google's public STUN
    server and wait up to 5 s for it in every connection: a closed hall network never answers."""
    offer_loopback_candidates()
    return RTCPeerConnection(RTCConfiguration(iceServers=[s.for_aiortc() for s in ice_servers]))


async def answer(pc: RTCPeerConnection, offer_sdp: str) -> str:
    """Apply a remote offer and return our answer (aiortc has no trickle ICE: candidates are in it)."""
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    return pc.localDescription.sdp


async def send_screen(pc: RTCPeerConnection, encoder: ScreenEncoder, offer_sdp: str) -> tuple[str, EncodedScreenTrack]:
    """Answer a viewer's offer with the screen's encoded track; returns (answer SDP, track)."""
    transceiver = pc.addTransceiver("video", direction="sendonly")
    prefer_h264(transceiver)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    if transceiver.mid is None:
        raise ValueError("the offer has no video section")
    track = EncodedScreenTrack(encoder)
    transceiver.sender.replaceTrack(track)
    route_keyframe_requests(transceiver.sender, encoder)
    await pc.setLocalDescription(await pc.createAnswer())
    return pc.localDescription.sdp, track


# -- sessions (a WHEP viewer or a WHIP publisher: one peer connection each) ------------------
class PeerSession:
    """One peer connection with an opaque id; ends itself when the connection fails or never comes up."""

    def __init__(self, sessions: PeerSessions, key: str, owner: str) -> None:
        self.sessions = sessions
        self.id = secrets.token_urlsafe(16)
        self.key = key          # the screen or source it belongs to
        self.owner = owner      # who started it (may end it)
        self.pc = new_peer_connection(sessions.ice_servers)
        self.created = time.time()
        self.on_end: list[Callable[[], object]] = []  # run in order at the end; coroutines are awaited
        self._ended = False

        @self.pc.on("connectionstatechange")
        async def _state() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                await self.end()

    @property
    def state(self) -> str:
        return self.pc.connectionState

    async def end(self) -> None:
        if self._ended:
            return
        self._ended = True
        self.sessions._forget(self)
        for fn in self.on_end:
            try:
                result = fn()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("ending a session failed", extra={"session": self.id, "key": self.key})
        await self.pc.close()


class PeerSessions:
    """The live sessions of one endpoint (WHEP egress or WHIP ingest)."""

    def __init__(self, connect_timeout_s: float = 20.0, ice_servers: Sequence[IceServer] = (),
                 purpose: str = "webrtc") -> None:
        self.connect_timeout_s = connect_timeout_s
        self.ice_servers = tuple(ice_servers)
        self.purpose = purpose
        self._sessions: dict[str, PeerSession] = {}
        self._ending: set[asyncio.Future[None]] = set()  # sessions being ended by the connect timeout

    def new(self, key: str, owner: str) -> PeerSession:
        session = PeerSession(self, key, owner)
        self._sessions[session.id] = session
        asyncio.get_running_loop().call_later(self.connect_timeout_s, self._check_connected, session)
        return session

    def _check_connected(self, session: PeerSession) -> None:
        if session.id in self._sessions and session.pc.connectionState != "connected":
            log.info("session never connected; ending it", extra={"session": session.id, "key": session.key})
            task = asyncio.ensure_future(session.end())
            self._ending.add(task)
            task.add_done_callback(self._ending.discard)

    def _forget(self, session: PeerSession) -> None:
        self._sessions.pop(session.id, None)

    def get(self, session_id: str) -> PeerSession | None:
        return self._sessions.get(session_id)

    def of(self, key: str) -> list[PeerSession]:
        return [s for s in self._sessions.values() if s.key == key]

    def __len__(self) -> int:
        return len(self._sessions)

    async def close(self) -> None:
        await asyncio.gather(*(s.end() for s in list(self._sessions.values())), return_exceptions=True)
