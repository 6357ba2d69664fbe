"""The backend's one error type, and the one mapping of every error to a status and JSON body: the HTTP
middleware (api.py) and the Socket.IO acknowledgements (namespaces/) both answer through `error_body`."""

from __future__ import annotations

import sys
from typing import Any

from pydantic import ValidationError

from layouts import LayoutError, format_loc


class HallError(Exception):
    """An error with an HTTP status, a short code, a message and optional field errors."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}  # e.g. Retry-After of a 429
        self.extra = extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out.update(self.extra)
        return out


class BadRequest(HallError):
    status, code = 400, "bad_request"


class Unauthorized(HallError):
    status, code = 401, "unauthorized"


class Forbidden(HallError):
    status, code = 403, "forbidden"


class NotFound(HallError):
    status, code = 404, "not_found"


class Conflict(HallError):
    status, code = 409, "conflict"


class UnsupportedMediaType(HallError):
    status, code = 415, "unsupported_media_type"


class Invalid(HallError):
    status, code = 422, "invalid"


class TooManyRequests(HallError):
    status, code = 429, "too_many_requests"


class Unavailable(HallError):
    status, code = 503, "unavailable"


def field_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """A pydantic error as the house's field errors: paths like `windows[2].rect.w` (layouts' own format)."""
    out = []
    for err in exc.errors():
        path = format_loc(err["loc"], prefix)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        out.append({"path": path or "(body)", "message": msg})
    return out


def as_hall_error(exc: Exception) -> HallError | None:
    """The HallError an exception stands for (validation of the wall model included), or None."""
    if isinstance(exc, HallError):
        return exc
    if isinstance(exc, LayoutError):
        return Invalid("invalid layout", errors=exc.to_dict()["errors"])
    if isinstance(exc, ValidationError):
        return Invalid("invalid request", errors=field_errors(exc))
    media = sys.modules.get("media.server")  # loaded by whatever runs media; the CLI never does
    if media is not None and isinstance(exc, media.MediaUnavailable):
        return Unavailable(str(exc))
    return None


def error_body(exc: HallError) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) of an error: the same for an HTTP response and a Socket.IO acknowledgement."""
    return exc.status, exc.body()


def ack_error(exc: Exception) -> dict[str, Any] | None:
    """A Socket.IO acknowledgement for an error (`{"ok": false, "status", "error", "message", ...}`), or
    None if the exception is not one of ours (then it is a bug: let it raise and be logged)."""
    err = as_hall_error(exc)
    if err is None:
        return None
    status, body = error_body(err)
    return {"ok": False, "status": status, **body}
