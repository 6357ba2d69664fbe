import pytest
from pydantic import ValidationError

from layouts import (
    Layout,
    LayoutError,
    Preset,
    Rect,
    Scene,
    SpliceBlock,
    WallSpec,
    Window,
    apply_preset,
    apply_scene,
    build_wall,
    capture_preset,
)

WALL = build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(
    id="b", kind="lcd", rows=1, cols=3, origin_mm=(0, 0), panel_size_mm=(100, 60), bezel_mm=2, resolution=(1920,
                                                                                                           1080))]))
LEFT, MID, RIGHT = (WALL.screen(f"b-1-{i}").canvas for i in (1, 2, 3))


def clock(id: str, rect: Rect, z: int = 0) -> Window:
    return Window(id=id, kind="clock", rect=rect, z=z)


def test_whole_wall_preset_replaces_the_layout():
    preset = Preset(name="all", windows=[clock("c", WALL.canvas)])
    out = apply_preset(WALL, Layout(windows=[clock("x", LEFT)], scene="s"), preset)
    assert [w.id for w in out.windows] == ["c"] and out.scene is None


def test_region_preset_replaces_only_windows_centred_in_its_screens():
    layout = Layout(windows=[
        clock("on-left", LEFT, z=4),
        clock("centre-left", Rect(LEFT.x, LEFT.y, LEFT.w + 20, 10)),   # centre on the left screen
        clock("centre-mid", Rect(LEFT.right - 10, MID.y, 100, 10)),     # touches the left, centred on the middle
        clock("on-right", RIGHT),
    ])
    preset = Preset(name="left", screens=["b-1-1"], windows=[clock("p", LEFT)])
    out = apply_preset(WALL, layout, preset)
    assert [w.id for w in out.windows] == ["centre-mid", "on-right", "p"]
    assert out.window("p").z > max(w.z for w in out.windows[:-1])


def test_scene_applies_its_presets_in_order_and_is_named():
    presets = {
        "base": Preset(name="base", windows=[clock("bg", WALL.canvas)]),
        "left": Preset(name="left", screens=["b-1-1"], windows=[clock("l", LEFT)]),
        "right": Preset(name="right", screens=["b-1-3"], windows=[clock("r", RIGHT)]),
    }
    out = apply_scene(WALL, Layout(), Scene(name="flood", presets=["base", "left", "right"]), presets)
    assert [w.id for w in out.windows] == ["bg", "l", "r"]
    assert out.scene == "flood"


def test_scene_with_unknown_presets_names_each_of_them():
    with pytest.raises(LayoutError) as info:
        apply_scene(WALL, Layout(), Scene(name="s", presets=["a", "ghost", "b", "nope"]),
                    {"a": Preset(name="a"), "b": Preset(name="b")})
    assert [(e.path, e.message) for e in info.value.errors] == [
        ("presets[1]", "unknown preset 'ghost'"), ("presets[3]", "unknown preset 'nope'")]


def test_region_preset_on_unknown_screen_is_an_error():
    with pytest.raises(LayoutError) as info:
        apply_preset(WALL, Layout(), Preset(name="x", screens=["b-1-1", "gone"]))
    assert [e.path for e in info.value.errors] == ["screens[1]"]


def test_capture_preset_of_a_region_keeps_the_windows_inside_it():
    layout = Layout(windows=[clock("l", LEFT), clock("r", RIGHT)])
    preset = capture_preset(WALL, layout, "left only", screens=["b-1-1"])
    assert [w.id for w in preset.windows] == ["l"] and preset.screens == ["b-1-1"]
    assert [w.id for w in capture_preset(WALL, layout, "all").windows] == ["l", "r"]


def test_preset_names_are_1_to_64_characters():
    for bad in ("", "x" * 65):
        with pytest.raises(ValidationError):
            Preset(name=bad)
        with pytest.raises(ValidationError):
            Scene(name=bad)
