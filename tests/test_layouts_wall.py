import pytest

from layouts import LayoutError, Rect, ScreenSpec, SpliceBlock, WallSpec, build_wall


def block(**kw) -> SpliceBlock:
    base = dict(id="lcd", kind="lcd", rows=2, cols=3, origin_mm=(10, 10), panel_size_mm=(100, 50),
                bezel_mm=1.5, resolution=(200, 100))
    base.update(kw)
    return SpliceBlock(**base)


def led(**kw) -> ScreenSpec:
    base = dict(id="led", kind="led", resolution=(160, 90), size_mm=(160, 90), position_mm=(400, 10))
    base.update(kw)
    return ScreenSpec(**base)


def paths(info: pytest.ExceptionInfo[LayoutError]) -> list[str]:
    return [e.path for e in info.value.errors]


def test_splice_block_screens_are_named_by_row_and_column():
    wall = build_wall(WallSpec(blocks=[block()]))
    assert [s.id for s in wall.screens] == ["lcd-1-1", "lcd-1-2", "lcd-1-3", "lcd-2-1", "lcd-2-2", "lcd-2-3"]
    s = wall.screen("lcd-2-3")
    assert (s.block, s.row, s.col) == ("lcd", 1, 2)


def test_default_scale_is_the_highest_pixel_density():
    wall = build_wall(WallSpec(blocks=[block()], screens=[led()]))
    assert wall.px_per_mm == 2.0  # the LCD's 200px / 100mm beats the LED's 1px/mm


def test_splice_block_has_an_exact_integer_pitch_including_bezels():
    wall = build_wall(WallSpec(blocks=[block()]))
    bezel = round(1.5 * 2.0)
    assert all(s.bezel_px == bezel for s in wall.screens)
    a, b, c = (wall.screen(f"lcd-1-{i}").canvas for i in (1, 2, 3))
    assert a.w == b.w == c.w == 200
    assert b.x - a.x == c.x - b.x == 200 + 2 * bezel
    assert wall.screen("lcd-2-1").canvas.y - a.y == 100 + 2 * bezel


def test_canvas_origin_is_the_top_left_bezel_edge():
    wall = build_wall(WallSpec(blocks=[block()]))
    first = wall.screen("lcd-1-1")
    assert (first.canvas.x, first.canvas.y) == (first.bezel_px, first.bezel_px)
    assert wall.canvas == Rect(0, 0, 3 * (200 + 6), 2 * (100 + 6))


def test_mixed_wall_puts_led_and_lcd_on_one_canvas():
    wall = build_wall(WallSpec(blocks=[block()], screens=[led()]))
    lcd, screen = wall.screen("lcd-1-1"), wall.screen("led")
    # LED at 400mm, block's first active area at 10mm, both scaled by 2px/mm, shifted by the bezel.
    assert screen.canvas.x - lcd.canvas.x == (400 - 10) * 2
    assert screen.canvas.w == 320 and screen.resolution == (160, 90)
    assert wall.canvas.contains(screen.canvas)
    assert wall.canvas.right == screen.canvas.right


def test_explicit_scale_is_used():
    wall = build_wall(WallSpec(px_per_mm=0.5, screens=[led()]))
    assert wall.screen("led").canvas == Rect(0, 0, 80, 45)


def test_screen_lookup_regions_and_screens_in():
    wall = build_wall(WallSpec(blocks=[block()]))
    with pytest.raises(KeyError):
        wall.screen("nope")
    a, f = wall.screen("lcd-1-1").canvas, wall.screen("lcd-2-2").canvas
    assert wall.region_rect(["lcd-1-1", "lcd-2-2"]) == Rect.from_edges(a.x, a.y, f.right, f.bottom)
    assert [s.id for s in wall.screens_in(Rect(a.right - 1, a.y, 10, 1))] == ["lcd-1-1", "lcd-1-2"]
    # the bezel gap belongs to no screen
    assert wall.screens_in(Rect(a.right, a.y, 2, 2)) == []


def test_duplicate_screen_ids_are_reported_with_paths():
    with pytest.raises(LayoutError) as info:
        build_wall(WallSpec(screens=[led(), led(position_mm=(800, 10))], blocks=[block(), block(origin_mm=(10, 500))]))
    assert paths(info) == ["screens[1].id", "blocks[1].id"]


def test_block_screen_id_clashing_with_a_lone_screen_is_reported():
    with pytest.raises(LayoutError) as info:
        build_wall(WallSpec(screens=[led(id="lcd-1-2")], blocks=[block()]))
    assert paths(info) == ["blocks[0].id"]


def test_non_positive_sizes_and_negative_bezels_are_reported():
    with pytest.raises(LayoutError) as info:
        build_wall(WallSpec(
            screens=[led(resolution=(0, 90), size_mm=(160, -1), bezel_mm=-2)],
            blocks=[block(rows=0, cols=-1, panel_size_mm=(0, 50))],
        ))
    assert paths(info) == [
        "screens[0].resolution", "screens[0].size_mm", "screens[0].bezel_mm",
        "blocks[0].rows", "blocks[0].cols", "blocks[0].panel_size_mm",
    ]
    assert "must be positive" in str(info.value)


def test_overlapping_screens_including_bezels_are_reported():
    # The block's right bezel edge is at 10 - 1.5 + 3 * 103 = 317.5 mm.
    with pytest.raises(LayoutError) as info:
        build_wall(WallSpec(blocks=[block()], screens=[led(position_mm=(316, 10))]))
    assert paths(info) == ["blocks[0].origin_mm"]
    assert "overlaps" in str(info.value)
    build_wall(WallSpec(blocks=[block()], screens=[led(position_mm=(317.5, 10))]))  # touching is fine


def test_empty_wall_is_an_error():
    with pytest.raises(LayoutError) as info:
        build_wall(WallSpec())
    assert paths(info) == ["screens"]


def test_wall_round_trips_through_json_and_has_a_schema():
    wall = build_wall(WallSpec(blocks=[block()], screens=[led()]))
    again = type(wall).model_validate_json(wall.model_dump_json())
    assert again == wall and again.screen("led") == wall.screen("led")
    assert "screens" in WallSpec.model_json_schema()["properties"]
