"""Request-body size limits per route group, enforced while the body streams in.

A declared ``Content-Length`` over the limit is refused before anything is read; a chunked or
under-declared body is counted chunk by chunk and refused as soon as it passes the limit, so no
more than the limit (plus one chunk) is ever held. Either way the answer is a 413 in the error
envelope (``payload_too_large``) with the limit in ``details``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deltastream.core.errors import error_envelope


class _TooLarge(Exception):
    """Raised into the app's body read; FastAPI may turn it into a 400, which is then replaced."""


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        error_envelope(
            "payload_too_large",
            f"Request body too large: at most {limit} bytes here",
            {"max_bytes": limit},
        ),
        status_code=413,
        headers={"Connection": "close"},
    )


class BodyLimitMiddleware:
    """``limits`` maps path prefixes to a byte limit (first match wins); others get ``default``."""

    def __init__(self, app: ASGIApp, default: int, limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default = default
        self.limits = tuple(limits)

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _too_large(limit)(scope, receive, send)
                    return
        received = 0
        overflow = False

        async def counting_receive() -> Message:
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not overflow:  # once over the limit, the app's own answer is replaced by the 413
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            overflow = True  # the body passed the limit: answered with the 413 below
        if overflow:
            await _too_large(limit)(scope, receive, send)
