"""A talkgroup's media (the intercom): push-to-talk among the centre and the field, audio only, one speaker at a
time.

Every member is one peer connection with its voice both ways (Opus). The group's mixer (media/audio.py, the room's
mixing) hears only the floor holder: every other voice has gain 0, so a microphone left open never leaks. What the
floor says is encoded once per 20 ms tick and the same packets go to every member but the holder (aiortc only
packetises them), so a group of thirty costs one encode, not thirty. Each floor hold is recorded as one clip (Ogg
Opus, encoded and written by PyAV in a thread of its own, whole or absent) for the group's replay.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import numpy as np
from aiortc import RTCRtpSender, RTCRtpTransceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .audio import SAMPLE_RATE, SAMPLES, AudioMixer, feed_voice, mono_to_frame
from .sdp import read_offer
from .webrtc import OfferRejected, PeerSession, PeerSessions

if TYPE_CHECKING:  # PyAV's Packet is generic in its stubs only
    from typing import TypeAlias

    from .server import MediaServer

    OpusPacket: TypeAlias = av.Packet[Any]  # one 20 ms Opus frame of the floor's sound, attached to no stream

log = logging.getLogger("media.intercom")

TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
VOICE_KBPS = 32  # Opus at 32 kb/s carries speech well; one encode per group, whatever its size
CLIP_KBPS = 24
SILENT_PEAK = 1e-3  # a clip whose loudest sample stays below this (about -60 dBFS) heard nothing: not kept
FLOOR_LISTENER = "floor"


def check_talk_offer(offer_sdp: str) -> None:
    """A talkgroup page's offer, read before anything is made: its voice both ways (one audio section, sendrecv,
    Opus offered), with ICE credentials and a DTLS fingerprint."""
    try:
        offer = read_offer(offer_sdp)
    except ValueError as exc:
        raise OfferRejected(str(exc), "v=") from None
    audio = [m for m in offer.media if m.port != 0 and m.kind == "audio"]
    if not audio:
        raise OfferRejected("the offer has no audio section (a talkgroup sends and receives voice)", "m=audio")
    if audio[0].direction != "sendrecv":
        raise OfferRejected("the offer's audio must be sendrecv (a member talks and listens)", "a=sendrecv")
    if "OPUS" not in audio[0].codecs:
        raise OfferRejected("the offer cannot send Opus (the intercom's voices are Opus)", "a=rtpmap")
    if not offer.ice_credentials or not offer.fingerprint:
        raise OfferRejected("the offer has no ICE credentials or DTLS fingerprint", "a=ice-ufrag")


def prefer_opus(transceiver: RTCRtpTransceiver) -> None:
    """Answer with Opus only: the floor's packets are Opus (before setRemoteDescription, as for H.264)."""
    codecs = RTCRtpSender.getCapabilities("audio").codecs
    transceiver.setCodecPreferences([c for c in codecs if c.mimeType.lower() == "audio/opus"])


# -- the floor's sound, encoded once ------------------------------------------------------------------------
class FloorSound:
    """A mixer listener that encodes the group's sound (the holder's voice, or silence) once per tick and hands
    the packets to every member's track on the event loop."""

    def __init__(self, mixer: AudioMixer, loop: asyncio.AbstractEventLoop) -> None:
        self.mixer = mixer
        self.loop = loop
        self.tracks: set[FloorTrack] = set()
        self.encoded = 0
        self.encode_ms = 0.0  # average time of one tick's encode (figures)
        self._pts_in = 0
        self._pts_out = 0
        codec = av.CodecContext.create("libopus", "w")
        codec.bit_rate = VOICE_KBPS * 1000
        codec.format = "s16"
        codec.layout = "mono"
        codec.sample_rate = SAMPLE_RATE
        codec.time_base = TIME_BASE
        codec.options = {"application": "voip"}
        self.codec = codec
        mixer.add_listener(FLOOR_LISTENER, self._sink)

    def _sink(self, pcm: np.ndarray) -> None:  # the mixer's thread
        t0 = time.perf_counter()
        packets = self.codec.encode(mono_to_frame(pcm, self._pts_in))
        self._pts_in += SAMPLES
        for p in packets:  # our own clock: the encoder's lookahead makes its first pts negative
            p.pts, p.time_base = self._pts_out, TIME_BASE
            self._pts_out += SAMPLES
        self.encoded += 1
        ms = (time.perf_counter() - t0) * 1000
        self.encode_ms = ms if self.encoded == 1 else self.encode_ms * 0.95 + ms * 0.05
        if packets:
            try:
                self.loop.call_soon_threadsafe(self._deliver, packets)
            except RuntimeError:  # the loop is closed: nobody listens any more
                self.mixer.remove_listener(FLOOR_LISTENER)

    def _deliver(self, packets: list[OpusPacket]) -> None:
        for track in list(self.tracks):
            track.offer(packets)

    def close(self) -> None:
        self.mixer.remove_listener(FLOOR_LISTENER)
        for track in list(self.tracks):
            track.stop()


