import dataclasses

import pytest
from pydantic import BaseModel, ValidationError

from layouts import FieldError, Layout, LayoutError, Window, format_loc, from_validation_error


def test_layout_error_lists_every_field_error_in_its_message():
    err = LayoutError([FieldError("windows[0].source", "unknown source 'x'"), FieldError("windows[2].rect.w",
                                                                                         "must be positive")])
    assert str(err) == "windows[0].source: unknown source 'x'; windows[2].rect.w: must be positive"
    assert err.errors[1].path == "windows[2].rect.w"
    assert err.to_dict() == {
        "errors": [
            {"path": "windows[0].source", "message": "unknown source 'x'"},
            {"path": "windows[2].rect.w", "message": "must be positive"},
        ]
    }


def test_field_error_is_frozen():
    e = FieldError(path="a", message="b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.path = "c"  # type: ignore[misc]


def test_pydantic_locations_become_indexed_paths():
    assert format_loc(("windows", 2, "rect", "w")) == "windows[2].rect.w"
    assert format_loc((3, "id"), prefix="screens") == "screens[3].id"
    assert format_loc(("id",), prefix="layout.windows[0]") == "layout.windows[0].id"


def test_validation_error_of_a_layout_converts_with_the_same_paths():
    with pytest.raises(ValidationError) as info:
        Layout.model_validate({"windows": [{"id": "ok", "kind": "video", "rect": {"x": 0, "y": 0, "w": 1, "h": 1}},
                                           {"id": "bad id!", "kind": "video", "rect": {"x": 0, "y": 0, "w": "wide",
                                                                                       "h": 1}}]})
    err = from_validation_error(info.value)
    assert {e.path for e in err.errors} == {"windows[1].id", "windows[1].rect.w"}
    prefixed = from_validation_error(info.value, prefix="layout")
    assert {e.path for e in prefixed.errors} == {"layout.windows[1].id", "layout.windows[1].rect.w"}


def test_window_id_pattern_is_enforced_by_the_model():
    class Holder(BaseModel):
        window: Window

    with pytest.raises(ValidationError) as info:
        Holder.model_validate({"window": {"id": "x" * 65, "kind": "clock", "rect": {"x": 0, "y": 0, "w": 1, "h": 1}}})
    assert from_validation_error(info.value).errors[0].path == "window.id"
