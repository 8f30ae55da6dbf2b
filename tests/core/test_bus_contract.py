"""The EventBus contract, run against every backend (in-process and a real Redis)."""

from __future__ import annotations

import asyncio
import math

import pytest
from prometheus_client import REGISTRY

from deltastream.core import jsonx
from deltastream.core.bus import SCHEMA_VERSION, EventBus, Message, Subscription

WAIT_S = 5.0


async def take(sub: Subscription, n: int) -> list[Message]:
    return [await sub.get(timeout=WAIT_S) for _ in range(n)]


async def test_exact_topic_receives_only_that_topic(bus: EventBus) -> None:
    sub = await bus.subscribe("market:underlying")
    await bus.publish("market:option_chain", {"n": 1})
    await bus.publish("market:underlying_other", {"n": 2})
    await bus.publish("market:underlying", {"n": 3})

    [msg] = await take(sub, 1)

    assert msg.topic == "market:underlying"
    assert msg.payload["n"] == 3
    assert sub.qsize() == 0


async def test_glob_pattern_matches_the_family(bus: EventBus) -> None:
    sub = await bus.subscribe("enriched:*")
    await bus.publish("enriched:underlying", {"n": 1})
    await bus.publish("market:underlying", {"n": 2})
    await bus.publish("enriched:option_chain", {"n": 3})
    await bus.publish("alerts:fired", {"n": 4})
    await bus.publish("enriched:surface", {"n": 5})

    got = await take(sub, 3)

    assert [(m.topic, m.payload["n"]) for m in got] == [
        ("enriched:underlying", 1),
        ("enriched:option_chain", 3),
        ("enriched:surface", 5),
    ]


async def test_overlapping_patterns_deliver_once_per_subscription(bus: EventBus) -> None:
    both = await bus.subscribe("enriched:*", "enriched:option_chain")
    narrow = await bus.subscribe("enriched:option_chain")
    await bus.publish("enriched:option_chain", {"n": 1})
    await bus.publish("enriched:ohlc", {"n": 2})

    got = await take(both, 2)
    [only] = await take(narrow, 1)

    assert [m.payload["n"] for m in got] == [1, 2]
    assert only.payload["n"] == 1
    assert both.qsize() == 0
    assert narrow.qsize() == 0


async def test_subscribe_returns_only_once_the_subscription_is_live(bus: EventBus) -> None:
    first = asyncio.create_task(bus.subscribe("enriched:ohlc"))
    await asyncio.sleep(0)  # the first subscribe is now waiting for its acknowledgement
    second = await bus.subscribe("enriched:ohlc")
    await bus.publish("enriched:ohlc", {"n": 1})

    assert (await second.get(timeout=WAIT_S)).payload["n"] == 1
    assert (await (await first).get(timeout=WAIT_S)).payload["n"] == 1


async def test_every_subscriber_gets_every_message(bus: EventBus) -> None:
    subs = [await bus.subscribe("logs:all") for _ in range(3)]
    for i in range(20):
        await bus.publish("logs:all", {"i": i})

    for sub in subs:
        got = await take(sub, 20)
        assert [m.payload["i"] for m in got] == list(range(20))


async def test_messages_from_one_publisher_arrive_in_order(bus: EventBus) -> None:
    sub = await bus.subscribe("market:*")
    topics = ["market:underlying", "market:option_chain"]
    for seq in range(200):
        await bus.publish(topics[seq % 2], {"seq": seq})

    got = await take(sub, 200)

    assert [m.payload["seq"] for m in got] == list(range(200))
    assert [m.topic for m in got] == [topics[i % 2] for i in range(200)]


async def test_every_message_carries_a_schema_version(bus: EventBus) -> None:
    sub = await bus.subscribe("alerts:fired")
    original = {"rule": "pcr_above"}
    await bus.publish("alerts:fired", original)
    await bus.publish("alerts:fired", {"rule": "spot_below", "schema": 2})

    first, second = await take(sub, 2)

    assert first.payload == {"rule": "pcr_above", "schema": SCHEMA_VERSION}
    assert second.payload["schema"] == 2
    assert "schema" not in original, "publish must not mutate the caller's payload"


