"""The feed role's component on a real runtime: cadence, coverage, determinism, dead letters."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING, InProcessBus
from deltastream.core.errors import DeltaStreamError
from deltastream.core.jsonx import dumps
from deltastream.feed import PRODUCTS
from deltastream.feed.component import FeedComponent
from deltastream.feed.replay import ReplaySource
from deltastream.feed.service import pump
from deltastream.feed.validation import validate_message
from deltastream.settings import Settings
from deltastream.wiring import ROLE_FEED, ROLE_WORKER, Runtime, build_runtime

from .factories import make_tick


def _feed_runtime(settings: Settings, bus: InProcessBus) -> Runtime:
    """A feed-role runtime holding only the feed component (the dispatcher is enrichment's to test)."""
    return build_runtime(settings, frozenset({ROLE_FEED}), components={"feed"}, bus=bus)


def test_wiring_starts_the_feed_last_for_the_feed_role(settings: Settings) -> None:
    runtime = build_runtime(settings, frozenset({ROLE_FEED}))
    assert isinstance(runtime.components[-1], FeedComponent)
    assert [c.name for c in runtime.components] == ["summary", "retention", "feed-monitor", "enrichment-dispatcher", "feed"]
    assert build_runtime(settings, frozenset({ROLE_WORKER})).feed is None


async def _collect(bus: InProcessBus, runtime: Runtime, done: Any, limit_s: float = 20.0) -> list[Any]:
    sub = await bus.subscribe("market:*")
    seen: list[Any] = []
    await runtime.start()
    try:
        async with asyncio.timeout(limit_s):
            while not done(seen):
                seen.append(await sub.get())
    finally:
        await runtime.stop()
    return seen


async def test_ticks_for_every_product_and_chains_for_every_expiry(settings: Settings) -> None:
    bus = InProcessBus()
    runtime = _feed_runtime(settings, bus)

    def covered(seen: list[Any]) -> bool:
        ticks = {m.payload["product"] for m in seen if m.topic == TOPIC_MARKET_UNDERLYING}
        chains = {(m.payload["product"], m.payload["expiry"]) for m in seen if m.topic == TOPIC_MARKET_CHAIN}
        return ticks == set(PRODUCTS) and len(chains) == len(PRODUCTS) * settings.feed_expiries

    seen = await _collect(bus, runtime, covered)

    feed = runtime.feed
    assert feed.ticks >= len(PRODUCTS) and feed.chains >= len(PRODUCTS) * settings.feed_expiries
    for message in seen:
        assert message.payload["schema"] == 1
        event = validate_message(message.payload, message.topic)  # what went out is valid
        assert event.timestamp.tzinfo is not None and message.payload["timestamp"].endswith("Z")
    # every 5th tick of a product carries its chains: never more chain rounds than tick rounds / 5 + 1
    for product in PRODUCTS:
        ticks = sum(1 for m in seen if m.topic == TOPIC_MARKET_UNDERLYING and m.payload["product"] == product)
        rounds = {
            m.payload["timestamp"]
            for m in seen
            if m.topic == TOPIC_MARKET_CHAIN and m.payload["product"] == product
        }
        assert 1 <= len(rounds) <= ticks // settings.feed_chain_every + 1


async def test_same_seed_gives_the_same_prices(settings: Settings) -> None:
    def enough(seen: list[Any]) -> bool:
        return sum(1 for m in seen if m.topic == TOPIC_MARKET_UNDERLYING) >= 5 * len(PRODUCTS)

    def prices(seen: list[Any]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for m in seen:
            if m.topic == TOPIC_MARKET_UNDERLYING:
                out.setdefault(m.payload["product"], []).append(m.payload["price"])
        return {p: v[:4] for p, v in out.items()}

    runs = []
    for _ in range(2):
        bus = InProcessBus()
        runs.append(prices(await _collect(bus, _feed_runtime(settings, bus), enough)))
    assert runs[0] == runs[1]
    assert all(len(v) == 4 for v in runs[0].values())


async def test_stop_ends_publishing(settings: Settings) -> None:
    bus = InProcessBus()
    runtime = _feed_runtime(settings, bus)
    sub = await bus.subscribe(TOPIC_MARKET_UNDERLYING)
    await runtime.start()
    await sub.get(timeout=10)
    await runtime.stop()
    feed = runtime.feed
    ticks = feed.ticks
    await asyncio.sleep(settings.feed_interval * 4)
    assert feed.ticks == ticks


async def test_replay_source_dead_letters_into_the_runtime_repo(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    tick = make_tick(settings)
    path.write_bytes(dumps(tick) + b"\n" + dumps({**tick, "price": -1}) + b"\n" + b"garbage\n")
    settings = settings.model_copy(update={"feed_source": f"replay:{path}?speed=0"})
    bus = InProcessBus()
    runtime = _feed_runtime(settings, bus)
    sub = await bus.subscribe("market:*")
    await runtime.start()
    try:
        feed = runtime.feed
        await asyncio.wait_for(feed.finished.wait(), 10)
        letters = await runtime.repo.list_dead_letters(source="feed")
        assert sorted(d["reason"] for d in letters) == ["bad_json", "invalid_price"]
        assert (await sub.get(timeout=1)).payload["price"] == tick["price"]
        assert sub.qsize() == 0 and feed.rejected == 2
    finally:
        await runtime.stop()


async def test_an_unknown_feed_source_is_a_clear_error(settings: Settings) -> None:
    settings = settings.model_copy(update={"feed_source": "carrier-pigeon"})
    runtime = _feed_runtime(settings, InProcessBus())
    with pytest.raises(DeltaStreamError, match="carrier-pigeon"):
        await runtime.start()
    await runtime.stop()


async def test_a_failing_publish_loses_one_message_not_the_feed(settings: Settings, tmp_path: Path) -> None:
    class FlakyBus(InProcessBus):
        calls = 0

        async def publish(self, topic: str, payload: Any) -> None:
            self.calls += 1
            if self.calls % 2:
                raise ConnectionError("redis went away")
            await super().publish(topic, payload)

    path = tmp_path / "four.jsonl"
    path.write_bytes(b"".join(dumps(make_tick(settings, tick_id=i)) + b"\n" for i in range(4)))
    bus = FlakyBus()
    sub = await bus.subscribe("market:*")
    assert await pump(ReplaySource(path, speed=0), bus) == 2
    assert [(await sub.get(timeout=1)).payload["tick_id"] for _ in range(2)] == [1, 3]
