"""The whole embedded pipeline: every role in one process, simulator → storage, cache and bus."""

from __future__ import annotations

import asyncio

from deltastream.core.bus import (
    TOPIC_ENRICHED_CHAIN,
    TOPIC_ENRICHED_OHLC,
    TOPIC_ENRICHED_SURFACE,
    TOPIC_ENRICHED_UNDERLYING,
)
from deltastream.enrichment import keys
from deltastream.settings import Settings
from deltastream.wiring import ALL_ROLES, build_runtime
from tests.fixtures.runtimes import drain

PRODUCTS = ["NIFTY", "AAPL", "SPY"]


async def test_all_roles_enrich_store_cache_and_publish(settings: Settings) -> None:
    settings = settings.model_copy(update={"feed_products": PRODUCTS, "surface_interval": 0.5})
    runtime = build_runtime(settings, ALL_ROLES)
    await runtime.start()
    try:
        sub = await runtime.bus.subscribe("enriched:*")
        await asyncio.sleep(2.0)
        await runtime.feed.stop()
        events = await drain(sub, quiet_s=0.5)
        topics = {m.topic for m in events}
        assert {
            TOPIC_ENRICHED_UNDERLYING,
            TOPIC_ENRICHED_CHAIN,
            TOPIC_ENRICHED_OHLC,
            TOPIC_ENRICHED_SURFACE,
        } <= topics
        assert all(m.payload.get("schema") == 1 for m in events)

        repo, cache = runtime.repo, runtime.cache
        for product in PRODUCTS:
            ticks = await repo.list_ticks(product, limit=1000)
            assert len(ticks) >= 10, product
            assert len({t["timestamp"] for t in ticks}) == len(ticks)
            expiries = await repo.list_expiries(product)
            assert len(expiries) == settings.feed_expiries
            chain = await repo.latest_chain(product, expiries[0])
            assert chain is not None and chain["pcr_oi"] > 0 and chain["atm_iv"] is not None
            assert len(await repo.list_candles(product, 1)) >= 1
            assert await repo.latest_surface(product) is not None
            assert await cache.get_raw(keys.latest_underlying(product)) is not None
            assert await cache.get_raw(keys.latest_chain(product, expiries[0])) is not None
            assert await cache.get(keys.latest_pcr(product, expiries[0])) is not None
            assert await cache.get(keys.ohlc(product, 5)) is not None
            assert (await cache.get(keys.surface(product)))["product"] == product
            assert (await cache.get(keys.live_expiries(product)))["expiries"] == expiries
        assert await repo.list_dead_letters() == []
        published_chains = [m for m in events if m.topic == TOPIC_ENRICHED_CHAIN]
        stored = 0
        for product in PRODUCTS:
            stored += len(await repo.list_chains(product, limit=1000))
        assert stored == len(published_chains) > 0  # each stored chain published exactly once
    finally:
        await runtime.stop()
