"""Redis-only behaviour of the bus and the cache: restarts, outages, prefixes, raw bytes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from deltastream.core.bus import Subscription
from deltastream.core.bus.redis import RedisBus
from deltastream.core.cache.redis import RedisCache
from deltastream.core.redis import RedisUnavailableError, redact_url
from tests.fixtures.servers import ValkeyHandle, free_port

RECOVERY_S = 5.0


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def _eventually_delivered(bus: RedisBus, sub: Subscription, topic: str) -> dict[str, object]:
    """Publish probes until one arrives; Redis pub/sub drops whatever is sent during a reconnect."""
    deadline = time.monotonic() + RECOVERY_S
    attempt = 0
    while True:
        attempt += 1
        try:
            await bus.publish(topic, {"probe": attempt})
            return (await sub.get(timeout=0.2)).payload
        except (TimeoutError, RedisUnavailableError):
            if time.monotonic() > deadline:
                raise


async def test_bus_and_cache_recover_after_a_redis_restart(valkey_server: ValkeyHandle) -> None:
    bus = RedisBus(valkey_server.url, prefix="r:")
    cache = RedisCache(valkey_server.url, prefix="r:")
    await bus.start()
    await cache.start()
    try:
        sub = await bus.subscribe("enriched:*")
        await cache.set("k", {"v": 1}, 60)
        assert (await _eventually_delivered(bus, sub, "enriched:underlying"))["probe"] == 1

        await asyncio.to_thread(valkey_server.stop)
        assert await bus.ping() is False
        assert await cache.ping() is False
        during_outage = await bus.subscribe("alerts:*")
        await asyncio.to_thread(valkey_server.start)

        payload = await _eventually_delivered(bus, sub, "enriched:option_chain")
        assert payload["schema"] == 1
        assert "probe" in await _eventually_delivered(bus, during_outage, "alerts:fired")
        await cache.set("k", {"v": 2}, 60)
        assert await cache.get("k") == {"v": 2}
        assert await bus.ping() is True
        assert await cache.ping() is True
    finally:
        await bus.close()
        await cache.close()


async def test_publish_and_cache_fail_clearly_when_redis_stays_down(valkey_server: ValkeyHandle) -> None:
    bus = RedisBus(valkey_server.url, retries=2)
    cache = RedisCache(valkey_server.url, retries=2)
    await bus.start()
    await cache.start()
    try:
        await asyncio.to_thread(valkey_server.stop)

        with pytest.raises(
            RedisUnavailableError, match=r"unreachable.*publish to 'market:underlying'"
        ) as err:
            await bus.publish("market:underlying", {"spot": 1.0})
        assert err.value.status_code == 503
        assert str(valkey_server.port) in err.value.message
        with pytest.raises(RedisUnavailableError, match="cache get"):
            await cache.get("k")
        with pytest.raises(RedisUnavailableError, match="cache set"):
            await cache.set("k", 1, 5)
        assert await bus.ping() is False
    finally:
        await bus.close()
        await cache.close()
        await asyncio.to_thread(valkey_server.start)


async def test_start_against_a_dead_server_raises_a_clear_error() -> None:
    url = f"redis://:hunter2hunter2@127.0.0.1:{free_port()}/0"
    bus = RedisBus(url, retries=1)
    cache = RedisCache(url, retries=1)

    with pytest.raises(RedisUnavailableError, match="DELTASTREAM_REDIS_URL") as bus_err:
        await bus.start()
    with pytest.raises(RedisUnavailableError, match="cache start") as cache_err:
        await cache.start()

    for err in (bus_err, cache_err):
        assert "hunter2" not in err.value.message
    await bus.close()
    await cache.close()


def test_redact_url_hides_only_the_password() -> None:
    assert redact_url("redis://user:pw@host:6380/1") == "redis://user:***@host:6380/1"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"


async def test_prefix_is_applied_on_the_wire_and_stripped_on_delivery(
    redis_url: str, redis_prefix: str, raw: Redis
) -> None:
    bus = RedisBus(redis_url, prefix=redis_prefix)
    other = RedisBus(redis_url, prefix=redis_prefix + "other:")
    await bus.start()
    await other.start()
    try:
        sub = await bus.subscribe("market:*")
        stranger = await other.subscribe("market:*")
        wire = raw.pubsub()
        await wire.subscribe(redis_prefix + "market:underlying")
        await wire.get_message(timeout=1.0)

        await bus.publish("market:underlying", {"spot": 100.5})

        msg = await sub.get(timeout=5.0)
        assert msg.topic == "market:underlying"
        on_wire = await wire.get_message(ignore_subscribe_messages=True, timeout=5.0)
        assert on_wire is not None and on_wire["data"] == msg.data
        await other.publish("market:underlying", {"spot": 1.0})
        assert (await stranger.get(timeout=5.0)).payload["spot"] == 1.0
        assert sub.qsize() == 0
        await wire.aclose()
    finally:
        await bus.close()
        await other.close()


async def test_glob_characters_in_the_prefix_match_only_themselves(redis_url: str, redis_prefix: str) -> None:
    starred = RedisBus(redis_url, prefix=redis_prefix + "a*:")
    plain = RedisBus(redis_url, prefix=redis_prefix + "abc:")
    await starred.start()
    await plain.start()
    try:
        sub = await starred.subscribe("logs:all")
        await plain.publish("logs:all", {"from": "plain"})
        await starred.publish("logs:all", {"from": "starred"})

        assert (await sub.get(timeout=5.0)).payload["from"] == "starred"
        assert sub.qsize() == 0
    finally:
        await starred.close()
        await plain.close()


async def test_foreign_bytes_are_delivered_verbatim_and_junk_is_skipped(
    redis_url: str, redis_prefix: str, raw: Redis
) -> None:
    bus = RedisBus(redis_url, prefix=redis_prefix)
    await bus.start()
    try:
        sub = await bus.subscribe("enriched:*")
        await raw.publish(redis_prefix + "enriched:ohlc", b"not json")
        await raw.publish(redis_prefix + "enriched:ohlc", b"[1, 2]")
        exact = b'{ "open": 1.0,   "schema": 1 }'
        await raw.publish(redis_prefix + "enriched:ohlc", exact)

        msg = await sub.get(timeout=5.0)

        assert msg.data == exact
        assert msg.raw() == exact
        assert msg.payload == {"open": 1.0, "schema": 1}
        assert bus.malformed == 2
    finally:
        await bus.close()


async def test_last_unsubscribe_releases_the_redis_pattern(
    redis_url: str, redis_prefix: str, raw: Redis
) -> None:
    bus = RedisBus(redis_url, prefix=redis_prefix)
    await bus.start()
    try:
        first = await bus.subscribe("alerts:*")
        second = await bus.subscribe("alerts:*")
        assert await raw.publish(redis_prefix + "alerts:fired", b"{}") == 1

        await first.close()
        assert await raw.publish(redis_prefix + "alerts:fired", b"{}") == 1
        await second.close()

        deadline = time.monotonic() + 5.0
        while await raw.publish(redis_prefix + "alerts:fired", b"{}") != 0:
            assert time.monotonic() < deadline, "pattern still subscribed after the last close"
            await asyncio.sleep(0.05)
    finally:
        await bus.close()


async def test_close_leaves_no_tasks_behind(redis_url: str, redis_prefix: str) -> None:
    before = asyncio.all_tasks()
    bus = RedisBus(redis_url, prefix=redis_prefix)
    await bus.start()
    await bus.subscribe("market:*")
    assert any(t.get_name() == "redis-bus-reader" for t in asyncio.all_tasks())

    await bus.close()
    await bus.close()

    assert asyncio.all_tasks() - before == {asyncio.current_task()} - before
    with pytest.raises(RuntimeError, match="closed"):
        await bus.subscribe("market:*")
