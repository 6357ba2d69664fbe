"""The one encoder per screen: x264 settings a browser can play, 90 kHz timestamps, keyframes on request."""

from __future__ import annotations

import threading
import time

import av
import pytest

from backend.config import EncoderConfig, parse_config
from media.encoder import RTP_CLOCK, EncoderSettings, OutputEncoders, ScreenEncoder
from media.frames import LatestFrame

from .delivery_helpers import RGB, SyntheticOutputs, SyntheticScreen, close_to, mean_rgb, quad_frame

FAST = EncoderSettings(bitrate_kbps=1500, gop_seconds=10)


def nal_types(packet: av.Packet) -> list[int]:
    data = bytes(packet)
    out, i = [], 0
    while True:
        i = data.find(b"\x00\x00\x01", i)
        if i < 0:
            return out
        out.append(data[i + 3] & 0x1F)
        i += 3


class Collector:
    def __init__(self) -> None:
        self.packets: list[av.Packet] = []
        self.cond = threading.Condition()

    def __call__(self, packet: av.Packet) -> None:
        with self.cond:
            self.packets.append(packet)
            self.cond.notify_all()

    def wait(self, n: int, timeout: float = 10) -> list[av.Packet]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.packets) < n:
                assert self.cond.wait(deadline - time.monotonic()), f"only {len(self.packets)} packets"
            return list(self.packets)


@pytest.fixture
def screen():
    s = SyntheticScreen(320, 180, fps=25).start()
    yield s
    s.stop()


def run_encoder(frames: LatestFrame, settings: EncoderSettings = FAST) -> tuple[ScreenEncoder, Collector]:
    enc = ScreenEncoder(frames, settings, fps=25, name="t")
    got = Collector()
    enc.subscribe(got)
    enc.start()
    return enc, got


def test_stream_starts_with_an_idr_carrying_sps_and_pps_and_has_no_b_frames(screen):
    enc, got = run_encoder(screen.latest)
    try:
        packets = got.wait(30)
    finally:
        enc.stop()
    first = packets[0]
    assert first.is_keyframe
    assert {7, 8, 5} <= set(nal_types(first))  # SPS, PPS, IDR slice
    sps = bytes(first)[bytes(first).find(b"\x00\x00\x01\x67") + 4:][:3]
    assert sps[0] == 66 and sps[1] & 0x40, "constrained baseline (profile_idc 66, constraint_set1)"
    # no B-frames: decode order is presentation order, timestamps strictly increase
    pts = [p.pts for p in packets]
    assert pts == sorted(pts) and len(set(pts)) == len(pts)
    assert all(p.dts == p.pts for p in packets)


def test_timestamps_are_90khz_and_follow_the_frames_capture_times(screen):
    enc, got = run_encoder(screen.latest)
    try:
        packets = got.wait(26)
    finally:
        enc.stop()
    assert all(p.time_base.denominator == RTP_CLOCK for p in packets)
    span = (packets[25].pts - packets[0].pts) / RTP_CLOCK
    assert 0.8 < span < 1.3, span  # 25 frames at 25 fps: about a second


def test_request_keyframe_makes_the_next_frame_an_idr_with_parameter_sets(screen):
    enc, got = run_encoder(screen.latest)
    try:
        got.wait(10)
        assert enc.keyframes == 1  # GOP 10 s: nothing but the first so far
        enc.request_keyframe()
        n = len(got.packets)
        packets = got.wait(n + 3)
    finally:
        enc.stop()
    later = packets[n:n + 3]
    assert any(p.is_keyframe for p in later)
    key = next(p for p in later if p.is_keyframe)
    assert {7, 8, 5} <= set(nal_types(key))


def test_pli_requests_are_throttled_but_joins_are_not(screen):
    enc, got = run_encoder(screen.latest, EncoderSettings(gop_seconds=10, min_pli_interval_s=5))
    try:
        got.wait(5)
        for _ in range(10):  # a receiver repeating PLI right after the first keyframe
            enc.request_keyframe("pli")
            time.sleep(0.04)
        assert enc.keyframes == 1
        enc.request_keyframe("join")
        n = len(got.packets)
        got.wait(n + 3)
        assert enc.keyframes == 2
    finally:
        enc.stop()


def test_gop_from_settings_bounds_the_time_between_keyframes(screen):
    enc, got = run_encoder(screen.latest, EncoderSettings(gop_seconds=0.4))
    try:
        packets = got.wait(40)
    finally:
        enc.stop()
    keys = [i for i, p in enumerate(packets) if p.is_keyframe]
    assert keys[:4] == [0, 10, 20, 30]


