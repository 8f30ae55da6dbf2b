"""In-process cache on cachetools' ``TLRUCache`` (per-item TTL, bounded size)."""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from cachetools import TLRUCache

from deltastream.core import jsonx


class _Entry(NamedTuple):
    data: bytes
    ttl: float


def _ttu(_key: str, entry: _Entry, now: float) -> float:
    return now + entry.ttl


class InProcessCache:
    """Values are stored encoded, so a read returns exactly what Redis would."""

    name = "memory"

    def __init__(self, maxsize: int = 100_000) -> None:
        self._store: TLRUCache[str, _Entry] = TLRUCache(maxsize=maxsize, ttu=_ttu, timer=time.monotonic)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._store.clear()

    async def get(self, key: str) -> Any | None:
        data = await self.get_raw(key)
        return None if data is None else jsonx.loads(data)

    async def get_raw(self, key: str) -> bytes | None:
        entry = self._store.get(key)
        return None if entry is None else entry.data

    async def set(self, key: str, value: Any, ttl: float) -> bytes:
        data = jsonx.dumps(value)
        await self.set_raw(key, data, ttl)
        return data

    async def set_raw(self, key: str, data: bytes, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._store[key] = _Entry(bytes(data), float(ttl))

    async def delete(self, key: str) -> None:
        self._store.pop(key, None)

    async def ping(self) -> bool:
        return True
