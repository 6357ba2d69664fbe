"""The audio path: decoded voices in, each listener's mix out (everyone but themselves), on one 20 ms tick per
mixer, in a thread of its own (Janus AudioBridge's shape: the sum computed once, each listener's mix is the sum
minus their own voice). A call is a mixer of two; a consultation room or a talkgroup, of many.

Mixes are normalised, never truncated: a limiter lowers the gain at once when a mix would clip and lets it come
back slowly. Each voice's level (dBov) is kept for the active-speaker choice, which changes only when another
voice has been clearly louder for a while (hysteresis), so the room's emphasis does not flicker.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger("media.audio")

SAMPLE_RATE = 48_000
FRAME_S = 0.020
SAMPLES = int(SAMPLE_RATE * FRAME_S)  # 960: one Opus frame
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
SILENCE_DBOV = -127.0
Sink = Callable[[np.ndarray], None]  # a listener's mix for one tick (float32, SAMPLES long, -1..1)


def level_dbov(pcm: np.ndarray) -> float:
    """RMS level of float samples in dB below full scale (0 is a full-scale square wave)."""
    if pcm.size == 0:
        return SILENCE_DBOV
    rms = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))
    return max(SILENCE_DBOV, 20 * math.log10(rms)) if rms > 0 else SILENCE_DBOV


def frame_to_mono(frame: av.AudioFrame) -> np.ndarray:
    """A decoded frame (aiortc's Opus decoder gives s16 stereo 48 kHz) as float32 mono samples in -1..1."""
    data = frame.to_ndarray()
    name = frame.format.name
    if name in ("s16", "s16p"):
        pcm = data.astype(np.float32) / 32768.0
    elif name in ("flt", "fltp"):
        pcm = data.astype(np.float32)
    else:
        raise ValueError(f"unsupported sample format {name!r}")
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        pcm = pcm.reshape(channels, -1).mean(axis=0)
    else:
        pcm = pcm.reshape(-1, channels).mean(axis=1)
    if frame.sample_rate != SAMPLE_RATE:  # rare (Opus is always 48 kHz): linear resampling is enough for voice
        n = round(pcm.size * SAMPLE_RATE / frame.sample_rate)
        pcm = np.interp(np.linspace(0, pcm.size - 1, n), np.arange(pcm.size), pcm).astype(np.float32)
    return pcm


def mono_to_frame(pcm: np.ndarray, pts: int) -> av.AudioFrame:
    """Float mono samples as the s16 mono frame aiortc's Opus encoder takes."""
    s16 = np.clip(np.round(pcm * 32767.0), -32768, 32767).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(s16, format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame


class Voice:
    """One participant's incoming audio: a short jitter buffer (fed from the event loop, read by the mixer's
    thread), muting, and its level."""

    MAX_BUFFER = SAMPLES * 10  # 200 ms: beyond that, the oldest audio is dropped (latency over completeness)
    START_AFTER = SAMPLES * 2  # wait for 40 ms before playing, so network jitter does not starve the mix

    def __init__(self, voice_id: str) -> None:
        self.id = voice_id
        self.muted = False
        self.level = SILENCE_DBOV  # of the last frame mixed
        self.frames_in = 0
        self.starved = 0
        self._buf: collections.deque[np.ndarray] = collections.deque()
        self._buffered = 0
        self._playing = False
        self._lock = threading.Lock()

    def push(self, pcm: np.ndarray) -> None:
        with self._lock:
            self._buf.append(pcm.astype(np.float32, copy=False))
            self._buffered += pcm.size
            self.frames_in += 1
            while self._buffered > self.MAX_BUFFER:
                self._buffered -= self._buf.popleft().size

    def take(self) -> np.ndarray | None:
        """One tick of audio, or None when there is not enough (the voice is then silent this tick)."""
        with self._lock:
            if not self._playing:
                if self._buffered < self.START_AFTER:
                    return None
                self._playing = True
            if self._buffered < SAMPLES:
                self._playing = False
                self.starved += 1
                return None
            out = np.empty(SAMPLES, np.float32)
            filled = 0
            while filled < SAMPLES:
                head = self._buf[0]
                n = min(SAMPLES - filled, head.size)
                out[filled:filled + n] = head[:n]
                filled += n
                if n == head.size:
                    self._buf.popleft()
                else:
                    self._buf[0] = head[n:]
            self._buffered -= SAMPLES
            return out


@dataclass
class Listener:
    """Who hears a mix: everyone but `own` (their own voice, if they speak here too)."""

    id: str
    sink: Sink
    own: str | None = None
    gain: float = 1.0  # the limiter's current gain for this listener's mix
    frames_out: int = 0


@dataclass
class ActiveSpeaker:
    """The loudest voice, chosen with hysteresis: a voice takes over only after it has been louder than the
    current speaker by `margin_db` for `hold_s`, and above `threshold_dbov` (silence does not take over)."""

    threshold_dbov: float = -50.0
    margin_db: float = 6.0
    hold_s: float = 0.6
    smoothing: float = 0.15  # per tick, of the level average (about 130 ms)
    current: str | None = None
    levels: dict[str, float] = field(default_factory=dict)
    _challenger: str | None = None
    _since: float = 0.0

    def update(self, levels: dict[str, float], now: float) -> str | None:
        for vid, level in levels.items():
            prev = self.levels.get(vid, SILENCE_DBOV)
            self.levels[vid] = prev + (level - prev) * self.smoothing
        for gone in set(self.levels) - set(levels):
            del self.levels[gone]
        if self.current not in self.levels:
            self.current = None
        loud = {v: lvl for v, lvl in self.levels.items() if lvl >= self.threshold_dbov}
        if not loud:
            self._challenger = None
            return self.current
        best = max(loud, key=lambda v: loud[v])
        if self.current is None:
            self.current = best
        elif best != self.current and loud[best] >= self.levels.get(self.current, SILENCE_DBOV) + self.margin_db:
            if self._challenger != best:
                self._challenger, self._since = best, now
            elif now - self._since >= self.hold_s:
                self.current, self._challenger = best, None
        else:
            self._challenger = None
        return self.current


class AudioMixer:
    """Mixes voices for listeners every 20 ms in its own thread (`start`), or tick by tick (`tick`, tests)."""

    LIMIT = 0.98  # the loudest sample a mix may have
    RELEASE_PER_TICK = 1.03  # how fast the limiter's gain comes back (about 0.5 s from -6 dB)

    def __init__(self, name: str = "mixer") -> None:
        self.name = name
        self.voices: dict[str, Voice] = {}
        self.listeners: dict[str, Listener] = {}
        self.speaker = ActiveSpeaker()
        self.ticks = 0
        self.late_ticks = 0
        self.mix_ms = 0.0  # average time of one tick's mixing (figures)
        self.mix_seconds = 0.0  # all ticks' mixing time (benchmarks: per tick over a window)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_speaker: Callable[[str | None], None] | None = None

    # -- who speaks, who listens ---------------------------------------------------------------------
    def add_voice(self, voice_id: str) -> Voice:
        with self._lock:
            voice = self.voices.get(voice_id) or Voice(voice_id)
            self.voices = {**self.voices, voice_id: voice}
            return voice

    def remove_voice(self, voice_id: str) -> None:
        with self._lock:
            self.voices = {k: v for k, v in self.voices.items() if k != voice_id}

    def add_listener(self, listener_id: str, sink: Sink, own: str | None = None) -> Listener:
        listener = Listener(listener_id, sink, own)
        with self._lock:
            self.listeners = {**self.listeners, listener_id: listener}
        return listener

    def remove_listener(self, listener_id: str) -> None:
        with self._lock:
            self.listeners = {k: v for k, v in self.listeners.items() if k != listener_id}

    # -- one tick -------------------------------------------------------------------------------------
    def tick(self, now: float | None = None) -> None:
        t0 = time.perf_counter()
        with self._lock:
            voices, listeners = self.voices, self.listeners
        frames: dict[str, np.ndarray] = {}
        levels: dict[str, float] = {}
        for vid, voice in voices.items():
            pcm = voice.take()
            voice.level = SILENCE_DBOV if pcm is None else level_dbov(pcm)
            levels[vid] = SILENCE_DBOV if voice.muted else voice.level  # a muted voice is never the speaker
            if pcm is not None and not voice.muted:
                frames[vid] = pcm
        total = np.sum(list(frames.values()), axis=0, dtype=np.float32) if frames else np.zeros(SAMPLES, np.float32)
        for listener in listeners.values():
            own = frames.get(listener.own) if listener.own is not None else None
            mix = total - own if own is not None else total.copy()
            self._limit(listener, mix)
            listener.frames_out += 1
            try:
                listener.sink(mix)
            except Exception:  # a listener gone away must not stop the others
                log.exception("audio listener failed", extra={"mixer": self.name, "listener": listener.id})
        before = self.speaker.current
        speaker = self.speaker.update(levels, time.monotonic() if now is None else now)
        if speaker != before and self.on_speaker is not None:
            self.on_speaker(speaker)
        self.ticks += 1
        ms = (time.perf_counter() - t0) * 1000
        self.mix_seconds += ms / 1000
        self.mix_ms = ms if self.ticks == 1 else self.mix_ms * 0.95 + ms * 0.05

    def _limit(self, listener: Listener, mix: np.ndarray) -> None:
        """Scale the mix so it never clips: the gain drops at once to fit the peak, and recovers slowly."""
        peak = float(np.max(np.abs(mix))) if mix.size else 0.0
        want = self.LIMIT / peak if peak > self.LIMIT else 1.0
        gain = min(want, listener.gain * self.RELEASE_PER_TICK, 1.0)
        listener.gain = gain
        if gain < 1.0:
            mix *= gain

    # -- the thread -----------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"audio-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def _run(self) -> None:
        next_t = time.monotonic()
        while not self._stop.is_set():
            next_t += FRAME_S
            delay = next_t - time.monotonic()
            if delay > 0:
                if self._stop.wait(delay):
                    return
            elif delay < -0.2:  # far behind (machine busy): skip the debt rather than burst
                self.late_ticks += 1
                next_t = time.monotonic()
            self.tick()


class MixTrack(MediaStreamTrack):
    """A listener's mix as an aiortc audio track (one Opus encoder per listener, in aiortc's sender)."""

    kind = "audio"
    MAX_QUEUE = 10  # 200 ms: a listener that falls further behind loses the oldest audio

    def __init__(self, mixer: AudioMixer, listener_id: str, own: str | None = None) -> None:
        super().__init__()
        self._event_loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[np.ndarray] = asyncio.Queue()
        self._pts = 0
        self.mixer = mixer
        self.listener_id = listener_id
        mixer.add_listener(listener_id, self._sink, own)

    def _sink(self, pcm: np.ndarray) -> None:  # the mixer's thread
        try:
            self._event_loop.call_soon_threadsafe(self._put, pcm)
        except RuntimeError:  # the loop is closed
            self.mixer.remove_listener(self.listener_id)

    def _put(self, pcm: np.ndarray) -> None:
        if self._queue.qsize() >= self.MAX_QUEUE:
            self._queue.get_nowait()
        self._queue.put_nowait(pcm)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        pcm = await self._queue.get()
        frame = mono_to_frame(pcm, self._pts)
        self._pts += SAMPLES
        return frame

    def stop(self) -> None:
        self.mixer.remove_listener(self.listener_id)
        super().stop()


async def feed_voice(track: MediaStreamTrack, voice: Voice) -> None:
    """Read a received audio track into a voice until it ends (an asyncio task per participant)."""
    try:
        while True:
            frame = await track.recv()
            if isinstance(frame, av.AudioFrame):
                voice.push(frame_to_mono(frame))
    except (MediaStreamError, asyncio.CancelledError):
        pass
