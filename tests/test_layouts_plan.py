import pytest

from layouts import Layout, Rect, ScreenSpec, SpliceBlock, Wall, WallSpec, Window, build_wall, render_plan


def two_panels(bezel_mm: float = 5) -> Wall:
    # 1 px per mm; each panel 100x50 mm shown at 200x100 px, so the screen doubles canvas pixels.
    return build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(
        id="b", kind="lcd", rows=1, cols=2, origin_mm=(0, 0), panel_size_mm=(100, 50),
        bezel_mm=bezel_mm, resolution=(200, 100))]))


def video(id: str, rect: Rect, z: int = 0, source: str = "cam") -> Window:
    return Window(id=id, kind="video", rect=rect, z=z, source=source)


def test_window_spanning_two_screens_is_cropped_at_the_bezel():
    wall = two_panels()
    left, right = wall.screen("b-1-1").canvas, wall.screen("b-1-2").canvas
    assert right.x - left.right == 10  # two 5 px bezels
    # A 210 px wide window from the left panel's active area start to the right panel's end.
    w = video("a", Rect(left.x, left.y, right.right - left.x, 50))
    plan = render_plan(wall, Layout(windows=[w]))
    (pl,), (pr,) = plan.for_screen("b-1-1").parts, plan.for_screen("b-1-2").parts
    assert pl.screen_rect == Rect(0, 0, 200, 100) and pr.screen_rect == Rect(0, 0, 200, 100)
    # The 10 px behind the bezels are hidden, not squeezed: the picture keeps its geometry.
    assert pl.crop == (0.0, 0.0, 100 / 210, 1.0)
    assert pr.crop == (110 / 210, 0.0, 1.0, 1.0)
    # Both parts know the whole window (its fit is of the whole, then cut), in square canvas pixels.
    assert pl.window_size == pr.window_size == (210, 50) and pl.fit == pr.fit == "contain"


def test_window_on_one_screen_shows_whole_content_scaled_to_screen_pixels():
    wall = two_panels()
    s = wall.screen("b-1-2").canvas
    plan = render_plan(wall, Layout(windows=[video("a", Rect(s.x + 10, s.y + 5, 30, 20))]))
    (part,) = plan.for_screen("b-1-2").parts
    assert part.crop == (0.0, 0.0, 1.0, 1.0)
    assert part.screen_rect == Rect(20, 10, 60, 40)
    assert (part.window_id, part.kind, part.source, part.z) == ("a", "video", "cam", 0)
    assert plan.for_screen("b-1-1").parts == []


def test_higher_window_hides_what_is_below_it():
    wall = two_panels()
    s = wall.screen("b-1-1").canvas
    below = video("below", Rect(s.x, s.y, 100, 50), z=0)
    above = video("above", Rect(s.x + 25, s.y, 50, 50), z=1)
    for order in ([below, above], [above, below]):
        parts = render_plan(wall, Layout(windows=order)).for_screen("b-1-1").parts
        assert [p.window_id for p in parts] == ["below", "below", "above"]  # bottom to top
        assert sorted(p.screen_rect.x for p in parts if p.window_id == "below") == [0, 150]
        top = parts[-1]
        assert top.screen_rect == Rect(50, 0, 100, 100) and top.crop == (0.0, 0.0, 1.0, 1.0)
        lower_crops = sorted(p.crop for p in parts if p.window_id == "below")
        assert lower_crops == [(0.0, 0.0, 0.25, 1.0), (0.75, 0.0, 1.0, 1.0)]


def test_equal_z_later_window_is_on_top():
    wall = two_panels()
    s = wall.screen("b-1-1").canvas
    a, b = video("a", Rect(s.x, s.y, 100, 50)), video("b", Rect(s.x, s.y, 100, 50))
    assert [p.window_id for p in render_plan(wall, Layout(windows=[a, b])).for_screen("b-1-1").parts] == ["b"]
    assert [p.window_id for p in render_plan(wall, Layout(windows=[b, a])).for_screen("b-1-1").parts] == ["a"]


