"""The compositor, pixel by pixel, on synthetic frames (no sources, no threads)."""

import time

import cv2
import numpy as np
import pytest

from layouts import Layout, Rect, ScreenSpec, SpliceBlock, WallSpec, Window, build_wall, render_plan
from media.compositor import NEUTRAL_C, ScreenCompositor, SourceView, shown_scale
from media.frames import Frame


def flat(w: int, h: int, y: int, u: int, v: int, seq: int = 1) -> Frame:
    f = Frame.blank(w, h, y)
    f.u[:] = u
    f.v[:] = v
    f.seq = seq
    return f


def one_screen(res=(640, 360)):
    # 1 px per mm, the screen's pixels equal canvas pixels.
    return build_wall(WallSpec(px_per_mm=1, screens=[ScreenSpec(
        id="s", kind="lcd", resolution=res, size_mm=res, position_mm=(0, 0))]))


def two_panels(bezel_mm: float = 5):
    # Two 100x50 mm panels at 200x100 px: each screen pixel is half a canvas pixel.
    return build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(
        id="b", kind="lcd", rows=1, cols=2, origin_mm=(0, 0), panel_size_mm=(100, 50),
        bezel_mm=bezel_mm, resolution=(200, 100))]))


def video(id, rect, source, z=0):
    return Window(id=id, kind="video", rect=rect, source=source, z=z)


def test_each_window_shows_its_source_at_its_place():
    wall = one_screen()
    layout = Layout(windows=[video("a", Rect(0, 0, 320, 180), "cam-a"), video("b", Rect(320, 180, 320, 180), "cam-b")])
    plan = render_plan(wall, layout).for_screen("s")
    comp = ScreenCompositor("s", (640, 360), labels=False)
    views = {"cam-a": SourceView(flat(1280, 720, 200, 60, 90)), "cam-b": SourceView(flat(640, 360, 100, 170, 30))}
    out = comp.compose(plan, views)
    assert (out.width, out.height) == (640, 360)
    assert (out.y[:180, :320] == 200).all() and (out.u[:90, :160] == 60).all() and (out.v[:90, :160] == 90).all()
    assert (out.y[180:, 320:] == 100).all() and (out.u[90:, 160:] == 170).all() and (out.v[90:, 160:] == 30).all()
    # nothing elsewhere: black, neutral
    assert (out.y[:180, 320:] == 16).all() and (out.u[:90, 160:] == NEUTRAL_C).all()
    assert (out.y[180:, :320] == 16).all()


def test_window_spanning_two_screens_lines_up_across_the_bezel():
    wall = two_panels()
    left, right = wall.screen("b-1-1").canvas, wall.screen("b-1-2").canvas
    w = video("a", Rect(left.x, left.y, right.right - left.x, 50), "ramp")  # 210 canvas px wide
    plan = render_plan(wall, Layout(windows=[w]))
    # The source: luma rises linearly with x over 420 px (2 source px per canvas px).
    src = Frame.blank(420, 100)
    src.y[:] = (16 + np.arange(420) * 200 / 419).astype(np.uint8)[None, :]
    src.seq = 1
    views = {"ramp": SourceView(src)}
    outs = {}
    for sid in ("b-1-1", "b-1-2"):
        outs[sid] = ScreenCompositor(sid, (200, 100), labels=False).compose(plan.for_screen(sid), views)

    def expected(canvas_x: np.ndarray) -> np.ndarray:
        return 16 + (canvas_x * 2) * 200 / 419

    xs = np.arange(200) + 0.5
    row_l = outs["b-1-1"].y[50].astype(float)
    row_r = outs["b-1-2"].y[50].astype(float)
    # Left screen shows canvas 0..100, right screen canvas 110..210 (10 px hidden behind the bezels).
    assert np.abs(row_l[2:-2] - expected(xs / 2)[2:-2]).max() <= 2
    assert np.abs(row_r[2:-2] - expected(110 + xs / 2)[2:-2]).max() <= 2
    # The jump across the seam is what the bezel hides (20 source px), not a misalignment.
    assert abs((row_r[0] - row_l[-1]) - 20 * 200 / 419) <= 3


