"""Backend fixtures for the core contract suites: each test gets a fresh, started backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from deltastream.core.bus import EventBus, InProcessBus
from deltastream.core.bus.redis import RedisBus
from deltastream.core.cache import Cache, InProcessCache
from deltastream.core.cache.redis import RedisCache


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    backend: EventBus
    if request.param == "memory":
        backend = InProcessBus(maxsize=1000)
    else:
        url = request.getfixturevalue("redis_url")
        backend = RedisBus(url, prefix=request.getfixturevalue("redis_prefix"), maxsize=1000)
    await backend.start()
    try:
        yield backend
    finally:
        await backend.close()


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    backend: Cache
    if request.param == "memory":
        backend = InProcessCache()
    else:
        url = request.getfixturevalue("redis_url")
        backend = RedisCache(url, prefix=request.getfixturevalue("redis_prefix"))
    await backend.start()
    try:
        yield backend
    finally:
        await backend.close()