class FloorTrack(MediaStreamTrack):
    """What one member hears: the floor's packets, except while they hold the floor themselves (nothing of their
    own voice comes back; the stream pauses and resumes, as with Opus DTX)."""

    kind = "audio"
    MAX_QUEUE = 10  # 200 ms: a member who falls further behind loses the oldest sound

    def __init__(self, sound: FloorSound, member: str, holder: Callable[[], str | None]) -> None:
        super().__init__()
        self.sound = sound
        self.member = member
        self._holder = holder
        self._queue: asyncio.Queue[OpusPacket | None] = asyncio.Queue()
        self.packets_sent = 0
        sound.tracks.add(self)

    def offer(self, packets: list[OpusPacket]) -> None:
        if self.readyState != "live" or self._holder() == self.member:
            return
        for p in packets:
            if self._queue.qsize() >= self.MAX_QUEUE:
                self._queue.get_nowait()
            self._queue.put_nowait(p)

    async def recv(self) -> OpusPacket:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        self.packets_sent += 1
        return packet

    def stop(self) -> None:
        self.sound.tracks.discard(self)
        if self.readyState == "live":
            self._queue.put_nowait(None)  # wakes recv() so it sees the end
        super().stop()


# -- clips ------------------------------------------------------------------------------------------------
@dataclass
class Clip:
    """One floor hold as recorded: `path` None when nothing was heard (or the writer failed)."""

    speaker: str
    started_at: float
    path: str | None
    seconds: float
    bytes: int
    error: str | None = None


