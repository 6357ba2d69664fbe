"""A call's media: two sides (the commander at the console, the grid worker on a phone), each one peer connection
into the media server, never to each other.

Each side sends its camera and microphone and receives the other side's picture and voice:
- its camera becomes a runtime source (`call:<id>` for the field side: the wall can show it; `call:<id>:<side>`
  for the other), decoded once by aiortc;
- what it sees is an output of its own (the other side's camera fitted into a picture of the side's shape:
  landscape for the console, portrait for a phone), composed and encoded once by our encoder;
- the voices go through a mixer of two (media/audio.py): each side hears everything but itself, the same
  path a consultation room takes with more voices.

A side that drops makes a new peer connection into the same call (aiortc has no ICE restart): `join` replaces
the side's old connection and the other side keeps the call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from aiortc import RTCRtpTransceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from layouts.geometry import Rect
from layouts.window import Layout, Window

from .audio import AudioMixer, MixTrack, feed_voice
from .encoder import EncoderSettings
from .engine import frame_to_jpeg
from .frames import Frame
from .recorder import Recorder, RecordingResult
from .sdp import read_offer
from .sources.base import SourceConfigLite
from .sources.track import TrackSource
from .webrtc import EncodedScreenTrack, OfferRejected, PeerSession, PeerSessions, prefer_h264, route_keyframe_requests

if TYPE_CHECKING:
    from .server import MediaServer

log = logging.getLogger("media.calls")

Side = Literal["caller", "callee"]
SIDES: tuple[Side, Side] = ("caller", "callee")
SideState = Literal["waiting", "connecting", "connected", "reconnecting", "left"]


@dataclass
class CallVideo:
    """The pictures of a call: each side's view, encoded once."""

    landscape: tuple[int, int] = (640, 360)  # what the console sees of the phone
    portrait: tuple[int, int] = (360, 640)  # what a phone sees of the console
    bitrate_kbps: int = 900


@dataclass
class _Side:
    name: Side
    label: str  # who this side is, on the other side's picture
    portrait: bool
    source: TrackSource
    output_id: str
    session: PeerSession | None = None
    state: SideState = "waiting"
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    joined_at: float | None = None
    joins: int = 0


def call_source_id(call_id: str, side: Side = "callee") -> str:
    """The runtime source of a side's camera: the field side's is the one the wall shows."""
    return f"call:{call_id}" if side == "callee" else f"call:{call_id}:caller"


def check_call_offer(offer_sdp: str) -> None:
    """A call page's offer, read before anything is made. Its sections, in this order: the video it receives
    (the other side's picture, H.264 offered), its voice both ways, its camera (sendonly).

    The order matters to aiortc: the first section leads the BUNDLE group, and aiortc only keeps the second
    video section on the shared transport when the first is the video section we made ahead (to choose its
    codec); any other order leaves the camera's section on a transport it then drops."""
    try:
        offer = read_offer(offer_sdp)
    except ValueError as exc:
        raise OfferRejected(str(exc), "v=") from None
    live = [m for m in offer.media if m.port != 0]
    kinds = [m.kind for m in live]
    if "audio" not in kinds:
        raise OfferRejected("the offer has no audio section (a call sends and receives voice)", "m=audio")
    if not live or live[0].kind != "video" or live[0].direction not in ("recvonly", "sendrecv"):
        raise OfferRejected("the offer's first section must be the video it receives (the other side's picture)",
                            "m=video")
    if "H264" not in live[0].codecs:
        raise OfferRejected("the offer cannot receive H.264 (the call's pictures are sent as H.264)", "a=rtpmap")
    if not offer.ice_credentials or not offer.fingerprint:
        raise OfferRejected("the offer has no ICE credentials or DTLS fingerprint", "a=ice-ufrag")


