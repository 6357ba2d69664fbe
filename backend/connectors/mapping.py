"""A connector's field mapping (pure): each value found in another system's JSON by a dotted path, and the
ticker line made of them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

Value = str | int | float | bool | None
MAX_TEXT = 300  # a mapped text is cut to this many characters (a ticker line, not an article)


class MappingError(ValueError):
    """Fields the mapping could not find: [(field name, dotted path, what was wrong)]."""

    def __init__(self, missing: list[tuple[str, str, str]]) -> None:
        self.missing = missing
        super().__init__("; ".join(f"{name} ({path}): {why}" for name, path, why in missing))


def pick(doc: Any, path: str) -> Any:
    """The value at a dotted path: object keys, and list indexes as numbers (negative from the end)."""
    here = doc
    for step in path.split("."):
        if isinstance(here, Mapping):
            if step not in here:
                raise KeyError(f"no key {step!r}")
            here = here[step]
        elif isinstance(here, list):
            try:
                here = here[int(step)]
            except ValueError:
                raise KeyError(f"{step!r} is no list index") from None
            except IndexError:
                raise KeyError(f"no item {step} (the list has {len(here)})") from None
        else:
            raise KeyError(f"{step!r}: not inside an object or a list")
    return here


def scalar(v: Any) -> Value:
    """A value as the hall keeps it: text, a finite number, a truth value or nothing (objects and lists are not
    values: map a path inside them)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise KeyError("not a finite number")
        return v
    if isinstance(v, str):
        return v.strip()[:MAX_TEXT]
    raise KeyError("an object or a list, not a value")


def apply(fields: Mapping[str, str], doc: Any) -> dict[str, Value]:
    """Every mapped field's value; MappingError names every one that is missing."""
    out: dict[str, Value] = {}
    missing: list[tuple[str, str, str]] = []
    for name, path in fields.items():
        try:
            out[name] = scalar(pick(doc, path))
        except KeyError as exc:
            missing.append((name, path, str(exc.args[0]) if exc.args else "missing"))
    if missing:
        raise MappingError(missing)
    return out


def shown(v: Value) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return str(v)


def ticker_line(template: str | None, values: Mapping[str, Value]) -> str:
    """The ticker's line: the template with its {field}s filled, or the values joined."""
    if template is None:
        return " · ".join(shown(v) for v in values.values())
    return template.format_map({k: shown(v) for k, v in values.items()})
