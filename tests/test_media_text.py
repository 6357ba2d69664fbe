"""Label and slate text: a real CJK font, cached bitmaps, a clock that ticks without re-rendering."""

import logging

import numpy as np
import pytest

import media.text as mt
from layouts import Layout, Rect, ScreenSpec, SpliceBlock, WallSpec, Window, build_wall, render_plan
from media.compositor import NEUTRAL_C, ScreenCompositor, SourceView
from media.frames import Frame
from media.text import BLACK_Y, WHITE_Y, TextRenderer, text_renderer

NAME = "滨河路二号桥北"
T0 = 1_700_000_000.0  # 22:13:20 UTC


def flat(w, h, y, seq=1):
    f = Frame.blank(w, h, y)
    f.u[:] = 90
    f.v[:] = 170
    f.seq = seq
    return f


def screen_plan(rect=Rect(0, 0, 640, 360), res=(640, 360)):
    wall = build_wall(WallSpec(px_per_mm=1, screens=[ScreenSpec(
        id="s", kind="lcd", resolution=res, size_mm=res, position_mm=(0, 0))]))
    return render_plan(wall, Layout(windows=[Window(id="a", kind="video", rect=rect, source="cam")])).for_screen("s")


def fresh(comp: ScreenCompositor) -> TextRenderer:
    """Give a compositor its own renderer (empty caches, the same font) so counts are its own."""
    comp.text = TextRenderer(text_renderer().font)
    return comp.text


def ink(a: np.ndarray) -> np.ndarray:
    return a >= (BLACK_Y + WHITE_Y) // 2


def test_the_font_covers_chinese():
    # scripts/setup.sh installs fonts-noto-cjk (test and demo profiles) and pillow is a dependency.
    font = text_renderer().font
    assert font is not None and font.cjk, f"no CJK font found ({font}); install fonts-noto-cjk"
    assert "CJK" in font.name


def test_chinese_renders_real_glyphs_not_question_marks():
    tr = TextRenderer(text_renderer().font)
    han, qs = tr.piece(NAME, 24), tr.piece("?" * len(NAME), 24)
    assert han.dtype == np.uint8 and han.min() >= BLACK_Y and han.max() <= WHITE_Y
    assert ink(han).sum() > 400  # non-empty: seven ideographs of ink
    assert han.shape[0] == qs.shape[0]
    assert han.shape[1] > qs.shape[1] * 1.5  # ideographs are full-width, '?' is not
    # Each ideograph is its own glyph: not '?', not the font's missing-glyph box, not each other.
    q = tr.piece("?", 24)
    notdef = tr.piece("\U0010fffd", 24)
    glyphs = [tr.piece(c, 24) for c in NAME]
    for g in glyphs:
        assert ink(g).sum() > 30
        assert g.shape != q.shape or not np.array_equal(g, q)
        assert g.shape != notdef.shape or not np.array_equal(g, notdef)
    assert len({g.tobytes() for g in glyphs}) == len(NAME)


def test_label_of_a_chinese_name_differs_from_question_marks_on_the_screen():
    plan = screen_plan()
    src = flat(640, 360, 120)
    outs = {}
    for name in (NAME, "?" * len(NAME)):
        comp = ScreenCompositor("s", (640, 360), timezone="Asia/Shanghai", labels=True)
        outs[name] = comp.compose(plan, {"cam": SourceView(src, name=name)}, now=T0)
    han, qs = outs[NAME].y[:40, :320], outs["?" * len(NAME)].y[:40, :320]
    assert ink(han).sum() > 150 and (han == BLACK_Y).sum() > 1000  # white glyphs on the black box
    assert np.abs(han.astype(int) - qs.astype(int)).sum() > 50_000  # not the '?' picture
    # neutral chroma under the box, the picture's colour elsewhere
    out = outs[NAME]
    assert (out.u[2:8, 2:40] == NEUTRAL_C).all() and (out.u[0, :] == 90).all() and (out.u[100:, :] == 90).all()


def test_repeated_frames_reuse_cached_bitmaps():
    plan = screen_plan()
    comp = ScreenCompositor("s", (640, 360), timezone="UTC", labels=True)
    tr = fresh(comp)
    # a live source: a new frame every compose, so the label is drawn again over every picture
    comp.compose(plan, {"cam": SourceView(flat(640, 360, 120, seq=1), name=NAME)}, now=T0)
    renders, assembled, hits = tr.renders, tr.assembled, tr.hits
    assert renders > 0 and assembled == 1
    for k in range(2, 25):  # the rest of the same second at 25 fps
        out = comp.compose(plan, {"cam": SourceView(flat(640, 360, 120, seq=k), name=NAME)}, now=T0 + k * 0.04)
        assert ink(out.y[:40, :320]).sum() > 150
    assert tr.renders == renders and tr.assembled == assembled  # nothing rendered, nothing rebuilt
    assert tr.hits - hits == 23
    # A second screen with the same name shares the process cache: no rendering either.
    other = ScreenCompositor("s", (640, 360), timezone="UTC", labels=True)
    other.text = tr
    other.compose(plan, {"cam": SourceView(flat(640, 360, 60), name=NAME)}, now=T0 + 0.5)
    assert tr.renders == renders


