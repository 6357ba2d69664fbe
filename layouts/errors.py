"""The one error type of the wall model: a list of (path, message) pairs naming every bad field.

Paths look like ``windows[2].rect.w`` so the backend can map them onto a 4xx body once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import ValidationError
from pydantic.dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem: where (a dotted/indexed path) and what, in words an operator can act on."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class LayoutError(Exception):
    """Raised by the wall model with every problem found, not just the first."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: list[FieldError] = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    @classmethod
    def single(cls, path: str, message: str) -> LayoutError:
        """A LayoutError with one FieldError."""
        return cls([FieldError(path, message)])

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        """The JSON body the backend sends: ``{"errors": [{"path": ..., "message": ...}]}``."""
        return {"errors": [{"path": e.path, "message": e.message} for e in self.errors]}

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.errors)


def join_path(prefix: str, *parts: str | int) -> str:
    """Append loc parts to a path: ints become ``[i]``, names become ``.name``."""
    path = prefix
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def format_loc(loc: Sequence[str | int], prefix: str = "") -> str:
    """Turn a pydantic error location such as ``('windows', 2, 'rect', 'w')`` into a path."""
    return join_path(prefix, *loc)


def from_validation_error(exc: ValidationError, prefix: str = "") -> LayoutError:
    """Convert a pydantic ValidationError into a LayoutError with the same kind of paths."""
    return LayoutError(FieldError(format_loc(e["loc"], prefix), e["msg"]) for e in exc.errors())
