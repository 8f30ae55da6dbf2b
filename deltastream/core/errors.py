"""One exception base and one error envelope: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any


class DeltaStreamError(Exception):
    """An expected failure with a stable machine code and an HTTP status.

    ``message`` must read well on its own, because clients often print only that.
    """

    code: str = "error"
    status_code: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.details = details
        self.headers = headers or {}

    def envelope(self) -> dict[str, Any]:
        return error_envelope(self.code, self.message, self.details)


class NotFoundError(DeltaStreamError):
    code = "not_found"
    status_code = 404


class ConflictError(DeltaStreamError):
    code = "conflict"
    status_code = 409


class ValidationFailed(DeltaStreamError):
    code = "validation_error"
    status_code = 422


class AuthenticationError(DeltaStreamError):
    code = "unauthorized"
    status_code = 401


class PermissionDeniedError(DeltaStreamError):
    code = "forbidden"
    status_code = 403


class RateLimitedError(DeltaStreamError):
    code = "rate_limited"
    status_code = 429


class ServiceUnavailableError(DeltaStreamError):
    code = "unavailable"
    status_code = 503


def error_envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one error body shape used over HTTP (and mirrored by socket ``error`` events)."""
    return {"error": {"code": code, "message": message, "details": details}}