def test_fully_covered_window_does_not_appear():
    wall = two_panels()
    s = wall.screen("b-1-1").canvas
    plan = render_plan(wall, Layout(windows=[video("small", Rect(s.x + 1, s.y + 1, 5, 5), z=-1),
                                            video("full", wall.canvas)]))
    assert {p.window_id for sp in plan.screens.values() for p in sp.parts} == {"full"}


def test_parts_are_clipped_to_the_screen_and_windows_off_the_canvas_are_clipped():
    wall = two_panels()
    plan = render_plan(wall, Layout(windows=[video("big", Rect(-500, -500, 2000, 2000))]))
    for sp in plan.screens.values():
        (part,) = sp.parts
        assert part.screen_rect == Rect(0, 0, 200, 100)
        assert 0 < part.crop[0] < part.crop[2] < 1


def test_empty_windows_are_skipped_and_every_screen_has_a_plan():
    wall = two_panels()
    plan = render_plan(wall, Layout(windows=[video("zero", Rect(10, 10, 0, 5))]))
    assert set(plan.screens) == {"b-1-1", "b-1-2"}
    assert all(sp.parts == [] for sp in plan.screens.values())
    assert plan.for_screen("b-1-1").resolution == (200, 100)
    with pytest.raises(KeyError):
        plan.for_screen("nope")


def test_led_beside_lcd_maps_canvas_through_its_own_density():
    wall = build_wall(WallSpec(
        blocks=[SpliceBlock(id="b", kind="lcd", rows=1, cols=1, origin_mm=(0, 0), panel_size_mm=(100, 50),
                            bezel_mm=0, resolution=(200, 100))],
        screens=[ScreenSpec(id="led", kind="led", resolution=(50, 25), size_mm=(100, 50), position_mm=(100, 0))],
    ))
    assert wall.px_per_mm == 2
    led = wall.screen("led").canvas
    assert led == Rect(200, 0, 200, 100)
    w = video("a", Rect(100, 0, 200, 100))
    plan = render_plan(wall, Layout(windows=[w]))
    assert plan.for_screen("b-1-1").parts[0].screen_rect == Rect(100, 0, 100, 100)
    (part,) = plan.for_screen("led").parts
    assert part.screen_rect == Rect(0, 0, 25, 25) and part.crop == (0.5, 0.0, 1.0, 1.0)


def test_pieces_of_one_window_are_merged_where_they_share_an_edge():
    wall = two_panels()
    s = wall.screen("b-1-1").canvas
    # The top window cuts the lower into bands; the left and right bands stay separate, no slivers.
    parts = render_plan(wall, Layout(windows=[video("low", Rect(s.x, s.y, 100, 50)),
                                             video("hole", Rect(s.x + 40, s.y + 20, 10,
                                                                10))])).for_screen("b-1-1").parts
    assert len([p for p in parts if p.window_id == "low"]) == 4
    assert sum(p.screen_rect.area for p in parts) == 200 * 100


def test_plan_for_a_full_hall_is_computed():
    # 6x5 block, 256 overlapping windows: a smoke test of the size the backend runs on every change.
    wall = build_wall(WallSpec(blocks=[SpliceBlock(id="b", kind="lcd", rows=5, cols=6, origin_mm=(0, 0),
                                                   panel_size_mm=(1210, 680), bezel_mm=1.75, resolution=(1920, 1080))]))
    windows = []
    for i in range(256):
        x = (i * 397) % (wall.canvas.w - 900)
        y = (i * 211) % (wall.canvas.h - 700)
        windows.append(video(f"w{i}", Rect(x, y, 400 + (i * 37) % 500, 300 + (i * 53) % 400), z=i % 7))
    plan = render_plan(wall, Layout(windows=windows))
    for screen in wall.screens:
        sp = plan.for_screen(screen.id)
        covered = sum(p.screen_rect.area for p in sp.parts)
        assert covered <= 1920 * 1080
