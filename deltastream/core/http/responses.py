"""One JSON response class: encoded once with ``core.jsonx`` (orjson; UTC ``Z`` datetimes, NaN as
null). Bytes are sent as they are, so a pre-encoded document (a cached chain) is never re-encoded."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from deltastream.core import jsonx


class JsonResponse(JSONResponse):
    """The app's default response class, also returned directly by routes that build their body."""

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes | bytearray | memoryview):
            return bytes(content)
        return jsonx.dumps(content)
