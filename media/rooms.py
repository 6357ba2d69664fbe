"""A consultation room's media: an MCU in the media server, so a weak phone copes.

Every participant sends its camera and microphone over one peer connection and receives one picture and one
sound: the room composed once per picture size (a grid of the participants with the active speaker, the
spotlighted participant or a shared source emphasised; reusing the wall's compositor) and encoded once per size
(never once per participant), and its own mix of everyone's voices but its own (media/audio.py: one tick,
the sum once). A participant without a camera is a name card. Shared into the room: any wall source, any wall
screen (its composed picture), a participant's screen. The room's composition is a source of its own
(`room:<id>`), so the wall can show it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiortc import RTCRtpTransceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from layouts.geometry import Rect
from layouts.window import Layout, Window

from .audio import AudioMixer, MixTrack, feed_voice
from .calls import check_call_offer
from .compositor import NEUTRAL_C
from .encoder import EncoderSettings
from .frames import Frame, LatestFrame
from .recorder import Recorder, RecordingResult
from .sdp import read_offer
from .sources.base import Source, SourceConfigLite, SourceState
from .sources.track import TrackSource
from .text import text_renderer
from .webrtc import EncodedScreenTrack, OfferRejected, PeerSession, PeerSessions, prefer_h264, route_keyframe_requests

if TYPE_CHECKING:
    from .server import MediaServer

log = logging.getLogger("media.rooms")

SIZES: dict[str, tuple[int, int]] = {"large": (1280, 720), "small": (640, 360)}
MAIN_SHARE = 0.75  # of the width: the emphasised picture; the others in a column beside it


# -- sources of a room ------------------------------------------------------------------------------------
class CardSource(Source):
    """A participant without a camera (or with it off): their name on a quiet background, drawn once."""

    kind = "card"
    alive_when_idle = True

    def __init__(self, source_id: str, name: str, size: tuple[int, int] = (640, 360)) -> None:
        super().__init__(SourceConfigLite(source_id, f"card:{source_id}", name=name))
        self.size = size
        self.card_name = name

    def start(self) -> None:
        self.draw(self.card_name)

    def draw(self, name: str) -> None:
        """Draw the card (a few milliseconds, once): callers on the event loop use a thread."""
        self.card_name = name
        w, h = self.size
        frame = Frame.blank(w, h, 48)
        frame.u[:] = NEUTRAL_C + 6
        frame.v[:] = NEUTRAL_C - 4
        renderer = text_renderer()
        if renderer.available:
            box = renderer.slate([(name[:40], max(18, h // 8))], h // 30)
            bh, bw = box.shape
            y0, x0 = max(0, (h - bh) // 2), max(0, (w - bw) // 2)
            region = frame.y[y0:y0 + bh, x0:x0 + bw]
            region[:] = box[: region.shape[0], : region.shape[1]]
        self._mark_connected()
        self._emit(frame)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()

    def _run(self) -> None:  # pragma: no cover - no thread: one picture
        return None


class OutputSource(Source):
    """Another output's composed picture as a source (a wall screen shared into a room, a room on the wall):
    its frames are the output's own, composed only while this source is watched."""

    kind = "output"
    alive_when_idle = True
    stall_after_s = 2.0

    def __init__(self, source_id: str, name: str, server: MediaServer, output_id: str) -> None:
        super().__init__(SourceConfigLite(source_id, f"output:{output_id}", name=name))
        self.server = server
        self.output_id = output_id
        self.latest: LatestFrame = server.output(output_id)
        self._holding = False

    def want(self, viewers: int) -> None:
        super().want(viewers)
        hold = viewers > 0
        if hold != self._holding:
            self._holding = hold
            (self.server.acquire_output if hold else self.server.release_output)(self.output_id)

    def start(self) -> None:
        self._mark_connected()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._holding:
            self._holding = False
            self.server.release_output(self.output_id)

    def state(self) -> SourceState:
        frame = self.latest.get()
        if frame is None:
            return "connecting"
        if self._holding and time.monotonic() - frame.time > self.stall_after_s:
            return "stalled"
        return "live"

    def _run(self) -> None:  # pragma: no cover - no thread: the output's compositor makes the frames
        return None


