from layouts import Layout, LayoutError, Rect, SpliceBlock, WallSpec, Window, build_wall, validate_layout
from layouts.validate import MAX_WINDOWS

WALL = build_wall(WallSpec(blocks=[SpliceBlock(id="b", kind="lcd", rows=1, cols=2, origin_mm=(0, 0),
                                               panel_size_mm=(100, 50), bezel_mm=1, resolution=(100, 50))]))
SOURCES = {"cam1", "cam2"}
PANELS = {"events", "map"}


def check(*windows: Window) -> list[tuple[str, str]]:
    try:
        validate_layout(WALL, Layout(windows=list(windows)), SOURCES, PANELS)
    except LayoutError as err:
        return [(e.path, e.message) for e in err.errors]
    return []


def video(id: str = "v", rect: Rect = Rect(0, 0, 50, 50), source: str | None = "cam1") -> Window:
    return Window(id=id, kind="video", rect=rect, source=source)


def test_a_good_layout_passes():
    assert WALL.canvas == Rect(0, 0, 204, 52)
    assert check(video(), Window(id="p", kind="panel", rect=Rect(100, 0, 104, 52), panel="map"),
                 Window(id="c", kind="clock", rect=Rect(0, 0, 10, 10))) == []


def test_zero_and_negative_sizes_name_the_field():
    assert check(video(rect=Rect(0, 0, 0, -3))) == [
        ("windows[0].rect.w", "must be positive (got 0)"),
        ("windows[0].rect.h", "must be positive (got -3)"),
    ]


def test_window_off_or_partly_off_the_canvas():
    expected = [("windows[0].rect", "off the canvas (canvas is 204x52)")]
    assert check(video(rect=Rect(500, 0, 10, 10))) == expected
    assert check(video(rect=Rect(200, 0, 10, 10))) == expected
    assert check(video(rect=Rect(-1, 0, 10, 10))) == expected


def test_unknown_and_missing_sources_and_panels():
    assert check(
        video("a", source="x"),
        video("b", source=None),
        Window(id="c", kind="panel", rect=Rect(0, 0, 5, 5), panel="weather"),
        Window(id="d", kind="panel", rect=Rect(0, 0, 5, 5)),
    ) == [
        ("windows[0].source", "unknown source 'x'"),
        ("windows[1].source", "a video window needs a source"),
        ("windows[2].panel", "unknown panel 'weather'"),
        ("windows[3].panel", "a panel window needs a panel"),
    ]


def test_duplicate_window_ids():
    assert check(video("a"), video("b"), video("a")) == [("windows[2].id", "duplicate window id 'a' (also windows[0])")]


def test_too_many_windows():
    windows = [video(f"w{i}") for i in range(MAX_WINDOWS + 1)]
    assert check(*windows) == [("windows", "too many windows (257 > 256)")]
    assert check(*windows[:MAX_WINDOWS]) == []


def test_every_problem_is_reported_at_once():
    problems = check(video("a", rect=Rect(0, 0, 0, 5), source="nope"), video("a", rect=Rect(300, 0, 5, 5)))
    assert [p for p, _ in problems] == ["windows[0].rect.w", "windows[0].source", "windows[1].id", "windows[1].rect"]