class ClipRecorder:
    """Records the floor's sound from `start()` to `stop()` into `path` (Ogg Opus): a mixer listener that only
    queues; the encoding and writing happen in this recorder's thread, into a hidden file renamed once whole."""

    def __init__(self, mixer: AudioMixer, path: Path, speaker: str) -> None:
        self.mixer = mixer
        self.path = path
        self.speaker = speaker
        self.listener_id = f"clip:{path.name}"
        self.started_at = 0.0
        self._audio: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=3000)  # 60 s at most in hand
        self._thread: threading.Thread | None = None
        self.result: Clip | None = None

    def start(self) -> None:
        self.started_at = time.time()
        self.mixer.add_listener(self.listener_id, self._on_audio)
        self._thread = threading.Thread(target=self._run, name=f"clip-{self.path.stem}", daemon=True)
        self._thread.start()

    def _on_audio(self, pcm: np.ndarray) -> None:  # the mixer's thread
        try:
            self._audio.put_nowait(pcm.copy())
        except queue.Full:
            pass  # the writer is far behind: a gap rather than unbounded memory

    def stop(self) -> Clip:
        """Finish the clip (blocking: joins the writer; call it in a thread)."""
        self.mixer.remove_listener(self.listener_id)
        try:
            self._audio.put(None, timeout=5)
        except queue.Full:
            pass
        if self._thread is not None:
            self._thread.join(30)
        return self.result or Clip(self.speaker, self.started_at, None, 0.0, 0, "the clip writer did not finish")

    def _run(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.part")
        samples, peak = 0, 0.0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            container = av.open(str(tmp), mode="w", format="ogg")
            try:
                stream = container.add_stream("libopus", rate=SAMPLE_RATE)
                stream.layout = "mono"
                stream.bit_rate = CLIP_KBPS * 1000
                while True:
                    pcm = self._audio.get()
                    if pcm is None:
                        break
                    peak = max(peak, float(np.max(np.abs(pcm))) if pcm.size else 0.0)
                    for packet in stream.encode(mono_to_frame(pcm, samples)):
                        container.mux(packet)
                    samples += pcm.size
                for packet in stream.encode(None):
                    container.mux(packet)
            finally:
                container.close()
            if peak < SILENT_PEAK:  # nobody spoke (a microphone that never sent, a press without a word)
                tmp.unlink(missing_ok=True)
                self.result = Clip(self.speaker, self.started_at, None, round(samples / SAMPLE_RATE, 2), 0)
                return
            os.replace(tmp, self.path)
            self.result = Clip(self.speaker, self.started_at, str(self.path), round(samples / SAMPLE_RATE, 2),
                               self.path.stat().st_size)
        except Exception as exc:
            log.exception("intercom clip failed", extra={"path": str(self.path)})
            tmp.unlink(missing_ok=True)
            self.result = Clip(self.speaker, self.started_at, None, round(samples / SAMPLE_RATE, 2), 0,
                               f"{type(exc).__name__}: {exc}")


# -- the talkgroup ----------------------------------------------------------------------------------------
@dataclass
class _Member:
    id: str
    session: PeerSession
    track: FloorTrack
    state: str = "connecting"
    tasks: list[asyncio.Future[None]] = field(default_factory=list)


class TalkgroupMedia:
    """The media of one talkgroup. `start()` on the event loop; members `join` (again after a drop: the new peer
    connection replaces the old), `leave`; the floor is given with `give_floor`; `close()` once."""

    def __init__(self, server: MediaServer, group_id: str,
                 on_member: Callable[[str, str], None] | None = None) -> None:
        self.server = server
        self.id = group_id
        self.on_member = on_member  # (member, "connected" | "left")
        self.mixer = AudioMixer(f"talk-{group_id}")
        self.sessions: PeerSessions = server.peers(f"talk:{group_id}")
        self.members: dict[str, _Member] = {}
        self.holder: str | None = None
        self.sound: FloorSound | None = None
        self.clip: ClipRecorder | None = None
        self.closed = False

    def start(self) -> None:
        self.sound = FloorSound(self.mixer, asyncio.get_running_loop())
        self.mixer.start()

    # -- members ---------------------------------------------------------------------------------------------
    async def join(self, member: str, offer_sdp: str, owner: str) -> tuple[PeerSession, str]:
        """A member's (new) peer connection into the group: (its session, the answer SDP)."""
        if self.closed or self.sound is None:
            raise OfferRejected("the talkgroup is closed", "group")
        check_talk_offer(offer_sdp)
        old = self.members.pop(member, None)
        if old is not None:
            await self._end_member(old)
        session = self.sessions.new(member, owner)
        pc = session.pc
        voice = self.mixer.add_voice(member)
        voice.muted = member != self.holder  # before any sound arrives: nobody but the holder is heard
        me = _Member(member, session, FloorTrack(self.sound, member, lambda: self.holder))
        self.members[member] = me

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and not me.tasks:
                me.tasks.append(asyncio.ensure_future(feed_voice(track, voice)))

        @pc.on("connectionstatechange")
        async def _connection() -> None:
            if self.members.get(member) is me and pc.connectionState == "connected" and me.state != "connected":
                me.state = "connected"
                self._tell(member, "connected")

        transceiver = pc.addTransceiver("audio", direction="sendrecv")
        prefer_opus(transceiver)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            transceiver.sender.replaceTrack(me.track)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            self.members.pop(member, None)
            await self._end_member(me)
            raise OfferRejected(f"cannot answer this offer: {exc}", "sdp") from exc
        session.on_end.append(lambda: self._ended(me))
        log.info("talkgroup member joined", extra={"group": self.id, "member": member})
        return session, pc.localDescription.sdp

    def _ended(self, me: _Member) -> None:
        """A member's session ended (they left, their network failed, or it never connected)."""
        me.track.stop()
        for task in me.tasks:
            task.cancel()
        if self.members.get(me.id) is me:
            del self.members[me.id]
            self.mixer.remove_voice(me.id)
            if not self.closed:
                self._tell(me.id, "left")

    async def _end_member(self, me: _Member) -> None:
        me.track.stop()
        await me.session.end()

    async def leave(self, member: str) -> None:
        me = self.members.pop(member, None)
        if me is not None:
            self.mixer.remove_voice(member)
            await self._end_member(me)

    def _tell(self, member: str, state: str) -> None:
        if self.on_member is not None:
            try:
                self.on_member(member, state)
            except Exception:
                log.exception("talkgroup listener failed", extra={"group": self.id})

    # -- the floor -------------------------------------------------------------------------------------------
    async def give_floor(self, holder: str | None, clip_path: Path | None = None) -> Clip | None:
        """Give the floor to `holder` (None: nobody): only that voice is heard from the next tick on. The previous
        hold's clip is finished (in a thread) and returned; with `clip_path`, the new hold is recorded there."""
        self.holder = holder
        for vid, voice in self.mixer.voices.items():
            voice.muted = vid != holder
        done, self.clip = self.clip, None
        if holder is not None and clip_path is not None and not self.closed:
            self.clip = ClipRecorder(self.mixer, clip_path, holder)
            self.clip.start()
        return await asyncio.to_thread(done.stop) if done is not None else None

    def figures(self) -> dict[str, object]:
        sound = self.sound
        return {"members": len(self.members), "holder": self.holder, "mix_ms": round(self.mixer.mix_ms, 3),
                "encode_ms": round(sound.encode_ms, 3) if sound else None,
                "encodes": sound.encoded if sound else 0, "late_ticks": self.mixer.late_ticks}

    async def close(self) -> Clip | None:
        """End every member's connection and stop the mixer; the clip of a hold still running is returned."""
        if self.closed:
            return None
        self.closed = True
        clip = await self.give_floor(None)
        for me in list(self.members.values()):
            await self._end_member(me)
        self.members.clear()
        await self.sessions.close()
        if self.sound is not None:
            self.sound.close()
        self.mixer.stop()
        return clip
