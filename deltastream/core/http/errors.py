"""The error envelope on every HTTP error, and request-ID logging."""

from __future__ import annotations

import time
import uuid
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deltastream.core.errors import DeltaStreamError, error_envelope
from deltastream.core.http.responses import JsonResponse

log = structlog.get_logger(service="http")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse(body, status_code=status, headers=headers)


async def _ds_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, DeltaStreamError)
    return _json(exc.status_code, exc.envelope(), exc.headers)


async def _http_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    details = None if isinstance(exc.detail, str) else exc.detail
    return _json(exc.status_code, error_envelope(code, message, details), dict(exc.headers or {}))


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        item = {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type", "")}
        out.append(item)
    return out


async def _validation_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)
    details = _clean(list(exc.errors()))
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"][1:] or first["loc"])
    message = f"Invalid request: {where}: {first['msg']}" if where else f"Invalid request: {first['msg']}"
    return _json(422, error_envelope("validation_error", message, details))


async def _unhandled(request: Request, exc: Exception) -> JsonResponse:
    log.exception("unhandled_error", path=request.url.path, error=repr(exc))
    return _json(500, error_envelope("internal_error", "Internal server error", None))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DeltaStreamError, _ds_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unhandled)


class RequestContextMiddleware:
    """Pure ASGI middleware: echo or mint ``X-Request-ID``, bind it to logs, log each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = [500]
        header = (b"x-request-id", request_id.encode())

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                log.debug(
                    "http_request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status_holder[0],
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            # Echo only sane ids, so a client cannot inject control characters into our logs.
            if 0 < len(text) <= 128 and text.isprintable():
                return text
    return None