# -- the room's picture -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tile:
    source: str
    title: str


def room_layout(size: tuple[int, int], tiles: list[Tile], main: Tile | None) -> Layout:
    """The room's picture at `size`: `main` (the shared source, the spotlight or the active speaker) large with the
    others in a column beside it, or without one every participant in an even grid. Pure."""
    w, h = size
    windows: list[Window] = []
    others = [t for t in tiles if main is None or t.source != main.source]
    if main is not None:
        main_w = w if not others else (round(w * MAIN_SHARE) // 2) * 2
        windows.append(Window(id="main", kind="video", rect=Rect(0, 0, main_w, h), source=main.source,
                              title=main.title, fit="contain", z=1))
        if others:
            col_w = w - main_w
            rows = max(len(others), 1)
            cell_h = max(2, (h // rows) // 2 * 2)
            for i, t in enumerate(others[: max(1, h // 60)]):
                windows.append(Window(id=f"tile-{i}", kind="video", rect=Rect(main_w, i * cell_h, col_w, cell_h),
                                      source=t.source, title=t.title, fit="cover"))
        return Layout(windows=windows)
    n = len(tiles)
    if n == 0:
        return Layout()
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    xs = [round(c * w / cols) // 2 * 2 for c in range(cols + 1)]
    ys = [round(r * h / rows) // 2 * 2 for r in range(rows + 1)]
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        windows.append(Window(id=f"tile-{i}", kind="video", rect=Rect(xs[c], ys[r], xs[c + 1] - xs[c],
                                                                        ys[r + 1] - ys[r]),
                              source=t.source, title=t.title, fit="contain"))
    return Layout(windows=windows)


# -- participants ---------------------------------------------------------------------------------------------
@dataclass
class Participant:
    id: str
    name: str
    size: str
    camera: TrackSource
    card: CardSource
    session: PeerSession | None = None
    screen: TrackSource | None = None
    screen_session: PeerSession | None = None
    state: str = "connecting"
    has_camera: bool = False
    joins: int = 0
    joined_at: float = field(default_factory=time.time)


def check_room_offer(offer_sdp: str) -> bool:
    """A room page's offer (read first): the room's picture received first, voice both ways, and its camera if it
    has one. Returns whether it sends a camera."""
    check_call_offer(offer_sdp)
    offer = read_offer(offer_sdp)
    return any(m.kind == "video" and m.direction in ("sendonly", "sendrecv") and m.port != 0
               for m in offer.media[1:])


class RoomMedia:
    """The media of one room. `start()`, then participants `join` (again after a drop), `leave`; `close()` once."""

    def __init__(self, server: MediaServer, room_id: str, *, fps_bitrate_kbps: dict[str, int] | None = None,
                 on_change: Callable[[str, dict[str, object]], None] | None = None) -> None:
        self.server = server
        self.id = room_id
        self.kbps = fps_bitrate_kbps or {"large": 1800, "small": 700}
        self.on_change = on_change
        self.mixer = AudioMixer(f"room-{room_id}")
        self.mixer.on_speaker = self._speaker_changed
        self.sessions: PeerSessions = server.peers(f"room:{room_id}")
        self.participants: dict[str, Participant] = {}
        self.spotlight: str | None = None
        self.shared: Tile | None = None  # a wall source, a wall screen or a participant's screen, emphasised
        self.speaker: str | None = None
        self.outputs: dict[str, str] = {}  # size name -> output id
        self.source_id = f"room:{room_id}"  # the composition, as a wall source
        self.recorder: Recorder | None = None
        self.closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    # -- life -----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """The room's pictures and its wall source (blocking: planning; call it in a thread)."""
        for name in SIZES:
            self._output(name)
        self.server.add_source(OutputSource(self.source_id, f"Room {self.id}", self.server, self.outputs["large"]),
                               f"Consultation room {self.id}")
        self.mixer.start()

    def _output(self, size_name: str) -> str:
        oid = self.outputs.get(size_name)
        if oid is None:
            oid = f"room:{self.id}@{size_name}"
            self.server.add_output(oid, SIZES[size_name], self._layout(SIZES[size_name]), kind="room")
            self.outputs[size_name] = oid
        return oid

    def _tiles(self) -> list[Tile]:
        return [Tile(p.camera.id if p.has_camera else p.card.id, p.name) for p in self.participants.values()]

    def _main(self) -> Tile | None:
        if self.shared is not None:
            return self.shared
        for pid in (self.spotlight, self.speaker):
            p = self.participants.get(pid or "")
            if p is not None and len(self.participants) > 2:
                return Tile(p.camera.id if p.has_camera else p.card.id, p.name)
        return None

    def _layout(self, size: tuple[int, int]) -> Layout:
        return room_layout(size, self._tiles(), self._main())

    def relayout(self) -> None:
        """Compose the room anew after a change (who is in it, who speaks, what is shared); blocking, small."""
        for size_name, oid in self.outputs.items():
            self.server.set_output_layout(oid, self._layout(SIZES[size_name]))

    async def _relayout(self) -> None:
        await asyncio.to_thread(self.relayout)

    def _speaker_changed(self, speaker: str | None) -> None:  # the mixer's thread
        loop = self._loop
        if loop is None or self.closed:
            return
        loop.call_soon_threadsafe(self._apply_speaker, speaker)

    def _apply_speaker(self, speaker: str | None) -> None:
        if speaker == self.speaker or self.closed:
            return
        self.speaker = speaker
        task = asyncio.ensure_future(self._relayout())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._tell("speaker", {"participant": speaker})

    def _tell(self, what: str, data: dict[str, object]) -> None:
        if self.on_change is not None:
            try:
                self.on_change(what, data)
            except Exception:
                log.exception("room listener failed", extra={"room": self.id})

    # -- participants ------------------------------------------------------------------------------------------
    async def join(self, pid: str, name: str, offer_sdp: str, owner: str, size: str = "large") -> str:
        """A participant's (new) peer connection into the room; the answer SDP."""
        if self.closed:
            raise OfferRejected("the room is closed", "room")
        if size not in SIZES:
            raise OfferRejected(f"size is one of {', '.join(SIZES)}", "size")
        self._loop = asyncio.get_running_loop()
        sends_camera = check_room_offer(offer_sdp)
        p = self.participants.get(pid)
        if p is None:
            camera = TrackSource(SourceConfigLite(f"room:{self.id}:cam:{pid}", f"room:{self.id}:cam:{pid}",
                                                  name=name))
            card = CardSource(f"room:{self.id}:card:{pid}", name)
            self.server.add_source(camera, name)
            self.server.add_source(card, name)
            p = Participant(pid, name, size, camera, card)
            self.participants[pid] = p
        elif p.session is not None:
            old, p.session = p.session, None
            await old.end()
        p.size, p.has_camera, p.joins, p.state = size, sends_camera, p.joins + 1, "connecting"
        session = self.sessions.new(pid, owner)
        p.session = session
        pc = session.pc

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                p.camera.attach(track)
                session.on_end.append(lambda: p.camera.detach(track))
            elif track.kind == "audio":
                task = asyncio.ensure_future(feed_voice(track, self.mixer.add_voice(pid)))
                session.on_end.append(task.cancel)

        @pc.on("connectionstatechange")
        async def _connection() -> None:
            if session is not p.session:
                return
            if pc.connectionState == "connected":
                p.state = "connected"
                self._tell("participant", {"participant": pid, "state": "connected"})
            elif pc.connectionState in ("disconnected", "failed", "closed"):
                p.state = "reconnecting"
                self._tell("participant", {"participant": pid, "state": "reconnecting"})

        picture: RTCRtpTransceiver = pc.addTransceiver("video", direction="sendonly")
        prefer_h264(picture)
        oid = self._output(size)
        base = self.server.settings.encoder
        encoder = self.server.encoders.acquire(oid, EncoderSettings(preset=base.preset, bitrate_kbps=self.kbps[size],
                                                                    gop_seconds=1.0, threads=base.threads))
        session.on_end.append(lambda: self.server.encoders.release(oid))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            track = EncodedScreenTrack(encoder)
            session.on_end.insert(0, track.stop)
            picture.sender.replaceTrack(track)
            route_keyframe_requests(picture.sender, encoder)
            mix = MixTrack(self.mixer, pid, own=pid)
            session.on_end.insert(0, mix.stop)
            pc.addTrack(mix)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await session.end()
            raise OfferRejected(f"cannot answer this offer: {exc}", "sdp") from exc
        await self._relayout()
        log.info("room participant joined", extra={"room": self.id, "participant": pid, "joins": p.joins})
        return pc.localDescription.sdp

    async def leave(self, pid: str) -> None:
        """A participant leaves (or is removed): their connections end and their tiles go."""
        p = self.participants.pop(pid, None)
        if p is None:
            return
        for s in (p.session, p.screen_session):
            if s is not None:
                await s.end()
        self.mixer.remove_voice(pid)
        if self.spotlight == pid:
            self.spotlight = None
        if self.shared is not None and p.screen is not None and self.shared.source == p.screen.id:
            self.shared = None
        for src in (p.camera, p.card, p.screen):
            if src is not None:
                self.server.remove_source(src.id)
        await self._relayout()

    def set_muted(self, pid: str, muted: bool) -> None:
        self.mixer.add_voice(pid).muted = muted

    async def set_spotlight(self, pid: str | None) -> None:
        self.spotlight = pid if pid in self.participants else None
        await self._relayout()

    async def share_source(self, source_id: str | None, title: str = "") -> None:
        """Emphasise a wall source (a camera, a call, a command-centre feed) or a wall screen; None: stop."""
        if source_id is None:
            self.shared = None
        else:
            try:
                self.server.source(source_id)
            except KeyError:
                if not self.server.media_engine().has_output(source_id):
                    raise KeyError(f"no source or screen {source_id!r}") from None
                wrapped = f"room:{self.id}:screen-of:{source_id}"
                try:
                    self.server.source(wrapped)
                except KeyError:
                    self.server.add_source(OutputSource(wrapped, title or source_id, self.server, source_id))
                source_id = wrapped
            self.shared = Tile(source_id, title or source_id)
        await self._relayout()

    async def share_screen(self, pid: str, offer_sdp: str, owner: str) -> str:
        """A participant's screen (getDisplayMedia) into the room: one sendonly video; emphasised while shared."""
        p = self.participants.get(pid)
        if p is None:
            raise OfferRejected("join the room first", "participant")
        if p.screen_session is not None:
            await p.screen_session.end()
        if p.screen is None:
            label = f"{p.name} (screen)"
            p.screen = TrackSource(SourceConfigLite(f"room:{self.id}:screen:{pid}", "screen", name=label))
            self.server.add_source(p.screen, f"{p.name} (screen)")
        session = self.sessions.new(f"{pid}:screen", owner)
        p.screen_session = session
        screen = p.screen

        @session.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                screen.attach(track)
                session.on_end.append(lambda: screen.detach(track))

        try:
            await session.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await session.pc.setLocalDescription(await session.pc.createAnswer())
        except Exception as exc:
            await session.end()
            raise OfferRejected(f"cannot answer this offer: {exc}", "sdp") from exc

        async def unshared() -> None:
            if self.shared is not None and self.shared.source == screen.id:
                self.shared = None
                await self._relayout()
                self._tell("shared", {"source": None})

        session.on_end.append(unshared)
        self.shared = Tile(screen.id, f"{p.name} (screen)")
        await self._relayout()
        return session.pc.localDescription.sdp

    # -- recording and figures ----------------------------------------------------------------------------------
    def start_recording(self, path: Path) -> None:
        if self.recorder is None:
            self.recorder = Recorder(self.server, self.outputs["large"], self.mixer, path, fps=15, video_kbps=2000)
            self.recorder.start()

    def stop_recording(self) -> RecordingResult | None:
        recorder, self.recorder = self.recorder, None
        return recorder.stop() if recorder is not None else None

    def figures(self) -> dict[str, object]:
        return {"participants": len(self.participants), "speaker": self.speaker, "mix_ms": round(self.mixer.mix_ms, 3),
                "late_ticks": self.mixer.late_ticks, "outputs": dict(self.outputs)}

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        await asyncio.to_thread(self.stop_recording)
        for pid in list(self.participants):
            await self.leave(pid)
        await self.sessions.close()
        self.mixer.stop()
        self.server.remove_source(self.source_id)
        for oid in self.outputs.values():
            self.server.remove_output(oid)
