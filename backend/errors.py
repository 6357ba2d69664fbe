"""The backend's one error type, mapped to an HTTP status and JSON body in one place (api.py)."""

from __future__ import annotations

from typing import Any


class HallError(Exception):
    """An error with an HTTP status, a short code, a message and optional field errors."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: list[dict[str, str]] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
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
