"""Cache protocol: JSON values with a TTL, plus raw bytes for pre-serialised responses."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Cache(Protocol):
    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def get(self, key: str) -> Any | None:
        """The decoded JSON value, or None when missing or expired."""

    async def get_raw(self, key: str) -> bytes | None:
        """The stored JSON bytes as written, for serving without re-encoding."""

    async def set(self, key: str, value: Any, ttl: float) -> bytes:
        """Store ``value`` as JSON for ``ttl`` seconds; returns the encoded bytes."""

    async def set_raw(self, key: str, data: bytes, ttl: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def ping(self) -> bool: ...
