"""A connector's field mapping: values found by dotted paths, every missing one named."""

import pytest

from backend.connectors.mapping import MappingError, apply, pick, ticker_line

DOC = {"current": {"temp_c": 21.5, "text": " Light rain ", "wind": None}, "items": [{"title": "A"}, {"title": "B"}]}


def test_values_are_found_by_keys_and_list_indexes():
    assert pick(DOC, "current.temp_c") == 21.5
    assert pick(DOC, "items.1.title") == "B" and pick(DOC, "items.-1.title") == "B"
    assert apply({"t": "current.temp_c", "s": "current.text", "w": "current.wind"}, DOC) == \
        {"t": 21.5, "s": "Light rain", "w": None}


def test_every_missing_or_unusable_field_is_named():
    with pytest.raises(MappingError) as exc:
        apply({"t": "current.temp", "h": "items.5.title", "o": "current", "x": "items.first"}, DOC)
    assert [m[0] for m in exc.value.missing] == ["t", "h", "o", "x"]
    assert "no key 'temp'" in str(exc.value) and "the list has 2" in str(exc.value)
    assert "an object or a list" in str(exc.value)


def test_the_ticker_line_fills_the_template_or_joins_the_values():
    values = {"condition": "Light rain", "temperature": 21.5, "wind": None}
    assert ticker_line("{condition}, {temperature} °C", values) == "Light rain, 21.5 °C"
    assert ticker_line(None, values) == "Light rain · 21.5 · –"
