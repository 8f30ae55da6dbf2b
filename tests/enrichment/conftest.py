"""Enrichment fixtures: runtimes with only the enrichment components, embedded or on real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis

from deltastream.settings import Settings
from deltastream.wiring import ROLE_FEED, ROLE_WORKER, Runtime, build_runtime


def make_runtime(settings: Settings, *, worker: bool = True, dispatcher: bool = True) -> Runtime:
    """A runtime whose only components are the enrichment worker and/or dispatcher."""
    roles = frozenset(r for r, on in ((ROLE_WORKER, worker), (ROLE_FEED, dispatcher)) if on)
    return build_runtime(settings, roles, components={"enrichment-worker", "enrichment-dispatcher"})


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0, every_s: float = 0.05
) -> None:
    """Poll ``check`` until it is true; fail the test with a clear message after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(every_s)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Embedded dispatcher + worker on a fresh SQLite file, started."""
    rt = make_runtime(settings)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


def _delete_prefixed(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        with contextlib.suppress(redis.ConnectionError):  # a test that stopped Redis has nothing to clean
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_settings(settings: Settings, redis_url: str, redis_prefix: str) -> Iterator[Settings]:
    """The embedded test settings moved onto the shared Redis under a unique prefix (cleaned up)."""
    yield settings.model_copy(
        update={"redis_url": redis_url, "redis_prefix": redis_prefix, "task_idle_timeout": 1.0}
    )
    _delete_prefixed(redis_url, redis_prefix)


async def drain(sub: Any, quiet_s: float = 0.3, max_s: float = 10.0) -> list[Any]:
    """Every message a subscription received until it stays quiet for ``quiet_s``, reading for
    at most ``max_s`` (a live feed is never quiet)."""
    out = []
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        try:
            out.append(await sub.get(timeout=quiet_s))
        except TimeoutError:
            return out
    return out


@pytest.fixture(params=["embedded", "redis"])
async def any_runtime(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Runtime]:
    """Dispatcher + worker, embedded or over the shared Redis (bus, cache and task stream)."""
    chosen = settings if request.param == "embedded" else request.getfixturevalue("redis_settings")
    rt = make_runtime(chosen)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()
