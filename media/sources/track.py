"""Pictures that arrive over WebRTC: a received aiortc video track as a source (a call's worker camera, a room
participant, a shared screen, a WHIP publication, another centre's WHEP output).

aiortc decodes in its own threads; this source only moves the decoded frames into ``latest``, and converts them
only while someone watches (the wall, a call's other side, a recorder). It comes and goes at run time: it is
"connecting" until a track is attached, "lost" when the track ends, and "ended" once its owner closes it (the
wall then shows an ended slate instead of a lost signal).
"""

from __future__ import annotations

import asyncio
import logging

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.frames import Frame
from media.sources.base import Source, SourceSpec, SourceState

log = logging.getLogger("media.sources.track")


class TrackSource(Source):
    """Frames of the current track; replaced by `attach` (a peer that reconnects brings a new one)."""

    kind = "track"
    stall_after_s = 2.0  # a phone on a mobile link stutters more than a camera on a LAN
    left_reason = "the sender left"

    def __init__(self, cfg: SourceSpec) -> None:
        super().__init__(cfg)
        self._task: asyncio.Task[None] | None = None
        self._track: MediaStreamTrack | None = None
        self.attached = 0  # tracks attached so far (a re-attach after a drop counts as a reconnect)
        self.ended = False

    # No decode thread of its own: aiortc's receiver decodes on its threads.
    def start(self) -> None:
        return None

    def stop(self, timeout: float = 5.0) -> None:
        """End reading the track (callable from any thread: the engine stops sources from threads)."""
        self._stopping.set()
        task = self._task
        if task is not None and not task.done():
            try:
                task.get_loop().call_soon_threadsafe(task.cancel)
            except RuntimeError:  # its loop is closed: nothing runs it any more
                pass

    def attach(self, track: MediaStreamTrack) -> None:
        """Take frames from a newly received video track (replacing any earlier one). Event loop only."""
        self.detach()
        self._stopping.clear()
        self._track = track
        if self.attached:
            self._reconnects += 1
        self.attached += 1
        self._error = None
        self._failed = False
        self.ended = False
        self._mark_connected()
        self._task = asyncio.ensure_future(self._pump(track))

    def detach(self, track: MediaStreamTrack | None = None, reason: str | None = None) -> None:
        """The track ended (or is replaced); `track` given: only if it is still the current one."""
        if self._track is None or (track is not None and track is not self._track):
            return
        self._track = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._mark_failed(reason or self.left_reason)

    def end(self) -> None:
        """Its owner closed it for good (a call hung up): shown as ended, not as a lost signal."""
        self.detach(reason="ended")
        self.ended = True

    def state(self) -> SourceState:
        return "ended" if self.ended else super().state()

    async def _pump(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if not isinstance(frame, av.VideoFrame):
                    continue
                if self._viewers <= 0 and self.latest.get() is not None:
                    self._data(0)  # alive, but nobody needs the picture converted
                    continue
                self._emit(Frame.from_av(frame))
        except MediaStreamError:
            self.detach(track, self.left_reason)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("source %s: reading the received track failed", self.id)
            self._error = "reading the received track failed (see log)"
            self.detach(track)

    def _run(self) -> None:  # pragma: no cover - no thread (see start)
        return None
