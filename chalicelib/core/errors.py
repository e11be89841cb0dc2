"""Errors are part of the API: one type per failure, a stable code, an HTTP status, a readable message.

Services raise these; one middleware maps them to responses. They derive from Chalice's
ChaliceUnhandledError so that they reach the middleware instead of Chalice's own error format.
"""

from __future__ import annotations

from typing import Any

from chalice import ChaliceUnhandledError


class KefuError(ChaliceUnhandledError):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers = dict(headers or {})  # e.g. Retry-After on a 429, CORS on a widget route's refusal
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class InvalidInput(KefuError):
    status = 400
    code = "INVALID_INPUT"


class Unauthorized(KefuError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(KefuError):
    status = 403
    code = "FORBIDDEN"


class NotFound(KefuError):
    status = 404
    code = "NOT_FOUND"


class Conflict(KefuError):
    status = 409
    code = "CONFLICT"


class Unavailable(KefuError):
    status = 503
    code = "UNAVAILABLE"
