import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from layouts import Layout, Rect, Window, fitted_picture


def win(id: str, z: int = 0) -> Window:
    return Window(id=id, kind="video", rect=Rect(0, 0, 10, 10), source="cam", z=z)


def test_window_ids_allow_only_safe_characters():
    Window(id="cam.1:north_gate-2", kind="clock", rect=Rect(0, 0, 1, 1))
    for bad in ("", "a b", "x/y", "x" * 65):
        with pytest.raises(ValidationError):
            Window(id=bad, kind="clock", rect=Rect(0, 0, 1, 1))


def test_text_windows_hold_at_most_500_characters():
    Window(id="t", kind="text", rect=Rect(0, 0, 1, 1), text="x" * 500)
    with pytest.raises(ValidationError):
        Window(id="t", kind="text", rect=Rect(0, 0, 1, 1), text="x" * 501)


def test_window_defaults_show_a_label_at_z_zero():
    w = Window(id="c", kind="clock", rect=Rect(0, 0, 1, 1))
    assert (w.z, w.label, w.source, w.panel, w.title) == (0, True, None, None, None)


def test_with_window_adds_or_replaces_by_id_in_place():
    layout = Layout(windows=[win("a"), win("b")])
    moved = win("a", z=5)
    assert [w.id for w in layout.with_window(moved).windows] == ["a", "b"]
    assert layout.with_window(moved).window("a").z == 5
    assert [w.id for w in layout.with_window(win("c")).windows] == ["a", "b", "c"]
    assert layout.window("a").z == 0  # the original is untouched


def test_without_removes_and_unknown_ids_raise():
    layout = Layout(windows=[win("a"), win("b")])
    assert [w.id for w in layout.without("a").windows] == ["b"]
    with pytest.raises(KeyError):
        layout.without("zzz")
    with pytest.raises(KeyError):
        layout.window("zzz")


def test_top_z_of_empty_and_stacked_layouts():
    assert Layout().top_z() == 0
    assert Layout(windows=[win("a", 3), win("b", -1)]).top_z() == 3


def test_stacked_on_top_lifts_new_windows_and_keeps_ids_unique():
    layout = Layout(windows=[win("a", 3)])
    out = layout.stacked_on_top([win("a", 0), win("b", 1)])
    assert [(w.id, w.z) for w in out.windows] == [("a", 3), ("a-2", 4), ("b", 5)]


def test_layout_schema_is_available_for_openapi():
    schema = Layout.model_json_schema()
    assert "Window" in schema["$defs"] and "Rect" in schema["$defs"]


def test_contain_puts_a_4_3_source_between_bars_and_a_portrait_one_between_side_bars():
    assert fitted_picture("contain", (1600, 900), (640, 480)) == pytest.approx((0.125, 0.0, 0.75, 1.0))
    x, y, w, h = fitted_picture("contain", (1600, 900), (720, 1280))
    assert (y, h) == (0.0, 1.0) and w == pytest.approx(900 * 720 / 1280 / 1600) and x == pytest.approx((1 - w) / 2)


def test_cover_crops_the_overflow_evenly_and_fill_is_the_whole_window():
    assert fitted_picture("cover", (1600, 900), (640, 480)) == pytest.approx((0.0, -1 / 6, 1.0, 4 / 3))
    assert fitted_picture("fill", (1600, 900), (640, 480)) == (0.0, 0.0, 1.0, 1.0)
    assert fitted_picture("contain", (0, 900), (640, 480)) == (0.0, 0.0, 1.0, 1.0)  # nothing to fit into


sizes = st.tuples(st.integers(1, 8000), st.integers(1, 8000))


@given(sizes, sizes)
def test_contain_and_cover_keep_the_source_proportions_centred(window, source):
    for fit in ("contain", "cover"):
        x, y, w, h = fitted_picture(fit, window, source)
        assert (w * window[0]) / (h * window[1]) == pytest.approx(source[0] / source[1])
        assert x + w / 2 == pytest.approx(0.5) and y + h / 2 == pytest.approx(0.5)
        if fit == "contain":  # inside, touching two opposite edges
            assert w <= 1 + 1e-9 and h <= 1 + 1e-9 and max(w, h) == pytest.approx(1)
        else:  # over the whole window
            assert w >= 1 - 1e-9 and h >= 1 - 1e-9 and min(w, h) == pytest.approx(1)


def test_a_map_panel_window_can_look_at_a_point_instead_of_the_whole_district():
    from layouts import MapFocus

    w = Window(id="m", kind="panel", panel="map", rect=Rect(0, 0, 10, 10),
               focus=MapFocus(lat=36.65, lon=117, label="Event 0401 at Harmony grid 1", event="ev-1"))
    assert (w.focus.radius_m, w.focus.lon) == (400, 117)
    back = Window.model_validate_json(w.model_dump_json())
    assert back == w
    assert Window(id="c", kind="clock", rect=Rect(0, 0, 1, 1)).focus is None


def test_a_focus_is_strict_and_belongs_to_panel_windows_only():
    from layouts import MapFocus

    with pytest.raises(ValidationError, match="only a panel window"):
        Window(id="v", kind="video", source="cam", rect=Rect(0, 0, 1, 1), focus=MapFocus(lat=1, lon=2))
    for bad in ({"lat": "36.6", "lon": 117}, {"lat": 91, "lon": 117}, {"lat": 36, "lon": 117, "radius_m": 0},
                {"lat": 36, "lon": 117, "zoom": 3}):
        with pytest.raises(ValidationError):
            Window.model_validate({"id": "m", "kind": "panel", "panel": "map", "rect": {"x": 0, "y": 0, "w": 1, "h": 1},
                                   "focus": bad})
