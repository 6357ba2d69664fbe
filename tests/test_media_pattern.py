"""The pattern source: moving picture, its name, and a timecode that survives scaling and H.264."""

import time
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from media.frames import Frame
from media.sources import SourceConfigLite, open_source
from media.sources.pattern import (
    PatternSource,
    decode_timecode,
    draw_timecode,
    timecode_latency_ms,
    timecode_now,
)


def test_timecode_round_trips_through_drawing_and_reading():
    f = Frame.blank(640, 360)
    for value in (0, 1, 0xFFFFFFFF, 0x12345678, timecode_now()):
        draw_timecode(f.y, f.u, f.v, value)
        assert decode_timecode(f.y) == value


@pytest.mark.parametrize("size", [(1280, 720), (480, 270), (320, 180), (200, 112)])
def test_timecode_is_read_from_a_scaled_copy(size):
    f = Frame.blank(1280, 720, luma=120)
    draw_timecode(f.y, f.u, f.v, 0xCAFEBABE)
    small = cv2.resize(f.y, size, interpolation=cv2.INTER_LINEAR)
    assert decode_timecode(small) == 0xCAFEBABE


def test_timecode_survives_h264_encoding():
    src = PatternSource(SourceConfigLite("p", "pattern://enc?size=640x360"))
    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = 640, 360, "yuv420p"
    enc.time_base = Fraction(1, 25)
    enc.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "30"}
    dec = av.CodecContext.create("h264", "r")
    sent, got = [], []
    for i in range(10):
        t = 1_700_000_000 + i * 0.04
        f = src.make_frame(t, i)
        sent.append(decode_timecode(f.y))
        vf = f.to_av()
        vf.pts = i
        for pkt in enc.encode(vf):
            for out in dec.decode(pkt):
                got.append(decode_timecode(Frame.from_av(out).y))
    for pkt in enc.encode(None):
        for out in dec.decode(pkt):
            got.append(decode_timecode(Frame.from_av(out).y))
    assert got == sent and len(set(sent)) == 10


def test_a_damaged_code_is_rejected_not_misread():
    f = Frame.blank(640, 360)
    draw_timecode(f.y, f.u, f.v, 0x0F0F0F0F)
    h = f.y.shape[0]
    f.y[int(h * 11 / 12):, 640 * 10 // 38 + 5:640 * 11 // 38 - 5] ^= 0xFF  # flip one data cell
    assert decode_timecode(f.y) is None
    assert decode_timecode(np.full((360, 640), 128, np.uint8)) is None


def test_latency_handles_the_wrap():
    assert timecode_latency_ms(0xFFFFFFF0, now_ms=0x10) == 0x20
    assert timecode_latency_ms(100, now_ms=40) == -60


def test_pattern_source_moves_and_carries_the_current_time():
    src = open_source(SourceConfigLite("river", "pattern://river-01?size=320x180&fps=25"))
    src.start()
    try:
        src.want(1)
        first = src.latest.wait_newer(0, 5)
        assert first is not None and (first.width, first.height) == (320, 180)
        later = src.latest.wait_newer(first.seq + 10, 5)
        assert later is not None
        assert not np.array_equal(first.y, later.y)  # moving content
        assert abs(timecode_latency_ms(decode_timecode(later.y))) < 1000
        h = src.health()
        assert h.state == "live" and h.fps > 0 and h.viewers == 1
        src.want(0)
        time.sleep(0.3)
        seq = src.latest.get().seq
        time.sleep(0.3)
        assert src.latest.get().seq == seq  # no viewer: nothing is produced
    finally:
        src.stop()
