from layouts import Rect, SpliceBlock, WallSpec, build_wall, snap_rect


def wall(grid_px: int | None = None):
    return build_wall(WallSpec(px_per_mm=1, grid_px=grid_px, blocks=[SpliceBlock(
        id="b", kind="lcd", rows=1, cols=2, origin_mm=(0, 0), panel_size_mm=(200, 100), bezel_mm=5,
        resolution=(1920, 1080))]))


def test_edges_near_a_screen_edge_snap_to_its_active_area():
    w = wall()
    left, right = w.screen("b-1-1").canvas, w.screen("b-1-2").canvas
    snapped = snap_rect(w, Rect(left.x + 7, left.y - 3, right.x + 50 - left.x - 7, 97))
    assert (snapped.x, snapped.y) == (left.x, left.y)
    assert snapped.bottom == left.bottom
    assert snapped.right == right.x + 50  # too far from any edge, no grid: unchanged


def test_edges_beyond_tolerance_snap_to_the_grid():
    w = wall(grid_px=20)
    left = w.screen("b-1-1").canvas
    snapped = snap_rect(w, Rect(left.x + 52, left.y + 41, 33, 29), tolerance_px=4)
    assert snapped == Rect(60, 40, 40, 40)  # 57->60, 90->100 (half-up), 46->40, 75->80


def test_tolerance_controls_the_reach():
    w = wall()
    left = w.screen("b-1-1").canvas
    r = Rect(left.x + 20, left.y + 20, 50, 50)
    assert snap_rect(w, r) == r
    assert snap_rect(w, r, tolerance_px=20).x == left.x


def test_snapping_never_produces_zero_size():
    w = wall()
    left = w.screen("b-1-1").canvas
    tiny = Rect(left.x + 2, left.y + 2, 4, 4)  # both edges would snap onto the same screen edge
    out = snap_rect(w, tiny)
    assert out.w > 0 and out.h > 0
    assert out == tiny
