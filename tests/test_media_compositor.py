"""The compositor, pixel by pixel, on synthetic frames (no sources, no threads)."""

import time

import numpy as np

from layouts import Layout, Rect, ScreenSpec, SpliceBlock, WallSpec, Window, build_wall, render_plan
from media.compositor import NEUTRAL_C, ScreenCompositor, SourceView
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
    a, b = flat(640, 360, 50, 100, 100, seq=1), flat(640, 360, 150, 100, 100, seq=1)
    first = comp.compose(plan, {"cam-a": SourceView(a), "cam-b": SourceView(b)})
    assert comp.scale_calls == 6  # Y, U, V for each window
    # Nothing new: no scaling at all, the last picture is reused.
    again = comp.compose(plan, {"cam-a": SourceView(a), "cam-b": SourceView(b)})
    assert comp.scale_calls == 6 and comp.frames_reused == 1
    assert again.y is first.y and again.seq > first.seq
    # A new frame of cam-b only: only its three planes are scaled.
    b2 = flat(640, 360, 180, 100, 100, seq=2)
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
    a = flat(640, 360, 200, 60, 200)
    b = flat(640, 360, 120, 90, 160)
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
