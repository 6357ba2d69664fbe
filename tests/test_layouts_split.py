import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layouts import (
    Layout,
    LayoutError,
    Rect,
    ScreenSpec,
    SpliceBlock,
    WallSpec,
    Window,
    apply_split,
    build_wall,
    quick_split,
    split_cells,
)

WALL = build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(
    id="b", kind="lcd", rows=2, cols=2, origin_mm=(0, 0), panel_size_mm=(101, 61), bezel_mm=3, resolution=(1920,
                                                                                                           1080))]))
SCREENS = ["b-1-1", "b-1-2", "b-2-1", "b-2-2"]
CAMS = [f"cam{i}" for i in range(16)]


def error_paths(**kw) -> list[str]:
    with pytest.raises(LayoutError) as info:
        quick_split(WALL, **{"sources": CAMS, **kw})
    return [e.path for e in info.value.errors]


def test_split_cells_tile_the_region_exactly_with_remainders_spread():
    cells = split_cells(Rect(5, 7, 10, 8), 3, 3)
    assert [c.w for c in cells[:3]] == [3, 3, 4]
    assert [c.h for c in cells[::3]] == [2, 3, 3]
    assert cells[0].x == 5 and cells[-1].right == 15 and cells[-1].bottom == 15


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 8), st.integers(1, 8))
def test_split_cells_never_overlap_and_cover_the_region(w: int, h: int, rows: int, cols: int):
    region = Rect(3, -2, w, h)
    cells = split_cells(region, rows, cols)
    assert len(cells) == rows * cols
    assert sum(c.area for c in cells) == region.area
    assert all(region.contains(c) for c in cells)
    for i, a in enumerate(cells):
        assert all(a.intersect(b) is None for b in cells[i + 1:])


def test_quad_split_of_a_2x2_block_fills_each_screen_exactly():
    windows = quick_split(WALL, screens=SCREENS, n=4, sources=CAMS)
    assert [w.rect for w in windows] == [WALL.screen(s).canvas for s in SCREENS]
    assert [w.source for w in windows] == CAMS[:4]
    assert [w.id for w in windows] == ["split-1", "split-2", "split-3", "split-4"]
    assert all(w.kind == "video" for w in windows)


def test_sixteen_way_split_of_a_2x2_block_never_straddles_a_bezel():
    windows = quick_split(WALL, screens=SCREENS, n=16, sources=CAMS)
    assert len(windows) == 16
    for w in windows:
        owners = [s for s in WALL.screens if s.canvas.contains(w.rect)]
        assert len(owners) == 1, w
    # cells are in row-major order over the whole region: the first row crosses two screens
    first_row = [next(s.id for s in WALL.screens if s.canvas.contains(w.rect)) for w in windows[:4]]
    assert first_row == ["b-1-1", "b-1-1", "b-1-2", "b-1-2"]
    for s in WALL.screens:
        assert sum(w.rect.area for w in windows if s.canvas.contains(w.rect)) == s.canvas.area


def test_custom_grid_that_is_a_multiple_of_the_screens_snaps_too():
    windows = quick_split(WALL, screens=SCREENS, rows=2, cols=4, sources=CAMS)
    assert all(any(s.canvas.contains(w.rect) for s in WALL.screens) for w in windows)


def test_single_and_nine_way_splits_are_uniform_over_the_bounding_box():
    region = WALL.region_rect(SCREENS)
    (one,) = quick_split(WALL, screens=SCREENS, n=1, sources=CAMS)
    assert one.rect == region
    nine = quick_split(WALL, screens=SCREENS, n=9, sources=CAMS)
    assert [w.rect for w in nine] == split_cells(region, 3, 3)


def test_rect_region_over_whole_screens_snaps_to_them():
    windows = quick_split(WALL, rect=WALL.canvas, n=4, sources=CAMS)
    assert [w.rect for w in windows] == [WALL.screen(s).canvas for s in SCREENS]
    left_column = Rect(0, 0, WALL.canvas.w // 2, WALL.canvas.h)
    assert [w.rect for w in quick_split(WALL, rect=left_column, rows=2, cols=1, sources=CAMS)] == [
        WALL.screen("b-1-1").canvas, WALL.screen("b-2-1").canvas]
    partial = Rect(0, 0, 60, WALL.canvas.h)  # cuts through the left screens: no snapping
    assert [w.rect for w in quick_split(WALL, rect=partial, n=4, sources=CAMS)] == split_cells(partial, 2, 2)


def test_fewer_sources_than_cells_leaves_the_rest_empty():
    windows = quick_split(WALL, screens=SCREENS, n=9, sources=["a", "b"], id_prefix="grid")
    assert [(w.id, w.source) for w in windows] == [("grid-1", "a"), ("grid-2", "b")]


def test_mixed_region_of_led_and_lcd_splits_uniformly():
    wall = build_wall(WallSpec(px_per_mm=1,
        blocks=[SpliceBlock(id="b", kind="lcd", rows=1, cols=1, origin_mm=(0, 0), panel_size_mm=(100, 60),
                            resolution=(100, 60))],
        screens=[ScreenSpec(id="led", kind="led", resolution=(64, 32), size_mm=(80, 40), position_mm=(100, 0))]))
    windows = quick_split(wall, screens=["b-1-1", "led"], n=4, sources=CAMS)
    assert [w.rect for w in windows] == split_cells(wall.region_rect(["b-1-1", "led"]), 2, 2)


def test_split_errors_name_the_argument():
    assert error_paths(screens=SCREENS, n=5) == ["n"]
    assert error_paths(screens=SCREENS) == ["n"]
    assert error_paths(screens=SCREENS, n=4, rows=2) == ["n"]
    assert error_paths(screens=SCREENS, rows=9, cols=0) == ["rows", "cols"]
    assert error_paths(screens=SCREENS, rows=2) == ["cols"]
    assert error_paths(screens=["b-1-1", "nope"], n=4) == ["screens[1]"]
    assert error_paths(n=4) == ["screens"]
    assert error_paths(n=4, screens=SCREENS, rect=WALL.canvas) == ["rect"]
    assert error_paths(n=4, screens=SCREENS, id_prefix="bad prefix") == ["id_prefix"]


def test_apply_split_replaces_windows_inside_the_region_and_goes_on_top():
    region = WALL.region_rect(["b-1-1", "b-1-2"])
    inside = Window(id="old", kind="clock", rect=Rect(region.x, region.y, 10, 10), z=7)
    straddling = Window(id="keep", kind="clock", rect=Rect(region.x, region.bottom - 5, 10, 20), z=2)
    elsewhere = Window(id="split-1", kind="clock", rect=WALL.screen("b-2-2").canvas, z=3)
    layout = Layout(windows=[inside, straddling, elsewhere], scene="morning")
    new = quick_split(WALL, screens=["b-1-1", "b-1-2"], n=4, sources=CAMS)
    out = apply_split(WALL, layout, new, region)
    assert [w.id for w in out.windows] == ["keep", "split-1", "split-1-2", "split-2", "split-3", "split-4"]
    assert min(w.z for w in out.windows[2:]) > 3
    assert out.scene is None