def test_unchanged_window_is_not_redrawn():
    wall = one_screen()
    layout = Layout(windows=[video("a", Rect(0, 0, 320, 360), "cam-a"), video("b", Rect(320, 0, 320, 360), "cam-b")])
    plan = render_plan(wall, layout).for_screen("s")
    comp = ScreenCompositor("s", (640, 360), labels=False)
    a, b = flat(320, 360, 50, 100, 100, seq=1), flat(320, 360, 150, 100, 100, seq=1)
    first = comp.compose(plan, {"cam-a": SourceView(a), "cam-b": SourceView(b)})
    assert comp.scale_calls == 6  # Y, U, V for each window
    # Nothing new: no scaling at all, the last picture is reused.
    again = comp.compose(plan, {"cam-a": SourceView(a), "cam-b": SourceView(b)})
    assert comp.scale_calls == 6 and comp.frames_reused == 1
    assert again.y is first.y and again.seq > first.seq
    # A new frame of cam-b only: only its three planes are scaled.
    b2 = flat(320, 360, 180, 100, 100, seq=2)
    third = comp.compose(plan, {"cam-a": SourceView(a), "cam-b": SourceView(b2)})
    assert comp.scale_calls == 9
    assert (third.y[:, :320] == 50).all() and (third.y[:, 320:] == 180).all()
    assert (first.y[:, 320:] == 150).all()  # an earlier output is never written again


def test_same_size_is_copied_and_exactly_half_uses_area_scaling():
    wall = one_screen()
    plan = render_plan(wall, Layout(windows=[video("a", Rect(0, 0, 320, 180), "cam")])).for_screen("s")
    comp = ScreenCompositor("s", (640, 360), labels=False)
    src = Frame.blank(640, 360)
    src.y[:] = np.tile(np.array([[0, 255], [255, 0]], np.uint8), (180, 320))  # checkerboard
    src.seq = 1
    out = comp.compose(plan, {"cam": SourceView(src)})
    assert np.abs(out.y[:180, :320].astype(int) - 127).max() <= 1  # INTER_AREA at 2x: exact average


def test_lost_source_shows_its_last_frame_greyed_with_a_slate():
    wall = one_screen()
    layout = Layout(windows=[video("a", Rect(0, 0, 320, 360), "cam-a"), video("b", Rect(320, 0, 320, 360), "cam-b")])
    plan = render_plan(wall, layout).for_screen("s")
    comp = ScreenCompositor("s", (640, 360), timezone="Asia/Shanghai", labels=False)
    a = flat(320, 360, 200, 60, 200)
    b = flat(320, 360, 120, 90, 160)
    live = comp.compose(plan, {"cam-a": SourceView(a), "cam-b": SourceView(b)})
    assert (live.u[:, :160] == 60).all()
    since = time.time() - 5
    lost = comp.compose(plan, {"cam-a": SourceView(a, lost_since=since, state="lost"), "cam-b": SourceView(b)})
    win_y, win_u, win_v = lost.y[:, :320], lost.u[:, :160], lost.v[:, :160]
    assert (win_u == NEUTRAL_C).all() and (win_v == NEUTRAL_C).all()  # no colour: greyed
    body = np.concatenate([win_y[:60].ravel(), win_y[-60:].ravel()])
    assert body.max() < 200 and abs(int(np.median(body)) - int(200 * 0.35 + 40)) <= 2  # luma compressed
    middle = win_y[120:240, 20:300]
    assert (middle >= 230).sum() > 200 and (middle == 16).sum() > 2000  # white text on a black slate box
    # the other window is untouched
    assert (lost.y[:, 320:] == 120).all() and (lost.u[:, 160:] == 90).all()
    # The slate is drawn once: the same lost state again redraws nothing.
    calls = comp.scale_calls
    comp.compose(plan, {"cam-a": SourceView(a, lost_since=since, state="lost"), "cam-b": SourceView(b)})
    assert comp.scale_calls == calls and comp.frames_reused == 1


def test_source_never_seen_shows_a_slate_on_black():
    wall = one_screen()
    plan = render_plan(wall, Layout(windows=[video("a", Rect(0, 0, 640, 360), "cam")])).for_screen("s")
    out = ScreenCompositor("s", (640, 360), labels=False).compose(plan, {})
    assert (out.y[:40] == 16).all() and (out.y[120:240] >= 230).sum() > 200


