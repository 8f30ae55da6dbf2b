"""Response models of the market-data routes (documentation and contract; extra fields pass through).

Numbers that can be undefined (an IV below intrinsic, a ratio with no denominator) are ``null``,
never NaN. Datetimes are ISO-8601 UTC with a ``Z``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_TS = "2025-01-03T12:30:00Z"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Tick(_Open):
    product: str
    price: float
    timestamp: datetime
    tick_id: int | None = None
    volume: int | None = None
    change: float | None = Field(default=None, description="Price change against the session open")
    change_pct: float | None = Field(default=None, description="Percent change against the session open")
    processed_at: datetime | None = None


class OptionQuote(_Open):
    symbol: str | None = Field(default=None, description="`{product}{YYYYMMDD}{C|P}{strike}`")
    strike: float
    expiry: str | None = None
    option_type: Literal["CALL", "PUT"] | None = None
    bid: float | None = None
    ask: float | None = None
    last: float | None = None
    volume: int | None = None
    open_interest: int | None = None
    oi_change: int | None = Field(default=None, description="OI change against the previous snapshot")
    iv: float | None = Field(
        default=None, description="Implied vol (decimal); null when no vol fits the price"
    )
    iv_source: str | None = Field(
        default=None,
        description="Where the IV comes from: 'mid' (own mid), 'otm_parity' (the other side at the same "
        "strike, put-call parity), 'none' (no vol)",
    )
    delta: float | None = None
    gamma: float | None = None
    vega: float | None = None
    theta: float | None = None
    rho: float | None = None


class PainPoint(BaseModel):
    strike: float
    total_pain: float = Field(description="Total payout to option holders if settled at this strike")


class EnrichedChain(_Open):
    """A chain plus the enrichment fields (SPEC §3)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "expiry": "2025-01-09",
                "spot_price": 21503.45,
                "strikes": [21450.0, 21500.0, 21550.0],
                "calls": [{"symbol": "NIFTY20250109C21500", "strike": 21500.0, "last": 120.5, "iv": 0.142}],
                "puts": [{"symbol": "NIFTY20250109P21500", "strike": 21500.0, "last": 115.1, "iv": 0.151}],
                "timestamp": _TS,
                "pcr_oi": 1.0832,
                "pcr_volume": 0.9731,
                "atm_strike": 21500.0,
                "atm_straddle_price": 235.6,
                "max_pain_strike": 21450.0,
                "total_call_oi": 1250000,
                "total_put_oi": 1354000,
                "atm_iv": 0.146,
                "expected_move": 200.26,
                "days_to_expiry": 6.1,
                "processed_at": "2025-01-03T12:30:00.004Z",
            }
        },
    )

    product: str
    expiry: str
    spot_price: float
    strikes: list[float] = Field(default_factory=list)
    calls: list[OptionQuote] = Field(default_factory=list)
    puts: list[OptionQuote] = Field(default_factory=list)
    timestamp: datetime
    pcr_oi: float | None = None
    pcr_volume: float | None = None
    atm_strike: float | None = None
    atm_straddle_price: float | None = None
    max_pain_strike: float | None = None
    pain_curve: list[PainPoint] | None = None
    total_call_oi: float | None = None
    total_put_oi: float | None = None
    call_buildup_otm: float | None = None
    put_buildup_otm: float | None = None
    atm_iv: float | None = None
    iv_skew_25d: float | None = Field(
        default=None, description="IV(25Δ put) − IV(25Δ call), interpolated in delta"
    )
    iv_skew_25d_reason: str | None = Field(
        default=None, description="Why iv_skew_25d is null: 'no_25d_call' or 'no_25d_put'"
    )
    expected_move: float | None = Field(
        default=None, description="ATM straddle × 0.85 (= expected_move_straddle)"
    )
    expected_move_straddle: float | None = Field(default=None, description="ATM straddle × 0.85")
    expected_move_iv: float | None = Field(default=None, description="S·σ_ATM·√T, one sigma to expiry")
    gex: float | None = Field(default=None, description="Net gamma exposure (= gex_per_1pct)")
    gex_per_1pct: float | None = Field(
        default=None, description="Σ ±Γ·OI·lot·S²·0.01: product currency per 1% spot move, puts negative"
    )
    gex_unit: str | None = None
    gamma_call_wall: float | None = Field(default=None, description="Strike with the largest call GEX")
    gamma_put_wall: float | None = Field(default=None, description="Strike with the largest put |GEX|")
    gamma_flip: float | None = Field(
        default=None, description="Strike level where cumulative net GEX turns sign"
    )
    days_to_expiry: float | None = None
    processed_at: datetime | None = None


class Candle(_Open):
    product: str
    window_minutes: int
    open: float
    high: float
    low: float
    close: float
    start_time: datetime
    end_time: datetime
    num_ticks: int


class ProductsResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"products": ["NIFTY", "BANKNIFTY", "AAPL"]}})

    products: list[str] = Field(description="Products this deployment streams")


class TicksResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "count": 1,
                "ticks": [{"product": "NIFTY", "price": 21503.45, "timestamp": _TS, "tick_id": 42}],
            }
        }
    )

    product: str
    count: int
    ticks: list[Tick] = Field(description="Newest first")


class ChainsResponse(BaseModel):
    product: str
    count: int
    chains: list[EnrichedChain] = Field(description="Newest first")


class ExpiriesResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"product": "NIFTY", "expiries": ["2025-01-09", "2025-01-16"]}}
    )

    product: str
    expiries: list[str] = Field(description="`YYYY-MM-DD`, ascending; every expiry with a stored chain")


class OhlcResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "window_minutes": 5,
                "count": 1,
                "candles": [
                    {
                        "product": "NIFTY",
                        "window_minutes": 5,
                        "open": 21500.0,
                        "high": 21512.5,
                        "low": 21496.1,
                        "close": 21503.45,
                        "start_time": "2025-01-03T12:25:00Z",
                        "end_time": "2025-01-03T12:30:00Z",
                        "num_ticks": 300,
                    }
                ],
                "current": None,
            }
        }
    )

    product: str
    window_minutes: Literal[1, 5, 15]
    count: int
    candles: list[Candle] = Field(description="Closed candles, newest first")
    current: dict[str, Any] | None = Field(default=None, description="The in-progress candle, if any")
