"""Response classes: JSON encoded once with ``core.jsonx`` (UTC ``Z`` datetimes, NaN as null)."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from deltastream.core import jsonx


class JSONBytes(Response):
    """A JSON response rendered by ``jsonx.dumps``; bytes are sent as they are (pre-serialised)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes | bytearray | memoryview):
            return bytes(content)
        return jsonx.dumps(content)