class CallMedia:
    """The media of one call. Create, `start()`, then each side `join`s (and may join again); `end()` once."""

    def __init__(self, server: MediaServer, call_id: str, caller_label: str, callee_label: str,
                 video: CallVideo | None = None,
                 on_state: Callable[[Side, SideState], None] | None = None) -> None:
        self.server = server
        self.id = call_id
        self.video = video or CallVideo()
        self.on_state = on_state
        self.mixer = AudioMixer(f"call-{call_id}")
        self.sessions: PeerSessions = server.peers(f"call:{call_id}")
        self.sides: dict[Side, _Side] = {}
        labels: dict[Side, str] = {"caller": caller_label, "callee": callee_label}
        for side in SIDES:
            src = TrackSource(SourceConfigLite(call_source_id(call_id, side), f"call:{call_id}:{side}",
                                               name=labels[side]))
            self.sides[side] = _Side(side, labels[side], side == "callee", src, f"call:{call_id}:to-{side}")
        self.started = time.time()
        self.ended = False
        self.recorder: Recorder | None = None

    def _other(self, side: Side) -> _Side:
        return self.sides["callee" if side == "caller" else "caller"]

    def start(self) -> None:
        """Register both cameras as sources and both views as outputs (blocking: planning; call in a thread)."""
        for s in self.sides.values():
            self.server.add_source(s.source, s.label)
        for s in self.sides.values():
            self.server.add_output(s.output_id, self._size(s), self._view(s), kind="call")
        self.mixer.start()

    def _size(self, s: _Side) -> tuple[int, int]:
        return self.video.portrait if s.portrait else self.video.landscape

    def _view(self, s: _Side) -> Layout:
        """What side `s` sees: the other side's camera in its own proportions, labelled with who it is."""
        other = self._other(s.name)
        return Layout(windows=[Window(id="other", kind="video", rect=Rect(0, 0, *self._size(s)),
                                      source=other.source.id, title=other.label, fit="contain")])

    def set_labels(self, caller: str, callee: str) -> None:
        """Who each side is, once known (the worker who answered): on the other side's picture."""
        for s, label in ((self.sides["caller"], caller), (self.sides["callee"], callee)):
            s.label = label
            s.source.name = label
        for s in self.sides.values():
            self.server.set_output_layout(s.output_id, self._view(s))

    # -- a side (re)joins ---------------------------------------------------------------------------
    async def join(self, side: Side, offer_sdp: str, owner: str) -> str:
        """Answer a side's offer with a new peer connection (replacing any earlier one of that side)."""
        if self.ended:
            raise OfferRejected("the call has ended", "call")
        check_call_offer(offer_sdp)
        me = self.sides[side]
        if me.session is not None:
            old, me.session = me.session, None
            await old.end()
        session = self.sessions.new(side, owner)
        me.session, me.joins = session, me.joins + 1
        self._set_state(me, "connecting")
        pc = session.pc

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                me.source.attach(track)
                session.on_end.append(lambda: me.source.detach(track))
            elif track.kind == "audio":
                voice = self.mixer.add_voice(side)
                task = asyncio.ensure_future(feed_voice(track, voice))
                session.on_end.append(task.cancel)

        @pc.on("connectionstatechange")
        async def _connection() -> None:
            if session is not me.session:
                return
            if pc.connectionState == "connected":
                me.joined_at = me.joined_at or time.time()
                self._set_state(me, "connected")
            elif pc.connectionState in ("disconnected", "failed", "closed") and not self.ended:
                self._set_state(me, "reconnecting")

        # Our picture goes in the offer's first section (check_call_offer); it is H.264 from our own encoder,
        # so that section's codecs are chosen before the offer is read.
        picture: RTCRtpTransceiver = pc.addTransceiver("video", direction="sendonly")
        prefer_h264(picture)
        settings = _call_encoder(self.server.settings.encoder, self.video.bitrate_kbps)
        encoder = self.server.encoders.acquire(me.output_id, settings)
        session.on_end.append(lambda: self.server.encoders.release(me.output_id))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            track = EncodedScreenTrack(encoder)
            session.on_end.insert(0, track.stop)
            picture.sender.replaceTrack(track)
            route_keyframe_requests(picture.sender, encoder)
            mix = MixTrack(self.mixer, side, own=side)
            session.on_end.insert(0, mix.stop)
            pc.addTrack(mix)  # the offer's audio section: our voice mix goes back in it
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await session.end()
            raise OfferRejected(f"cannot answer this offer: {exc}", "sdp") from exc
        session.on_end.append(lambda: self._left(me, session))
        log.info("call side joined", extra={"call": self.id, "side": side, "joins": me.joins})
        return pc.localDescription.sdp

    def _left(self, me: _Side, session: PeerSession) -> None:
        if me.session is session:
            me.session = None
            if not self.ended:
                self._set_state(me, "reconnecting")

    def _set_state(self, me: _Side, state: SideState) -> None:
        if me.state == state:
            return
        me.state = state
        if self.on_state is not None:
            try:
                self.on_state(me.name, state)
            except Exception:
                log.exception("call state listener failed", extra={"call": self.id})

    def state(self, side: Side) -> SideState:
        return self.sides[side].state

    # -- what the call offers while it runs -----------------------------------------------------------
    def set_muted(self, side: Side, muted: bool) -> None:
        """Mute a side's voice at the mixer (the page also stops sending it)."""
        self.mixer.add_voice(side).muted = muted

    def latest(self, side: Side) -> Frame | None:
        return self.sides[side].source.latest.get()

    async def snapshot(self, side: Side = "callee", width: int = 1280) -> bytes | None:
        """A JPEG of the side's camera as it is now (None before its first picture), made in a thread."""
        frame = self.latest(side)
        if frame is None:
            return None
        return await asyncio.to_thread(frame_to_jpeg, frame, min(width, frame.width), 90)

    def start_recording(self, path: Path) -> None:
        """Record the field side's picture as the console sees it and both voices into `path` (MP4; blocking for
        a moment: call it in a thread)."""
        if self.recorder is not None:
            return
        self.recorder = Recorder(self.server, self.sides["caller"].output_id, self.mixer, path)
        self.recorder.start()

    def stop_recording(self) -> RecordingResult | None:
        """Finish the recording, if any (blocking: call it in a thread)."""
        recorder, self.recorder = self.recorder, None
        return recorder.stop() if recorder is not None else None

    def figures(self) -> dict[str, object]:
        return {"mix_ms": round(self.mixer.mix_ms, 3), "ticks": self.mixer.ticks,
                "sides": {s.name: {"state": s.state, "joins": s.joins,
                                   "source": s.source.health().to_dict()} for s in self.sides.values()}}

    # -- the end ----------------------------------------------------------------------------------------
    async def end(self) -> None:
        """Hang up: close both sides, stop the mixer, forget the views; the field side's camera stays a source in
        the "ended" state until the wall no longer shows it (`forget`)."""
        if self.ended:
            return
        self.ended = True
        await asyncio.to_thread(self.stop_recording)
        await self.sessions.close()
        self.mixer.stop()
        for s in self.sides.values():
            s.source.end()
            self._set_state(s, "left")
            self.server.remove_output(s.output_id)
        self.server.remove_source(self.sides["caller"].source.id)

    def forget(self) -> None:
        """Drop the field side's ended camera (no window shows it any more)."""
        self.server.remove_source(self.sides["callee"].source.id)


def _call_encoder(base: EncoderSettings, kbps: int) -> EncoderSettings:
    """The wall's x264 settings at a call's bitrate, with keyframes every second: a side that joins or rejoins
    gets its first picture quickly."""
    return EncoderSettings(preset=base.preset, bitrate_kbps=kbps, gop_seconds=1.0, threads=base.threads)
