"""OHLC candles: window alignment, folding, idempotency under redelivery, storage and publishing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deltastream.core.bus import TOPIC_ENRICHED_OHLC
from deltastream.core.jsonx import loads
from deltastream.enrichment import keys, ohlc, service
from deltastream.wiring import Runtime
from tests.enrichment.factories import make_tick
from tests.fixtures.runtimes import drain

T = datetime(2025, 1, 20, 9, 14, 30, tzinfo=UTC)


def test_window_start_is_aligned_to_the_epoch() -> None:
    assert ohlc.window_start(T, 1) == datetime(2025, 1, 20, 9, 14, tzinfo=UTC)
    assert ohlc.window_start(T, 5) == datetime(2025, 1, 20, 9, 10, tzinfo=UTC)
    assert ohlc.window_start(T, 15) == datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
    assert ohlc.window_start(datetime(2025, 1, 20, 9, 15, tzinfo=UTC), 15) == datetime(
        2025, 1, 20, 9, 15, tzinfo=UTC
    )


def test_fold_matches_a_brute_force_candle() -> None:
    prices = [100.0, 103.5, 99.0, 101.0, 104.0, 102.5]
    state = None
    for i, price in enumerate(prices):
        state = ohlc.apply_tick(
            state, "NIFTY", 5, price, datetime(2025, 1, 20, 9, 10, 5 + i * 10, tzinfo=UTC)
        ).current
    assert state is not None
    assert (state["open"], state["high"], state["low"], state["close"]) == (100.0, 104.0, 99.0, 102.5)
    assert state["num_ticks"] == len(prices)
    assert state["end_time"] - state["start_time"] == timedelta(minutes=5)


def test_a_duplicate_or_late_tick_changes_nothing() -> None:
    first = ohlc.apply_tick(None, "NIFTY", 1, 100.0, T).current
    second = ohlc.apply_tick(first, "NIFTY", 1, 101.0, T + timedelta(seconds=1)).current
    again = ohlc.apply_tick(second, "NIFTY", 1, 101.0, T + timedelta(seconds=1))
    late = ohlc.apply_tick(second, "NIFTY", 1, 500.0, T + timedelta(milliseconds=500))
    assert not again.changed and not late.changed
    assert again.current["num_ticks"] == late.current["num_ticks"] == 2
    assert late.current["high"] == 101.0


def test_a_tick_in_the_next_window_closes_the_candle() -> None:
    live = ohlc.apply_tick(None, "NIFTY", 1, 100.0, T).current
    update = ohlc.apply_tick(live, "NIFTY", 1, 105.0, T + timedelta(seconds=45))
    assert update.closed is not None and update.closed["closed"] is True
    assert update.closed["close"] == 100.0
    assert update.current["open"] == 105.0 and update.current["num_ticks"] == 1
    assert update.current["start_time"] == datetime(2025, 1, 20, 9, 15, tzinfo=UTC)


async def test_candles_are_stored_cached_and_published_once_per_tick(runtime: Runtime) -> None:
    pipeline = runtime.task_queue.pipeline
    sub = await runtime.bus.subscribe(TOPIC_ENRICHED_OHLC)
    ticks = [make_tick(ts=T + timedelta(seconds=i * 20), price=100.0 + i) for i in range(5)]
    for tick in ticks:
        await service.update_candles(pipeline, tick)
    for tick in ticks:  # redelivered: must not double-count
        assert await service.update_candles(pipeline, tick) == []

    one_minute = await runtime.repo.list_candles("NIFTY", 1)
    assert [c["num_ticks"] for c in one_minute] == [3, 2]  # 09:15 (3 ticks), 09:14 (2 ticks)
    assert one_minute[1]["close"] == 101.0 and one_minute[0]["open"] == 102.0
    fifteen = await runtime.repo.list_candles("NIFTY", 15)
    assert [(c["num_ticks"], c["high"], c["low"]) for c in fifteen] == [(3, 104.0, 102.0), (2, 101.0, 100.0)]
    cached = loads(await runtime.cache.get_raw(keys.ohlc("NIFTY", 5)))
    assert (cached["num_ticks"], cached["open"], cached["close"]) == (3, 102.0, 104.0)

    events = [m.payload for m in await drain(sub)]
    # 5 ticks x 3 windows, plus the three candles (1, 5 and 15 min) closed at 09:15
    assert len(events) == 5 * 3 + 3
    assert sorted(e["window_minutes"] for e in events if e["closed"]) == [1, 5, 15]
