"""The audio path: each listener hears everyone but themselves, mixes never clip, the active speaker does not
flicker, and a mix goes out through aiortc as Opus-ready frames."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from media.audio import (
    SAMPLE_RATE,
    SAMPLES,
    ActiveSpeaker,
    AudioMixer,
    MixTrack,
    Voice,
    frame_to_mono,
    level_dbov,
    mono_to_frame,
)


def tone(hz: float, amplitude: float = 0.3, n: int = SAMPLES, start: int = 0) -> np.ndarray:
    t = (np.arange(n) + start) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def peak_hz(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(pcm.size)))
    return float(np.fft.rfftfreq(pcm.size, 1 / SAMPLE_RATE)[int(np.argmax(spectrum))])


def strong_tones(pcm: np.ndarray, candidates: list[float]) -> set[float]:
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(pcm.size)))
    freqs = np.fft.rfftfreq(pcm.size, 1 / SAMPLE_RATE)
    top = spectrum.max()
    return {hz for hz in candidates if spectrum[np.argmin(np.abs(freqs - hz))] > 0.2 * top}


def feed(mixer: AudioMixer, voices: dict[str, float], ticks: int, amplitude: float = 0.3) -> dict[str, list]:
    heard: dict[str, list] = {vid: [] for vid in voices}
    for vid in voices:
        mixer.add_voice(vid)
        mixer.add_listener(vid, heard[vid].append, own=vid)
    for i in range(ticks):
        for vid, hz in voices.items():
            mixer.voices[vid].push(tone(hz, amplitude, start=i * SAMPLES))
        mixer.tick(now=i * 0.02)
    return heard


def test_each_listener_hears_everyone_but_themselves():
    mixer = AudioMixer("room")
    voices = {"a": 440.0, "b": 700.0, "c": 1100.0, "d": 1500.0}
    heard = feed(mixer, voices, ticks=20)
    for vid, frames in heard.items():
        pcm = np.concatenate(frames[-10:])
        assert strong_tones(pcm, list(voices.values())) == {hz for v, hz in voices.items() if v != vid}


def test_a_loud_mix_is_scaled_down_not_clipped():
    mixer = AudioMixer("loud")
    heard = feed(mixer, {f"v{i}": 200.0 + 90 * i for i in range(8)}, ticks=30, amplitude=0.9)
    for frames in heard.values():
        mixed = np.concatenate(frames[3:])
        assert np.max(np.abs(mixed)) <= AudioMixer.LIMIT + 1e-6
        assert np.max(np.abs(mixed)) > 0.5  # scaled, not silenced


def test_a_muted_voice_is_not_heard_and_never_the_speaker():
    mixer = AudioMixer("call")
    mixer.add_voice("a").muted = True
    heard = feed(mixer, {"a": 440.0, "b": 900.0}, ticks=40)
    assert strong_tones(np.concatenate(heard["b"][-10:]), [440.0, 900.0]) == set()
    assert mixer.speaker.current == "b"


def test_the_active_speaker_changes_only_after_a_clearly_louder_voice_holds():
    spk = ActiveSpeaker(hold_s=0.6, margin_db=6)
    t = 0.0
    for _ in range(30):
        spk.update({"a": -20.0, "b": -40.0}, t)
        t += 0.02
    assert spk.current == "a"
    for _ in range(10):  # b louder for 200 ms: not yet
        spk.update({"a": -40.0, "b": -15.0}, t)
        t += 0.02
    assert spk.current == "a"
    for _ in range(60):  # b louder for long enough
        spk.update({"a": -40.0, "b": -15.0}, t)
        t += 0.02
    assert spk.current == "b"
    for _ in range(100):  # everyone silent: the emphasis stays
        spk.update({"a": -90.0, "b": -90.0}, t)
        t += 0.02
    assert spk.current == "b"


def test_a_voice_waits_for_a_little_audio_and_drops_the_oldest_when_far_behind():
    v = Voice("x")
    v.push(tone(440))
    assert v.take() is None  # 20 ms buffered: it waits for 40
    v.push(tone(440))
    assert v.take() is not None
    for _ in range(40):
        v.push(tone(440))
    taken = 0
    while v.take() is not None:
        taken += 1
    assert taken <= Voice.MAX_BUFFER // SAMPLES


def test_frames_convert_both_ways_and_levels_are_in_dbov():
    pcm = tone(1000, 0.5)
    frame = mono_to_frame(pcm, 960)
    assert (frame.samples, frame.sample_rate, frame.format.name, frame.layout.name) == (960, 48000, "s16", "mono")
    back = frame_to_mono(frame)
    assert np.allclose(back, pcm, atol=1 / 16384)
    assert level_dbov(pcm) == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
    assert level_dbov(np.zeros(960, np.float32)) == -127.0


async def test_the_mixer_thread_feeds_a_track_at_real_time():
    mixer = AudioMixer("live")
    voice = mixer.add_voice("speaker")
    track = MixTrack(mixer, "listener")
    mixer.start()
    try:
        for i in range(25):
            voice.push(tone(600, start=i * SAMPLES))
        frames = [await asyncio.wait_for(track.recv(), 2) for _ in range(15)]
    finally:
        mixer.stop()
        track.stop()
    assert [f.pts for f in frames] == [i * SAMPLES for i in range(15)]
    assert peak_hz(np.concatenate([frame_to_mono(f) for f in frames[-8:]])) == pytest.approx(600, abs=10)
