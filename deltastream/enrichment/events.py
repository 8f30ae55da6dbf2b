"""What enrichment publishes, and the types of the payloads that cross contexts.

Topics: enrichment subscribes to :data:`MARKET_TOPICS` and publishes ``enriched:underlying``
(:class:`EnrichedTick`), ``enriched:option_chain`` (:class:`EnrichedChain`), ``enriched:ohlc``
(:class:`Candle`) and ``enriched:surface`` (:class:`Surface`). The same documents are stored and
cached (``latest:*``) and served as-is by the REST API, so these types are the one spelling of
each payload for every context (realtime, marketdata, analytics, and the planned alerts, ai and
trading contexts).

They are ``TypedDict``s, not models: the pipeline builds plain dicts and encodes them once
(``bench/bench_pipeline.py`` shows a compiled model per chain would cost more than enriching it),
and a ``TypedDict`` costs nothing at run time while mypy checks every key. Datetimes are
``datetime`` when built and ISO ``Z`` strings once they have crossed the bus or the cache.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NotRequired, TypedDict

from deltastream.core.bus import (
    TOPIC_ENRICHED_CHAIN,
    TOPIC_ENRICHED_OHLC,
    TOPIC_ENRICHED_SURFACE,
    TOPIC_ENRICHED_UNDERLYING,
    TOPIC_MARKET_CHAIN,
    TOPIC_MARKET_UNDERLYING,
)

__all__ = [
    "ENRICHED_TOPICS",
    "MARKET_TOPICS",
    "TOPIC_ENRICHED_CHAIN",
    "TOPIC_ENRICHED_OHLC",
    "TOPIC_ENRICHED_SURFACE",
    "TOPIC_ENRICHED_UNDERLYING",
    "Candle",
    "EnrichedChain",
    "EnrichedQuote",
    "EnrichedTick",
    "PainPoint",
    "Surface",
    "SurfaceExpiry",
]

MARKET_TOPICS = (TOPIC_MARKET_UNDERLYING, TOPIC_MARKET_CHAIN)
ENRICHED_TOPICS = (
    TOPIC_ENRICHED_UNDERLYING,
    TOPIC_ENRICHED_CHAIN,
    TOPIC_ENRICHED_OHLC,
    TOPIC_ENRICHED_SURFACE,
)

Stamp = datetime | str


class EnrichedTick(TypedDict):
    """``enriched:underlying``: the tick plus its change against the session open."""

    type: Literal["UNDERLYING_ENRICHED"]
    product: str
    price: float
    timestamp: Stamp
    tick_id: int
    volume: int
    session_open: float
    change: float
    change_pct: float
    processed_at: Stamp
    schema: int


class EnrichedQuote(TypedDict):
    """One option of an enriched chain: the feed's quote plus the computed fields (null where no
    volatility reproduces the price)."""

    symbol: str
    product: str
    strike: float
    expiry: str
    option_type: Literal["CALL", "PUT"]
    bid: float
    ask: float
    last: float
    volume: int
    open_interest: int
    mid: float | None
    iv: float | None
    delta: float | None
    gamma: float | None
    vega: float | None
    theta: float | None
    rho: float | None
    oi_change: int | None
    price_change: float | None
    buildup: str | None
    iv_source: str
    timestamp: NotRequired[Stamp | None]


class PainPoint(TypedDict):
    strike: float
    total_pain: float


class EnrichedChain(TypedDict):
    """``enriched:option_chain``: one expiry of one product with every chain-level figure."""

    product: str
    expiry: str
    timestamp: Stamp
    spot_price: float
    forward: float
    tte_years: float
    days_to_expiry: float
    strikes: list[float]
    calls: list[EnrichedQuote]
    puts: list[EnrichedQuote]
    pcr_oi: float
    pcr_volume: float
    atm_strike: float
    atm_straddle_price: float
    max_pain_strike: float | None
    pain_curve: list[PainPoint]
    total_call_oi: int
    total_put_oi: int
    total_call_volume: int
    total_put_volume: int
    call_buildup_otm: int
    put_buildup_otm: int
    atm_iv: float | None
    iv_skew_25d: float | None
    iv_skew_25d_reason: str | None
    expected_move: float
    expected_move_straddle: float
    expected_move_iv: float | None
    gex: float | None
    gex_per_1pct: float | None
    gex_unit: str
    gamma_call_wall: float | None
    gamma_put_wall: float | None
    gamma_flip: float | None
    previous_timestamp: Stamp | None
    processed_at: Stamp
    schema: NotRequired[int]


class Candle(TypedDict):
    """``enriched:ohlc``: one candle of the underlying, ``[start_time, end_time)``."""

    product: str
    window_minutes: int
    open: float
    high: float
    low: float
    close: float
    start_time: Stamp
    end_time: Stamp
    num_ticks: int
    last_tick_time: Stamp
    closed: bool
    schema: NotRequired[int]


class SurfaceExpiry(TypedDict):
    expiry: str
    days_to_expiry: float | None
    tte_years: float
    forward: float
    strikes: list[float]
    ivs: list[float | None]
    call_ivs: list[float | None]
    put_ivs: list[float | None]
    atm_iv: float | None
    avg_iv: float | None
    num_quotes: int


class Surface(TypedDict):
    """``enriched:surface``: IV by strike and expiry, on a strike and a moneyness grid."""

    product: str
    timestamp: Stamp
    spot_price: float
    expiries: list[SurfaceExpiry]
    strike_grid: dict[str, object]
    moneyness_grid: dict[str, object]
    term_structure: list[dict[str, object]]
    schema: NotRequired[int]
