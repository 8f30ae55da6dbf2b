"""Redis cache: JSON bytes under ``{prefix}{key}`` with a millisecond TTL (``SET ... PX``).

Values are stored exactly as encoded, so ``get_raw`` returns the bytes ``set`` returned and a
response can be served without decoding. Every command rides out a Redis restart with a bounded
retry, then raises :class:`~deltastream.core.redis.RedisUnavailableError`.
"""

from __future__ import annotations

import math
from typing import Any

from deltastream.core import jsonx
from deltastream.core import redis as rds


class RedisCache:
    """Cache protocol over Redis, shared by every process with the same URL and prefix."""

    name = "redis"

    def __init__(self, url: str, prefix: str = "", *, retries: int = rds.DEFAULT_RETRIES) -> None:
        self.url = url
        self.prefix = prefix
        self._client = rds.command_client(url, retries)
        # Health checks must answer fast during an outage, so they skip the retry window.
        self._probe = rds.fail_fast_client(url)

    async def start(self) -> None:
        """Check that Redis answers, so a wrong URL fails at start-up rather than on first read."""
        try:
            await self._client.ping()
        except rds.CONNECTION_ERRORS as exc:
            raise rds.unavailable(self.url, "cache start", exc) from exc

    async def close(self) -> None:
        await self._client.aclose()
        await self._probe.aclose()

    async def get(self, key: str) -> Any | None:
        data = await self.get_raw(key)
        return None if data is None else jsonx.loads(data)

    async def get_raw(self, key: str) -> bytes | None:
        try:
            data = await self._client.get(self.prefix + key)
        except rds.CONNECTION_ERRORS as exc:
            raise rds.unavailable(self.url, f"cache get {key!r}", exc) from exc
        if data is None:
            return None
        assert isinstance(data, bytes), "the client is built with decode_responses off"
        return data

    async def set(self, key: str, value: Any, ttl: float) -> bytes:
        data = jsonx.dumps(value)
        await self.set_raw(key, data, ttl)
        return data

    async def set_raw(self, key: str, data: bytes, ttl: float) -> None:
        """Store ``data`` for ``ttl`` seconds (rounded up to the next millisecond)."""
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        try:
            await self._client.set(self.prefix + key, bytes(data), px=max(1, math.ceil(ttl * 1000)))
        except rds.CONNECTION_ERRORS as exc:
            raise rds.unavailable(self.url, f"cache set {key!r}", exc) from exc

    async def delete(self, key: str) -> None:
        try:
            await self._client.delete(self.prefix + key)
        except rds.CONNECTION_ERRORS as exc:
            raise rds.unavailable(self.url, f"cache delete {key!r}", exc) from exc

    async def ping(self) -> bool:
        return await rds.ping(self._probe)