def test_label_shows_name_and_is_redrawn_each_second_without_rescaling():
    wall = one_screen()
    plan = render_plan(wall, Layout(windows=[video("a", Rect(0, 0, 640, 360), "cam")])).for_screen("s")
    comp = ScreenCompositor("s", (640, 360), timezone="UTC", labels=True)
    src = flat(640, 360, 120, 128, 128)
    t = 1_700_000_000.0
    out1 = comp.compose(plan, {"cam": SourceView(src, name="Bridge 2")}, now=t)
    box = out1.y[:40, :300]
    assert (box == 16).sum() > 1000 and (box >= 200).sum() > 50  # label box with text, top-left
    assert (out1.y[100:, :] == 120).all()  # the rest is the picture
    calls = comp.scale_calls
    out2 = comp.compose(plan, {"cam": SourceView(src, name="Bridge 2")}, now=t + 1)
    assert comp.scale_calls == calls  # the clock ticked: only the label changed
    assert not np.array_equal(out1.y[:40, :300], out2.y[:40, :300])
    # No label when the window asks for none.
    out3 = ScreenCompositor("s", (640, 360), labels=True).compose(plan, {"cam": SourceView(src)}, titles={"a": None})
    assert (out3.y == 120).all()


def test_clock_and_panel_windows_are_left_black_for_the_kiosk_page():
    wall = one_screen()
    layout = Layout(windows=[video("a", Rect(0, 0, 640, 360), "cam"),
                             Window(id="c", kind="clock", rect=Rect(0, 0, 200, 100), z=1),
                             Window(id="p", kind="panel", panel="events", rect=Rect(400, 200, 240, 160), z=1)])
    plan = render_plan(wall, layout).for_screen("s")
    out = ScreenCompositor("s", (640, 360), labels=False).compose(plan, {"cam": SourceView(flat(640, 360, 180, 80,
                                                                                                80))})
    assert (out.y[:100, :200] == 16).all() and (out.u[:50, :100] == NEUTRAL_C).all()
    assert (out.y[200:, 400:] == 16).all()
    assert (out.y[120:200, 250:390] == 180).all()


def test_layout_change_redraws_everything():
    wall = one_screen()
    comp = ScreenCompositor("s", (640, 360), labels=False)
    views = {"cam": SourceView(flat(640, 360, 180, 80, 80))}
    p1 = render_plan(wall, Layout(windows=[video("a", Rect(0, 0, 640, 360), "cam")])).for_screen("s")
    p2 = render_plan(wall, Layout(windows=[video("a", Rect(0, 0, 320, 180), "cam")])).for_screen("s")
    comp.compose(p1, views)
    out = comp.compose(p2, views)
    assert (out.y[:180, :320] == 180).all() and (out.y[180:, :] == 16).all() and (out.y[:, 320:] == 16).all()


def test_odd_placement_stays_inside_the_planes():
    wall = one_screen()
    plan = render_plan(wall, Layout(windows=[video("a", Rect(101, 51, 333, 201), "cam")])).for_screen("s")
    out = ScreenCompositor("s", (640, 360), labels=True).compose(plan, {"cam": SourceView(flat(704, 576, 90, 40, 200))})
    assert (out.y[60:250, 110:430] != 16).any()


# -- fit: a source keeps its proportions (contain, cover) or is stretched (fill) ----------------------------
SOURCES = [(704, 576), (640, 480), (720, 1280)]  # a D1 camera, VGA, a portrait phone
WIDE = (630, 300)  # the window, in screen pixels (2.1:1); square pixels on every wall below


def circle_source(w: int, h: int, fit: str) -> tuple[Frame, float]:
    """A white disc on black at the centre of a w x h source, small enough to stay whole in a WIDE window."""
    aspect = WIDE[0] / WIDE[1]
    seen_w, seen_h = (w, h) if fit != "cover" else ((h * aspect, h) if w / h > aspect else (w, w / aspect))
    r = 0.4 * min(seen_w, seen_h)
    f = Frame.blank(w, h)
    cv2.circle(f.y, (w * 8 - 8, h * 8 - 8), round(r * 16), 235, -1, cv2.LINE_AA, shift=4)  # centre (w/2, h/2)
    f.seq = 1
    return f, r


