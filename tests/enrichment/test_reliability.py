"""Reliability over real Redis: a killed worker's task is redelivered; a Redis restart is survived."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from deltastream.core.bus import TOPIC_ENRICHED_UNDERLYING
from deltastream.core.clock import utcnow
from deltastream.enrichment import keys
from deltastream.settings import Settings
from deltastream.wiring import ROLE_FEED, ROLE_WORKER, build_runtime
from tests.enrichment.factories import make_tick
from tests.fixtures.runtimes import drain, make_runtime, wait_until
from tests.fixtures.servers import ValkeyHandle

REPO_ROOT = Path(__file__).resolve().parents[2]


def _worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTASTREAM_")}
    env.update(
        DELTASTREAM_REDIS_URL=str(settings.redis_url),
        DELTASTREAM_REDIS_PREFIX=settings.redis_prefix,
        DELTASTREAM_SQLITE_PATH=str(settings.sqlite_path),
        DELTASTREAM_TASK_IDLE_TIMEOUT=str(settings.task_idle_timeout),
        DELTASTREAM_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


@pytest.mark.slow
async def test_a_task_held_by_a_killed_worker_is_redelivered_and_stored_once(
    redis_settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "holding"
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.enrichment.slow_worker",
        str(marker),
        env=_worker_env(redis_settings),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    observer = make_runtime(redis_settings, worker=False, dispatcher=False)
    await observer.start()
    rescuer = None
    try:
        events = await observer.bus.subscribe(TOPIC_ENRICHED_UNDERLYING)
        tick = make_tick(ts=utcnow(), price=21555.0)
        async with observer.task_queue.borrowed() as queue:
            await queue.send(keys.TASK_PROCESS_TICK, tick=tick)

        async def held() -> bool:
            return marker.exists()

        await wait_until(held, timeout_s=30)
        worker.kill()
        await asyncio.wait_for(worker.wait(), 10)
        assert await observer.repo.list_ticks("NIFTY") == []

        rescuer = make_runtime(redis_settings, dispatcher=False)
        await rescuer.start()

        async def stored() -> bool:
            return len(await observer.repo.list_ticks("NIFTY")) == 1

        await wait_until(stored, timeout_s=20)
        await asyncio.sleep(0.5)  # a second (duplicate) delivery would land here
        assert [t["price"] for t in await observer.repo.list_ticks("NIFTY")] == [21555.0]
        assert len(await drain(events, quiet_s=0.5)) == 1
        client = redis.Redis.from_url(str(redis_settings.redis_url))
        stream = keys.task_stream(redis_settings.redis_prefix)
        assert client.xpending(stream, keys.TASK_CONSUMER_GROUP)["pending"] == 0
        assert client.xlen(stream) == 0
        client.close()
    finally:
        if worker.returncode is None:
            worker.kill()
            await asyncio.wait_for(worker.wait(), 10)
        if rescuer is not None:
            await rescuer.stop()
        await observer.stop()


@pytest.mark.slow
async def test_feed_bus_and_worker_recover_from_a_redis_restart(
    settings: Settings, valkey_server: ValkeyHandle
) -> None:
    settings = settings.model_copy(
        update={
            "redis_url": valkey_server.url,
            "redis_prefix": "restart:",
            "feed_products": ["NIFTY", "AAPL"],
            "task_idle_timeout": 1.0,
        }
    )
    runtime = build_runtime(
        settings,
        frozenset({ROLE_WORKER, ROLE_FEED}),
        components={"enrichment-worker", "enrichment-dispatcher", "feed"},
    )
    await runtime.start()
    try:

        async def ticks(product: str) -> list[dict]:
            return await runtime.repo.list_ticks(product, limit=1000)

        async def flowing() -> bool:
            return len(await ticks("NIFTY")) >= 10

        await wait_until(flowing, timeout_s=15)
        before = {p: {t["timestamp"] for t in await ticks(p)} for p in ("NIFTY", "AAPL")}
        events = await runtime.bus.subscribe(TOPIC_ENRICHED_UNDERLYING)

        await asyncio.to_thread(valkey_server.restart)
        restarted = utcnow()

        async def recovered() -> bool:
            latest = await runtime.repo.list_ticks("NIFTY", limit=1)
            return bool(latest) and latest[0]["timestamp"] > restarted + timedelta(milliseconds=100)

        await wait_until(recovered, timeout_s=5)
        await wait_until(lambda: _has_event_after(events, restarted), timeout_s=5)
        for product, stamps in before.items():
            after = await ticks(product)
            assert stamps <= {t["timestamp"] for t in after}, "a tick stored before the restart was lost"
            assert len({t["timestamp"] for t in after}) == len(after)
    finally:
        await runtime.stop()


async def _has_event_after(events, since) -> bool:  # type: ignore[no-untyped-def]
    """True once an event newer than ``since`` arrives. Reads for at most 0.5 s per call: the
    feed publishes faster than any "quiet" gap, so draining until quiet would never return."""
    from deltastream.core.jsonx import parse_ts

    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        try:
            message = await events.get(timeout=0.05)
        except TimeoutError:
            return False
        if parse_ts(message.payload["timestamp"]) > since:
            return True
    return False
