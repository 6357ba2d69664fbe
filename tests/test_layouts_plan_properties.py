"""Property tests of the render plan against an independent painter's-algorithm rasteriser."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layouts import (
    Layout,
    Rect,
    RenderPlan,
    Screen,
    ScreenSpec,
    SpliceBlock,
    Wall,
    WallSpec,
    Window,
    build_wall,
    render_plan,
)
from layouts.plan import screen_pixel_mapping

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def blocks(draw, id: str, x_mm: float) -> SpliceBlock:
    return SpliceBlock(
        id=id,
        kind="lcd",
        rows=draw(st.integers(1, 3)),
        cols=draw(st.integers(1, 3)),
        origin_mm=(x_mm, draw(st.floats(0, 30))),
        panel_size_mm=(draw(st.floats(20, 80)), draw(st.floats(15, 60))),
        bezel_mm=draw(st.sampled_from([0, 0.4, 1, 1.75, 3])),
        resolution=(draw(st.integers(8, 64)), draw(st.integers(6, 48))),
    )


def block_right_mm(b: SpliceBlock) -> float:
    return b.origin_mm[0] - b.bezel_mm + b.cols * (b.panel_size_mm[0] + 2 * b.bezel_mm)


@st.composite
def walls(draw) -> Wall:
    first = draw(blocks("a", draw(st.floats(0, 20))))
    placed = [first]
    if draw(st.booleans()):
        gap = draw(st.floats(0, 20))
        placed.append(draw(blocks("b", block_right_mm(first) + gap + 3)))
    screens = []
    if draw(st.booleans()):
        x = block_right_mm(placed[-1]) + draw(st.floats(0, 20)) + 3
        screens.append(ScreenSpec(
            id="led", kind="led",
            resolution=(draw(st.integers(8, 64)), draw(st.integers(6, 48))),
            size_mm=(draw(st.floats(20, 120)), draw(st.floats(15, 90))),
            position_mm=(x, draw(st.floats(0, 40))),
        ))
    scale = draw(st.one_of(st.none(), st.floats(0.3, 2.5)))
    return build_wall(WallSpec(px_per_mm=scale, blocks=placed, screens=screens))


@st.composite
def layouts_on(draw, wall: Wall, max_windows: int = 8) -> Layout:
    cw, ch = wall.canvas.w, wall.canvas.h
    windows = []
    for i in range(draw(st.integers(0, max_windows))):
        x = draw(st.integers(-cw // 4, cw))
        y = draw(st.integers(-ch // 4, ch))
        w = draw(st.integers(1, cw))
        h = draw(st.integers(1, ch))
        windows.append(Window(id=f"w{i}", kind="video", source="cam", rect=Rect(x, y, w, h), z=draw(st.integers(-2,
                                                                                                                2))))
    return Layout(windows=windows)


@st.composite
def wall_and_layout(draw) -> tuple[Wall, Layout]:
    wall = draw(walls())
    return wall, draw(layouts_on(wall))


def to_screen(screen: Screen, cx: int, axis: int) -> int:
    """The documented canvas->screen mapping, written out again independently of layouts.plan."""
    c = screen.canvas
    origin, size = (c.x, c.w) if axis == 0 else (c.y, c.h)
    res = screen.resolution[axis]
    return ((cx - origin) * res * 2 + size) // (2 * size)


def painter(screen: Screen, layout: Layout) -> list[int]:
    """Owner (window index, -1 for none) of every screen pixel, painting windows bottom to top."""
    res_w, res_h = screen.resolution
    owner = [-1] * (res_w * res_h)
    order = sorted(range(len(layout.windows)), key=lambda i: (layout.windows[i].z, i))
    for i in order:
        clip = layout.windows[i].rect.intersect(screen.canvas)
        if clip is None:
            continue
        x0, x1 = to_screen(screen, clip.x, 0), to_screen(screen, clip.right, 0)
        y0, y1 = to_screen(screen, clip.y, 1), to_screen(screen, clip.bottom, 1)
        for y in range(y0, y1):
            owner[y * res_w + x0 : y * res_w + x1] = [i] * (x1 - x0)
    return owner


def rasterise(screen: Screen, plan: RenderPlan, layout: Layout) -> list[int]:
    """Owner of every screen pixel according to the plan; fails on a pixel written twice or off screen."""
    res_w, res_h = screen.resolution
    index = {w.id: i for i, w in enumerate(layout.windows)}
    owner = [-1] * (res_w * res_h)
    for part in plan.for_screen(screen.id).parts:
        r = part.screen_rect
        assert r.w > 0 and r.h > 0, part
        assert 0 <= r.x and r.right <= res_w and 0 <= r.y and r.bottom <= res_h, (screen.id, part)
        for y in range(r.y, r.bottom):
            row = owner[y * res_w + r.x : y * res_w + r.right]
            assert row.count(-1) == len(row), f"pixel written twice on {screen.id} row {y}: {part}"
            owner[y * res_w + r.x : y * res_w + r.right] = [index[part.window_id]] * r.w
    return owner


@SETTINGS
@given(wall_and_layout())
def test_plan_covers_every_visible_window_pixel_exactly_once(case: tuple[Wall, Layout]):
    wall, layout = case
    plan = render_plan(wall, layout)
    assert set(plan.screens) == {s.id for s in wall.screens}
    for screen in wall.screens:
        assert rasterise(screen, plan, layout) == painter(screen, layout), screen.id


@SETTINGS
@given(wall_and_layout())
def test_plan_never_writes_outside_a_screen_and_crops_stay_inside_the_window(case: tuple[Wall, Layout]):
    wall, layout = case
    plan = render_plan(wall, layout)
    for screen in wall.screens:
        map_x, map_y = screen_pixel_mapping(screen)
        c = screen.canvas
        assert (map_x(c.x), map_x(c.right), map_y(c.y), map_y(c.bottom)) == (0, *screen.resolution[:1], 0,
                                                                             screen.resolution[1])
        for part in plan.for_screen(screen.id).parts:
            r = part.screen_rect
            assert 0 <= r.x < r.right <= screen.resolution[0]
            assert 0 <= r.y < r.bottom <= screen.resolution[1]
            x0, y0, x1, y1 = part.crop
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


@st.composite
def block_and_layout(draw) -> tuple[Wall, Layout, int]:
    b = draw(blocks("a", draw(st.floats(0, 20))))
    axis = draw(st.sampled_from([0, 1]))
    if (b.cols, b.rows)[axis] < 2:
        b = b.model_copy(update={"cols" if axis == 0 else "rows": 2})
    wall = build_wall(WallSpec(px_per_mm=draw(st.one_of(st.none(), st.floats(0.3, 2.5))), blocks=[b]))
    return wall, draw(layouts_on(wall, max_windows=5)), axis


@SETTINGS
@given(block_and_layout())
def test_moving_windows_by_one_screen_pitch_gives_the_same_parts_on_the_neighbour(case: tuple[Wall, Layout, int]):
    wall, layout, axis = case
    first, = (s for s in wall.screens if (s.row, s.col) == (0, 0))
    neighbour, = (s for s in wall.screens if (s.row, s.col) == ((0, 1) if axis == 0 else (1, 0)))
    pitch = neighbour.canvas.x - first.canvas.x if axis == 0 else neighbour.canvas.y - first.canvas.y
    assert pitch == (first.canvas.w, first.canvas.h)[axis] + 2 * first.bezel_px
    dx, dy = (pitch, 0) if axis == 0 else (0, pitch)
    moved = Layout(windows=[w.model_copy(update={"rect": w.rect.translate(dx, dy)}) for w in layout.windows])
    before, after = render_plan(wall, layout), render_plan(wall, moved)
    for s in wall.screens:
        nr, nc = (s.row, s.col + 1) if axis == 0 else (s.row + 1, s.col)
        if any((t.row, t.col) == (nr, nc) for t in wall.screens):
            target = wall.screen(f"a-{nr + 1}-{nc + 1}")
            assert after.for_screen(target.id).parts == before.for_screen(s.id).parts