def test_a_still_screen_is_resent_and_a_joiner_gets_a_keyframe_without_new_frames(screen):
    enc, got = run_encoder(screen.latest, EncoderSettings(gop_seconds=10, idle_repeat_s=0.5))
    try:
        got.wait(5)
        screen.paused = True
        time.sleep(0.2)
        n = len(got.packets)
        enc.request_keyframe()
        packets = got.wait(n + 1, timeout=1)
        assert packets[n].is_keyframe
        time.sleep(1.2)
        assert len(got.packets) >= n + 3  # repeats about every 0.5 s
    finally:
        enc.stop()


def test_packets_decode_to_the_colours_that_went_in(screen):
    enc, got = run_encoder(screen.latest)
    try:
        packets = got.wait(5)
    finally:
        enc.stop()
    dec = av.CodecContext.create("h264", "r")
    frames = [f for p in packets for f in dec.decode(p)]
    rgb = frames[-1].to_ndarray(format="rgb24")
    h, w = rgb.shape[:2]
    for (r, c), name in zip([(0, 0), (0, 1), (1, 0), (1, 1)], screen.colours, strict=False):
        patch = rgb[r * h // 2 + h // 8: (r + 1) * h // 2 - h // 8, c * w // 2 + w // 8: (c + 1) * w // 2 - w // 8]
        assert close_to(mean_rgb(patch), RGB[name]), (name, mean_rgb(patch))


def test_a_new_resolution_reopens_the_encoder_with_a_keyframe():
    latest = LatestFrame()
    enc, got = run_encoder(latest)
    try:
        for i, (w, h) in enumerate([(320, 180)] * 3 + [(640, 360)] * 3, start=1):
            f = quad_frame(w, h, ("red", "green", "blue", "white"))
            f.seq, f.time = i, time.monotonic()
            latest.put(f)
            got.wait(i)
    finally:
        enc.stop()
    assert [p.is_keyframe for p in got.packets[:6]] == [True, False, False, True, False, False]


def test_screen_encoders_share_one_encoder_per_screen_and_release_the_screen():
    screens = {"s1": SyntheticScreen(160, 90).start()}
    outputs = SyntheticOutputs(screens)
    encoders = OutputEncoders(outputs, FAST, fps=25)
    try:
        a = encoders.acquire("s1")
        b = encoders.acquire("s1")
        assert a is b and outputs.acquired["s1"] == 1
        encoders.release("s1")
        assert encoders.get("s1") is a and a.running
        encoders.release("s1")
        assert encoders.get("s1") is None and outputs.acquired["s1"] == 0
        with pytest.raises(KeyError):
            encoders.acquire("nope")
    finally:
        encoders.close()
        screens["s1"].stop()


def test_encoder_section_of_the_configuration_defaults_and_limits():
    assert EncoderConfig() == EncoderConfig(preset="ultrafast", bitrate_kbps=2500, gop_seconds=2.0, threads=0)
    settings = EncoderSettings(**EncoderConfig().model_dump())
    assert "keyint=50" in settings.codec_options(25)["x264-params"]
    from backend.config import ConfigError
    with pytest.raises(ConfigError) as err:
        parse_config({"wall": {"screens": [{"id": "a", "name": "a", "kind": "lcd", "resolution": [1920, 1080],
                                            "size_mm": [100, 50], "position_mm": [0, 0]}]},
                      "encoder": {"preset": "placebo", "bitrate_kbps": 10}})
    paths = [p for p, _ in err.value.problems]
    assert "encoder.preset" in paths and "encoder.bitrate_kbps" in paths


def test_a_frame_the_codec_refuses_does_not_end_the_screen(caplog):
    import numpy as np

    from media.frames import Frame

    latest = LatestFrame()
    enc, got = run_encoder(latest)
    try:
        bad = Frame(np.zeros((181, 321), np.uint8), np.zeros((90, 160), np.uint8), np.zeros((90, 160), np.uint8))
        bad.seq, bad.time = 1, time.monotonic()
        latest.put(bad)
        time.sleep(0.2)
        good = quad_frame(320, 180, ("red", "green", "blue", "white"))
        good.seq, good.time = 2, time.monotonic()
        latest.put(good)
        [packet] = got.wait(1)
    finally:
        enc.stop()
    assert packet.is_keyframe  # a fresh codec, starting on an IDR
    assert any("encoding failed" in r.message for r in caplog.records)
