"""Chains through the embedded pipeline: stored once, cached, published once, compared to the last."""

from __future__ import annotations

from datetime import timedelta

from deltastream.core.bus import TOPIC_ENRICHED_CHAIN, TOPIC_MARKET_CHAIN
from deltastream.core.jsonx import loads, parse_ts
from deltastream.enrichment import keys, service
from deltastream.wiring import Runtime
from tests.enrichment.factories import T0, make_chain
from tests.fixtures.runtimes import drain, wait_until


async def test_the_same_chain_delivered_three_times_is_stored_and_published_once(
    any_runtime: Runtime,
) -> None:
    runtime = any_runtime
    sub = await runtime.bus.subscribe(TOPIC_ENRICHED_CHAIN)
    chain = make_chain("NIFTY")
    for _ in range(3):
        await runtime.bus.publish(TOPIC_MARKET_CHAIN, chain)

    async def stored() -> bool:
        return len(await runtime.repo.list_chains("NIFTY")) >= 1

    await wait_until(stored)
    events = await drain(sub, quiet_s=0.5)
    assert len(await runtime.repo.list_chains("NIFTY", limit=10)) == 1
    assert len(events) == 1
    enriched = events[0].payload
    cached = await runtime.cache.get_raw(keys.latest_chain("NIFTY", chain["expiry"]))
    assert cached is not None and loads(cached) == loads(events[0].raw())
    assert enriched["schema"] == 1 and enriched["processed_at"]
    pcr = await runtime.cache.get(keys.latest_pcr("NIFTY", chain["expiry"]))
    assert pcr == {
        "pcr_oi": enriched["pcr_oi"],
        "pcr_volume": enriched["pcr_volume"],
        "timestamp": chain["timestamp"].replace("+00:00", "Z"),
    }


async def test_build_up_uses_the_previous_stored_snapshot(runtime: Runtime) -> None:
    pipeline = runtime.task_queue.pipeline
    first = make_chain("AAPL")
    second = make_chain("AAPL", ts=T0 + timedelta(seconds=5), oi_scale=1.2)
    assert await service.enrich_and_store_chain(pipeline, first)
    pipeline.recent_chains.clear()  # force the storage path for the previous snapshot
    assert await service.enrich_and_store_chain(pipeline, second)
    (latest, earlier) = await runtime.repo.list_chains("AAPL")
    assert parse_ts(latest["previous_timestamp"]) == earlier["timestamp"]
    changes = [q["oi_change"] for q in latest["calls"]]
    assert changes == [
        b["open_interest"] - a["open_interest"]
        for a, b in zip(earlier["calls"], latest["calls"], strict=True)
    ]
    assert any(c > 0 for c in changes)


async def test_an_older_chain_is_stored_but_does_not_replace_the_latest(runtime: Runtime) -> None:
    pipeline = runtime.task_queue.pipeline
    sub = await runtime.bus.subscribe(TOPIC_ENRICHED_CHAIN)
    newer = make_chain("SPY", ts=T0 + timedelta(seconds=10))
    older = make_chain("SPY", ts=T0, spot=470.0)
    assert await service.enrich_and_store_chain(pipeline, newer)
    assert await service.enrich_and_store_chain(pipeline, older)
    assert len(await runtime.repo.list_chains("SPY")) == 2
    cached = await runtime.cache.get(keys.latest_chain("SPY", newer["expiry"]))
    assert cached["spot_price"] == newer["spot_price"]
    assert [m.payload["spot_price"] for m in await drain(sub)] == [newer["spot_price"]]
