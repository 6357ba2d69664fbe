import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from layouts import Rect, bounding_box


def cells(r: Rect) -> set[tuple[int, int]]:
    return {(x, y) for x in range(r.x, r.right) for y in range(r.y, r.bottom)}


def test_rect_accepts_positional_and_keyword_fields():
    assert Rect(1, 2, 3, 4) == Rect(x=1, y=2, w=3, h=4)
    assert Rect(1, 2, w=3, h=4).h == 4
    with pytest.raises(TypeError):
        Rect(1, 2, 3, 4, 5)
    with pytest.raises(TypeError):
        Rect(1, x=1, y=2, w=3, h=4)


def test_rect_edges_and_area():
    r = Rect(10, 20, 30, 40)
    assert (r.right, r.bottom, r.area) == (40, 60, 1200)
    assert r.center == (25.0, 40.0)
    assert Rect(0, 0, 0, 5).is_empty and Rect(0, 0, -1, 5).area == 0


def test_rect_is_frozen_and_hashable():
    r = Rect(0, 0, 1, 1)
    with pytest.raises(ValidationError):
        r.x = 3  # type: ignore[misc]
    assert len({r, Rect(0, 0, 1, 1)}) == 1


def test_intersect_of_touching_rects_is_none():
    assert Rect(0, 0, 10, 10).intersect(Rect(10, 0, 5, 5)) is None
    assert Rect(0, 0, 10, 10).intersect(Rect(5, 5, 10, 10)) == Rect(5, 5, 5, 5)


def test_subtract_a_hole_leaves_four_bands():
    parts = Rect(0, 0, 10, 10).subtract(Rect(3, 3, 2, 2))
    assert len(parts) == 4
    assert sum(p.area for p in parts) == 96


def test_subtract_disjoint_returns_self_and_covering_returns_nothing():
    r = Rect(0, 0, 4, 4)
    assert r.subtract(Rect(10, 10, 1, 1)) == [r]
    assert r.subtract(Rect(-1, -1, 10, 10)) == []


def test_contains_translate_and_bounding_box():
    r = Rect(0, 0, 10, 10)
    assert r.contains(Rect(0, 0, 10, 10)) and not r.contains(Rect(1, 1, 10, 1))
    assert r.translate(5, -2) == Rect(5, -2, 10, 10)
    assert bounding_box([Rect(0, 0, 1, 1), Rect(5, 7, 2, 2)]) == Rect(0, 0, 7, 9)
    with pytest.raises(ValueError):
        bounding_box([])


small_rects = st.builds(
    Rect,
    x=st.integers(-5, 10),
    y=st.integers(-5, 10),
    w=st.integers(1, 10),
    h=st.integers(1, 10),
)


@settings(max_examples=150, deadline=None)
@given(small_rects, small_rects)
def test_subtract_is_an_exact_disjoint_cover_of_the_difference(a: Rect, b: Rect):
    parts = a.subtract(b)
    seen: set[tuple[int, int]] = set()
    for p in parts:
        assert not p.is_empty and a.contains(p)
        assert not (cells(p) & seen)
        seen |= cells(p)
    assert seen == cells(a) - cells(b)
    inter = a.intersect(b)
    assert (cells(inter) if inter else set()) == cells(a) & cells(b)