async def test_payload_round_trips_unicode_nested_and_floats(bus: EventBus) -> None:
    sub = await bus.subscribe("enriched:option_chain")
    payload = {
        "product": "NIFTY",
        "note": "₹ Δ γ — 日本語 🚀",
        "strikes": [{"strike": 21000.0, "iv": 0.1234567890123, "greeks": {"delta": -0.5, "gamma": 1e-9}}],
        "tiny": 5e-324,
        "big": 1.7976931348623157e308,
        "neg_zero": -0.0,
        "count": 2**53,
        "flags": [True, False, None],
        "empty": {"list": [], "dict": {}},
    }
    await bus.publish("enriched:option_chain", payload)

    [msg] = await take(sub, 1)

    assert msg.payload == {**payload, "schema": SCHEMA_VERSION}
    assert math.copysign(1.0, msg.payload["neg_zero"]) == -1.0
    assert jsonx.loads(msg.raw()) == msg.payload


async def test_nan_is_delivered_as_null(bus: EventBus) -> None:
    sub = await bus.subscribe("enriched:surface")
    await bus.publish("enriched:surface", {"iv": float("nan"), "ok": 0.2})

    [msg] = await take(sub, 1)

    assert jsonx.loads(msg.raw()) == {"iv": None, "ok": 0.2, "schema": SCHEMA_VERSION}


async def test_closed_subscription_stops_receiving(bus: EventBus) -> None:
    gone = await bus.subscribe("market:underlying")
    stays = await bus.subscribe("market:underlying")
    await bus.publish("market:underlying", {"n": 1})
    assert (await gone.get(timeout=WAIT_S)).payload["n"] == 1

    await gone.close()
    await bus.publish("market:underlying", {"n": 2})
    got = await take(stays, 2)

    assert [m.payload["n"] for m in got] == [1, 2]
    with pytest.raises(StopAsyncIteration):
        await gone.get(timeout=WAIT_S)
    assert [m async for m in gone] == []


async def test_closing_the_bus_ends_every_iteration(bus: EventBus) -> None:
    sub = await bus.subscribe("logs:all")
    await bus.publish("logs:all", {"n": 1})
    assert (await sub.get(timeout=WAIT_S)).payload["n"] == 1

    consumer = asyncio.create_task(_collect(sub))
    await asyncio.sleep(0)
    await bus.close()

    assert await asyncio.wait_for(consumer, WAIT_S) == []


async def _collect(sub: Subscription) -> list[Message]:
    return [m async for m in sub]


def _dropped_metric() -> float:
    return REGISTRY.get_sample_value("deltastream_bus_dropped") or 0.0


async def test_slow_subscriber_drops_oldest_without_blocking_others(bus: EventBus) -> None:
    metric_before = _dropped_metric()
    slow = await bus.subscribe("market:option_chain", maxsize=2)
    fast = await bus.subscribe("market:option_chain")
    for i in range(50):
        await bus.publish("market:option_chain", {"i": i})

    got = await take(fast, 50)

    assert [m.payload["i"] for m in got] == list(range(50))
    assert slow.dropped == 48
    assert bus.dropped >= 48
    assert _dropped_metric() - metric_before == 48
    assert [m.payload["i"] for m in await take(slow, 2)] == [48, 49]


async def test_dropped_count_survives_closing_the_subscription(bus: EventBus) -> None:
    slow = await bus.subscribe("alerts:fired", maxsize=1)
    probe = await bus.subscribe("alerts:fired")
    for i in range(5):
        await bus.publish("alerts:fired", {"i": i})
    await take(probe, 5)

    await slow.close()

    assert bus.dropped == 4


async def test_subscribe_needs_a_pattern(bus: EventBus) -> None:
    with pytest.raises(ValueError, match="pattern"):
        await bus.subscribe()


async def test_ping_reports_a_live_bus(bus: EventBus) -> None:
    assert await bus.ping() is True