def blob(y: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of the bright pixels."""
    rows, cols = np.nonzero(y >= 126)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def fit_window(fit: str, rect: Rect, id: str = "a", source: str = "cam") -> Window:
    return Window(id=id, kind="video", rect=rect, source=source, fit=fit)


def one_wide_screen():
    return build_wall(WallSpec(px_per_mm=1, screens=[ScreenSpec(
        id="s", kind="lcd", resolution=WIDE, size_mm=(210, 100), position_mm=(0, 0))]))


def two_wide_panels():
    # Two 100x100 mm panels at 300x300 px with 5 mm bezels: a 210x100 mm window over both is 630x300
    # screen pixels, 30 of them (the bezels) hidden in the middle.
    return build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(
        id="b", kind="lcd", rows=1, cols=2, origin_mm=(0, 0), panel_size_mm=(100, 100), bezel_mm=5,
        resolution=(300, 300))]))


@pytest.mark.parametrize("size", SOURCES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("fit", ["contain", "cover"])
def test_a_circle_stays_a_circle_whatever_the_source_proportions(fit, size):
    w, h = size
    plan = render_plan(one_wide_screen(), Layout(windows=[fit_window(fit, Rect(0, 0, 210, 100))])).for_screen("s")
    src, r = circle_source(w, h, fit)
    out = ScreenCompositor("s", WIDE, labels=False).compose(plan, {"cam": SourceView(src)})
    x0, y0, x1, y1 = blob(out.y)
    scale = (min if fit == "contain" else max)(WIDE[0] / w, WIDE[1] / h)
    assert abs((x1 - x0) - 2 * r * scale) <= 3 and abs((y1 - y0) - 2 * r * scale) <= 3, (x1 - x0, y1 - y0)
    assert abs((x1 - x0) / (y1 - y0) - 1) <= 0.04
    assert abs((x0 + x1) / 2 - WIDE[0] / 2) <= 1.5 and abs((y0 + y1) / 2 - WIDE[1] / 2) <= 1.5  # centred


@pytest.mark.parametrize("size", SOURCES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fill_stretches_the_source_to_the_window(size):
    w, h = size
    plan = render_plan(one_wide_screen(), Layout(windows=[fit_window("fill", Rect(0, 0, 210, 100))])).for_screen("s")
    src, r = circle_source(w, h, "fill")
    out = ScreenCompositor("s", WIDE, labels=False).compose(plan, {"cam": SourceView(src)})
    x0, y0, x1, y1 = blob(out.y)
    assert abs((x1 - x0) - 2 * r * WIDE[0] / w) <= 3 and abs((y1 - y0) - 2 * r * WIDE[1] / h) <= 3
    assert (out.y[:, :4] == 16).all() and (out.y[:, -4:] == 16).all()  # the source's black edge to edge
    assert (out.y >= 126).sum() > 0 and not (out.u != NEUTRAL_C).any()


def test_contain_draws_black_bars_where_the_source_does_not_reach():
    plan = render_plan(one_wide_screen(), Layout(windows=[fit_window("contain", Rect(0, 0, 210, 100))])).for_screen("s")
    src = flat(640, 480, 200, 60, 200)  # 4:3 in 2.1:1: a 400 px wide picture, 115 px bars left and right
    out = ScreenCompositor("s", WIDE, labels=False).compose(plan, {"cam": SourceView(src)})
    assert (out.y[:, 116:514] == 200).all() and (out.u[:, 58:257] == 60).all()
    assert (out.y[:, :114] == 16).all() and (out.y[:, 516:] == 16).all()
    assert (out.u[:, :57] == NEUTRAL_C).all() and (out.v[:, 258:] == NEUTRAL_C).all()  # no tint in the bars


def test_cover_crops_the_overflow_and_leaves_no_bar():
    plan = render_plan(one_wide_screen(), Layout(windows=[fit_window("cover", Rect(0, 0, 210, 100))])).for_screen("s")
    src = flat(640, 480, 16, 128, 128)
    src.y[:, 320:] = 200  # right half bright: the middle of the window is the source's middle
    src.y[:60] = 235  # the top eighth is cropped away (only the middle 305 of 480 rows are seen)
    out = ScreenCompositor("s", WIDE, labels=False).compose(plan, {"cam": SourceView(src)})
    assert (out.y[:, :313] == 16).all() and (out.y[:, 317:] == 200).all()
    assert not (out.y == 235).any()


def test_bars_are_drawn_once_and_each_new_frame_scales_only_the_picture():
    plan = render_plan(one_wide_screen(), Layout(windows=[fit_window("contain", Rect(0, 0, 210, 100))])).for_screen("s")
    comp = ScreenCompositor("s", WIDE, labels=False)
    comp.compose(plan, {"cam": SourceView(flat(704, 576, 100, 128, 128, seq=1))})
    assert comp.bars_drawn == 1 and comp.scale_calls == 3
    for seq in range(2, 6):
        out = comp.compose(plan, {"cam": SourceView(flat(704, 576, 100 + seq, 128, 128, seq=seq))})
    assert comp.bars_drawn == 1 and comp.scale_calls == 15
    assert (out.y[:, :130] == 16).all() and (out.y[:, 134:496] == 105).all()
    # A lost picture's slate may cover the bars: they are drawn again once the picture is back.
    comp.compose(plan, {"cam": SourceView(flat(704, 576, 100, 128, 128, seq=5), lost_since=time.time())})
    comp.compose(plan, {"cam": SourceView(flat(704, 576, 110, 128, 128, seq=6))})
    assert comp.bars_drawn == 2


@pytest.mark.parametrize("size", SOURCES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("fit", ["contain", "cover", "fill"])
def test_window_spanning_two_screens_is_fitted_as_a_whole_then_cut_at_the_bezel(fit, size):
    """The two screens show the one-screen picture of the same window, cut where the bezels hide 30 px."""
    w, h = size
    src, r = circle_source(w, h, fit)
    views = {"cam": SourceView(src)}
    whole_plan = render_plan(one_wide_screen(), Layout(windows=[fit_window(fit, Rect(0, 0, 210, 100))]))
    whole = ScreenCompositor("s", WIDE, labels=False).compose(whole_plan.for_screen("s"), views).y
    wall = two_wide_panels()
    left, right = wall.screen("b-1-1").canvas, wall.screen("b-1-2").canvas
    plan = render_plan(wall, Layout(windows=[fit_window(fit, Rect(left.x, left.y, right.right - left.x, 100))]))
    got = {sid: ScreenCompositor(sid, (300, 300), labels=False).compose(plan.for_screen(sid), views).y
           for sid in ("b-1-1", "b-1-2")}
    for sid, expected in (("b-1-1", whole[:, :300]), ("b-1-2", whole[:, 330:])):
        shown, want = got[sid] >= 126, expected >= 126
        assert shown.any(), f"the circle does not reach {sid}"
        assert (shown != want).sum() <= 0.02 * want.sum(), sid  # the same picture but for edge pixels
        assert np.abs(got[sid].astype(int) - expected).mean() < 1.0
    # Across the seam, on the middle row: the circle's left edge on one screen, its right edge on the other.
    row = WIDE[1] // 2
    lx = int(np.argmax(got["b-1-1"][row] >= 126))
    rx = 330 + 300 - int(np.argmax(got["b-1-2"][row][::-1] >= 126))
    x0, _, x1, _ = blob(whole)
    assert abs((rx - lx) - (x1 - x0)) <= 2
    if fit != "fill":  # and measured on the two screens alone: a circle of the expected size
        radius = r * (min if fit == "contain" else max)(WIDE[0] / w, WIDE[1] / h)
        assert abs((rx - lx) - 2 * radius) <= 3
        edge = np.nonzero(got["b-1-1"][:, 299] >= 126)[0]  # the left screen's last column, 15.5 px off centre
        assert abs(len(edge) - 2 * (radius**2 - 15.5**2) ** 0.5) <= 3


def test_the_shown_scale_of_a_source_follows_the_fit():
    """What the engine's decode hints (sub stream, loop filter) are told: the picture's size, not the window's."""
    for fit, want in (("contain", 300 / 576), ("cover", 630 / 704), ("fill", 630 / 704)):
        plan = render_plan(one_wide_screen(), Layout(windows=[fit_window(fit, Rect(0, 0, 210, 100))])).for_screen("s")
        assert shown_scale(plan.parts[0], (704, 576)) == pytest.approx(want), fit
