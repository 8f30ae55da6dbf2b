"""OHLC candles aligned to window boundaries, folded one tick at a time (pure functions).

A candle covers ``[start_time, end_time)`` where ``start_time`` is a multiple of the window since
the Unix epoch (UTC): a 5-minute candle starts at :00, :05, :10 ... Its state is a plain dict, so it
can live in the cache between ticks:

``{product, window_minutes, open, high, low, close, start_time, end_time, num_ticks,
last_tick_time, closed}``

Idempotency: a tick whose timestamp is not after ``last_tick_time`` is treated as already counted
(a redelivered tick has the same timestamp), so a duplicate never changes the candle and never
double-counts ``num_ticks``. The price is per product and ticks of one product arrive in order, so
the only ticks this drops are late ones; a late tick is still stored with the ticks, it just does
not move the live candle. A tick for an older window than the live candle is ignored likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from deltastream.core.jsonx import parse_ts
from deltastream.enrichment.events import Candle

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CandleUpdate:
    """The result of folding one tick: the live candle, and the one it closed (if any)."""

    current: Candle
    closed: Candle | None
    changed: bool


def window_start(ts: datetime, window_minutes: int) -> datetime:
    """The start of the ``window_minutes`` window containing ``ts`` (aware UTC)."""
    width_us = window_minutes * 60_000_000
    elapsed = ts.astimezone(UTC) - _EPOCH
    elapsed_us = (elapsed.days * 86_400 + elapsed.seconds) * 1_000_000 + elapsed.microseconds
    return _EPOCH + timedelta(microseconds=elapsed_us - elapsed_us % width_us)


def new_candle(product: str, window_minutes: int, price: float, ts: datetime) -> Candle:
    start = window_start(ts, window_minutes)
    return {
        "product": product,
        "window_minutes": window_minutes,
        "open": price,
        "high": price,
        "low": price,
        "close": price,
        "start_time": start,
        "end_time": start + timedelta(minutes=window_minutes),
        "num_ticks": 1,
        "last_tick_time": ts,
        "closed": False,
    }


def apply_tick(
    state: Candle | None, product: str, window_minutes: int, price: float, ts: datetime
) -> CandleUpdate:
    """Fold one tick into the live candle ``state`` (as stored: timestamps may be ISO strings).

    A tick in a later window closes ``state`` (returned as ``closed`` with ``closed=True``) and
    opens a new candle. ``changed`` is False when the tick was a duplicate or late.
    """
    if state is None:
        return CandleUpdate(new_candle(product, window_minutes, price, ts), None, True)
    live_start, last_tick = parse_ts(state["start_time"]), parse_ts(state["last_tick_time"])
    live: Candle = {
        **state,
        "start_time": live_start,
        "end_time": parse_ts(state["end_time"]),
        "last_tick_time": last_tick,
    }
    start = window_start(ts, window_minutes)
    if start > live_start:
        closed: Candle = {**live, "closed": True}
        return CandleUpdate(new_candle(product, window_minutes, price, ts), closed, True)
    if start < live_start or ts <= last_tick:
        return CandleUpdate(live, None, False)
    updated: Candle = {
        **live,
        "high": max(live["high"], price),
        "low": min(live["low"], price),
        "close": price,
        "num_ticks": live["num_ticks"] + 1,
        "last_tick_time": ts,
    }
    return CandleUpdate(updated, None, True)

