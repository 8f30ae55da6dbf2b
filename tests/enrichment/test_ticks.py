"""Underlying ticks: idempotent store, change against the session open, latest cache, one publish."""

from __future__ import annotations

from datetime import timedelta

from deltastream.core.bus import TOPIC_ENRICHED_UNDERLYING
from deltastream.enrichment import keys, service
from deltastream.wiring import Runtime
from tests.enrichment.factories import T0, make_tick
from tests.fixtures.runtimes import drain


async def test_tick_is_stored_cached_and_published_once(runtime: Runtime) -> None:
    pipeline = runtime.task_queue.pipeline
    sub = await runtime.bus.subscribe(TOPIC_ENRICHED_UNDERLYING)
    first = make_tick(ts=T0, price=21500.0)
    second = make_tick(ts=T0 + timedelta(seconds=1), price=21521.5, tick_id=1)
    assert await service.process_tick(pipeline, first) is True
    assert await service.process_tick(pipeline, second) is True
    assert await service.process_tick(pipeline, second) is False  # redelivery

    stored = await runtime.repo.list_ticks("NIFTY")
    assert [t["price"] for t in stored] == [21521.5, 21500.0]
    assert stored[0]["change"] == 21.5 and stored[0]["change_pct"] == round(21.5 / 21500 * 100, 4)
    latest = await runtime.cache.get(keys.latest_underlying("NIFTY"))
    assert latest["price"] == 21521.5 and latest["session_open"] == 21500.0 and latest["processed_at"]
    events = [m.payload for m in await drain(sub)]
    assert [e["price"] for e in events] == [21500.0, 21521.5]
    assert all(e["type"] == "UNDERLYING_ENRICHED" and e["schema"] == 1 for e in events)


async def test_session_open_is_the_earliest_tick_of_the_utc_day(runtime: Runtime) -> None:
    pipeline = runtime.task_queue.pipeline
    later = make_tick(ts=T0 + timedelta(minutes=5), price=101.0, product="AAPL")
    earlier = make_tick(ts=T0, price=100.0, product="AAPL")
    next_day = make_tick(ts=T0 + timedelta(days=1), price=110.0, product="AAPL")
    await service.process_tick(pipeline, later)
    await service.process_tick(pipeline, earlier)  # late delivery of the day's first tick
    await service.process_tick(pipeline, next_day)
    by_price = {t["price"]: t for t in await runtime.repo.list_ticks("AAPL")}
    assert by_price[101.0]["change"] == 0.0  # the open it saw at the time
    assert by_price[100.0]["change"] == 0.0
    assert by_price[110.0]["session_open"] == 110.0
    assert await service.session_open(pipeline, "AAPL", 999.0, T0 + timedelta(hours=1)) == 100.0


async def test_an_older_tick_is_stored_but_does_not_replace_the_latest(runtime: Runtime) -> None:
    pipeline = runtime.task_queue.pipeline
    sub = await runtime.bus.subscribe(TOPIC_ENRICHED_UNDERLYING)
    await service.process_tick(pipeline, make_tick(ts=T0 + timedelta(seconds=10), price=21510.0))
    assert await service.process_tick(pipeline, make_tick(ts=T0, price=21490.0)) is True
    assert (await runtime.cache.get(keys.latest_underlying("NIFTY")))["price"] == 21510.0
    assert len(await runtime.repo.list_ticks("NIFTY")) == 2
    assert [m.payload["price"] for m in await drain(sub)] == [21510.0]
