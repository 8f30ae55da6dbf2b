"""Two API server processes on one Redis: every client gets every event exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from deltastream.core.bus import TOPIC_ENRICHED_CHAIN, TOPIC_ENRICHED_UNDERLYING
from deltastream.core.bus.redis import RedisBus
from deltastream.realtime import external_emitter
from deltastream.settings import Settings
from tests.factories import enriched_chain, enriched_tick
from tests.fixtures.servers import free_port
from tests.realtime.conftest import WAIT_S, ClientFactory, Recorder

SENTINEL = 999_999
START_S = 60.0


@pytest.fixture
def instances(redis_url: str, redis_prefix: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two ``python -m deltastream run-api`` processes sharing Redis (own SQLite files)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTASTREAM_")}
    procs: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp_path / f"{name}.log"
            proc_env = {
                **env,
                "DELTASTREAM_ENV": "test",
                "DELTASTREAM_REDIS_URL": redis_url,
                "DELTASTREAM_REDIS_PREFIX": redis_prefix,
                "DELTASTREAM_SQLITE_PATH": str(tmp_path / f"{name}.db"),
                "DELTASTREAM_LOG_LEVEL": "WARNING",
            }
            cmd = [sys.executable, "-m", "deltastream", "run-api", "--host", "127.0.0.1", "--port", str(port)]
            with log.open("wb") as out:
                proc = subprocess.Popen(cmd, env=proc_env, stdout=out, stderr=subprocess.STDOUT)
            procs.append((proc, f"http://127.0.0.1:{port}", log))
        for proc, url, log in procs:
            _wait_ready(proc, url, log)
        yield [url for _, url, _ in procs]
    finally:
        for proc, _, _ in procs:
            proc.terminate()
        for proc, _, _ in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    import time

    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited {proc.returncode}:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):  # not listening yet
            if httpx.get(url + "/ready", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {START_S}s:\n{log.read_text()[-2000:]}")


@pytest.fixture
async def bus(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisBus]:
    """The test's own handle on the shared bus (another process publishing, as a feed would)."""
    handle = RedisBus(redis_url, prefix=redis_prefix)
    await handle.start()
    try:
        yield handle
    finally:
        await handle.close()


async def _subscribed(client: Recorder, **room: str) -> Recorder:
    await client.call("subscribe", room, "subscribed")
    return client


async def test_bus_events_reach_clients_of_both_instances_exactly_once(
    instances: list[str], bus: RedisBus, connect: ClientFactory
) -> None:
    url_a, url_b = instances
    on_a = await _subscribed(await connect(url_a), type="product", symbol="NIFTY")
    on_b = await _subscribed(await connect(url_b), type="product", symbol="NIFTY")
    chains_on_b = await _subscribed(await connect(url_b), type="chain", symbol="NIFTY")

    for tick_id in range(1, 6):
        await bus.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=tick_id))
    await bus.publish(TOPIC_ENRICHED_CHAIN, enriched_chain())
    await bus.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=SENTINEL))

    for client in (on_a, on_b, chains_on_b):
        await client.wait_for("underlying_update", lambda t: t["tick_id"] == SENTINEL)
        assert [t["tick_id"] for t in client.of("underlying_update")] == [1, 2, 3, 4, 5, SENTINEL]
        assert len(client.of("chain_summary")) == 1
    assert [c["product"] for c in chains_on_b.of("chain_update")] == ["NIFTY"]
    assert on_a.of("chain_update") == on_b.of("chain_update") == []


async def test_an_external_emitter_reaches_every_replica_once(
    instances: list[str], redis_url: str, redis_prefix: str, connect: ClientFactory
) -> None:
    """A process without sockets pushes through the Redis client manager (``{prefix}socketio``)."""
    clients = [await connect(url) for url in instances]
    channel = redis_prefix + "socketio"
    probe = aioredis.Redis.from_url(redis_url)
    try:

        async def listeners() -> int:
            return dict(await probe.pubsub_numsub(channel)).get(channel.encode(), 0)

        async with asyncio.timeout(WAIT_S):
            while await listeners() < len(instances):  # noqa: ASYNC110 - Redis state, nothing to await
                await asyncio.sleep(0.05)
    finally:
        await probe.aclose()

    settings = Settings(env="test", redis_url=redis_url, redis_prefix=redis_prefix)
    emitter = external_emitter(settings)
    try:
        await emitter.emit("alert", {"alert_id": "ops-1", "message": "maintenance at 18:00"}, room="general")
        await emitter.emit("alert", {"alert_id": "ops-2"}, room="general")
        await emitter.emit("alert", {"alert_id": "last"}, room="general")  # a duplicate would precede it
    finally:
        if emitter.redis is not None:
            await emitter.redis.aclose()
    for client in clients:
        await client.wait_for("alert", lambda a: a["alert_id"] == "last")
    assert [[a["alert_id"] for a in c.of("alert")] for c in clients] == [["ops-1", "ops-2", "last"]] * 2