def test_clock_updates_each_second_from_cached_digit_glyphs():
    plan = screen_plan()
    comp = ScreenCompositor("s", (640, 360), timezone="UTC", labels=True)
    tr = fresh(comp)
    src = flat(640, 360, 120)
    views = {"cam": SourceView(src, name=NAME)}
    first = comp.compose(plan, views, now=T0).y[:40].copy()
    same = comp.compose(plan, views, now=T0 + 0.5)
    assert np.array_equal(same.y[:40], first) and comp.frames_reused == 1  # same second: the frame is reused
    after = comp.compose(plan, views, now=T0 + 1).y[:40].copy()
    diff = np.nonzero((after != first).any(axis=0))[0]
    assert diff.size > 0
    # only the clock (right of the name) changed; the name's pixels are untouched
    name_w = tr.piece(NAME, 12).shape[1]
    assert diff.min() > name_w
    # Run through all the digits, then a minute more: FreeType is never called again.
    for s in range(2, 70):
        comp.compose(plan, views, now=T0 + s)
    renders = tr.renders
    seen = set()
    for s in range(70, 200):
        seen.add(comp.compose(plan, views, now=T0 + s).y[:40].tobytes())
    assert tr.renders == renders
    assert len(seen) == 130  # every second a different picture


def test_lru_bound_evicts_and_renders_again():
    tr = TextRenderer(text_renderer().font, max_pieces=4, max_boxes=4)
    for i in range(10):
        tr.piece(f"第{i}号", 16)
    assert len(tr._pieces.data) == 4 and tr.renders == 10
    tr.piece("第9号", 16)
    assert tr.renders == 10  # still there
    tr.piece("第0号", 16)
    assert tr.renders == 11  # evicted, rendered again
    with pytest.raises(ValueError):
        tr.piece("第9号", 16)[0, 0] = 0  # cached bitmaps are read-only


def test_long_name_is_cut_at_the_window_and_the_label_follows_the_window_corner():
    # a 200 px wide window: the label stops inside it
    plan = screen_plan(rect=Rect(100, 100, 200, 112))
    out = ScreenCompositor("s", (640, 360), labels=True).compose(
        plan, {"cam": SourceView(flat(640, 360, 120), name=NAME * 3)}, now=T0)
    assert (out.y[100:212, 300:] == BLACK_Y).all() and (out.y[:100] == BLACK_Y).all()
    assert ink(out.y[100:130, 100:300]).sum() > 50
    # A window across two panels: its label is on the panel with its top-left corner only.
    wall = build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(
        id="b", kind="lcd", rows=1, cols=2, origin_mm=(0, 0), panel_size_mm=(100, 50),
        bezel_mm=5, resolution=(400, 200))]))
    left, right = wall.screen("b-1-1").canvas, wall.screen("b-1-2").canvas
    rp = render_plan(wall, Layout(windows=[Window(id="a", kind="video", source="cam",
                                                  rect=Rect(left.x, left.y, right.right - left.x, 50))]))
    views = {"cam": SourceView(flat(840, 200, 120), name=NAME)}  # the window's 210:50, edge to edge
    lo = ScreenCompositor("b-1-1", (400, 200), labels=True).compose(rp.for_screen("b-1-1"), views, now=T0)
    ro = ScreenCompositor("b-1-2", (400, 200), labels=True).compose(rp.for_screen("b-1-2"), views, now=T0)
    assert ink(lo.y[:40, :300]).sum() > 100 and (lo.y[:40, :300] == BLACK_Y).sum() > 1000
    assert (ro.y == 120).all()


def test_slates_use_the_font():
    plan = screen_plan()
    comp = ScreenCompositor("s", (640, 360), labels=False)
    tr = fresh(comp)
    out = comp.compose(plan, {})  # never seen: CONNECTING
    assert tr.renders == 1 and ink(out.y[140:220]).sum() > 300
    lost = comp.compose(plan, {"cam": SourceView(flat(640, 360, 200), lost_since=T0, state="lost")})
    assert tr.renders == 3  # "SIGNAL LOST" and the "since ..." line
    assert ink(lost.y[120:240]).sum() > 300


def test_without_a_font_labels_fall_back_to_hershey():
    plan = screen_plan()
    comp = ScreenCompositor("s", (640, 360), labels=True)
    comp.text = TextRenderer(None)
    assert not comp.text.available
    out = comp.compose(plan, {"cam": SourceView(flat(640, 360, 120), name="Bridge 2")}, now=T0)
    assert (out.y[:40, :300] == BLACK_Y).sum() > 1000 and (out.y[:40, :300] >= 200).sum() > 50
    slate = comp.compose(plan, {})
    assert (slate.y[120:240] >= 230).sum() > 200


def test_font_fallback_without_cjk_and_one_log_line(monkeypatch, caplog):
    monkeypatch.setattr(mt, "_CJK_PATHS", ())
    real = mt._fc_match
    monkeypatch.setattr(mt, "_fc_match", lambda p: None if "CJK" in p else real(p))
    font = mt.find_font()
    if font is None:
        pytest.skip("neither DejaVu nor Liberation is installed")
    assert not font.cjk and ("DejaVu" in font.name or "Liberation" in font.name)
    monkeypatch.setattr(mt, "_shared", None)
    with caplog.at_level(logging.INFO, logger="media.text"):
        r1, r2 = mt.text_renderer(), mt.text_renderer()
    assert r1 is r2 and r1.font == font
    lines = [r.getMessage() for r in caplog.records if r.name == "media.text"]
    assert len(lines) == 1 and "no CJK" in lines[0] and font.name in lines[0]
    # and with no font at all: Hershey, said once
    monkeypatch.setattr(mt, "find_font", lambda: None)
    monkeypatch.setattr(mt, "_shared", None)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="media.text"):
        assert not mt.text_renderer().available
    assert len(caplog.records) == 1 and "Hershey" in caplog.records[0].getMessage()
