"""Analytics response models. Seed-compatible fields (SPEC §7.1) are kept beside the new ones."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from deltastream.marketdata.schemas import PainPoint

_TS = "2025-01-03T12:30:00Z"
ExpirySource = Literal["requested", "nearest"]


class PcrPoint(BaseModel):
    expiry: str
    pcr_oi: float | None = Field(default=None, description="Σ put OI / Σ call OI (0 when no call OI)")
    pcr_volume: float | None = Field(default=None, description="Σ put volume / Σ call volume")
    timestamp: datetime


class PcrResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "expiry": None,
                "hours": 24,
                "latest": [
                    {"expiry": "2025-01-09", "pcr_oi": 1.0832, "pcr_volume": 0.9731, "timestamp": _TS}
                ],
                "data_points": 1,
                "pcr_trend": [
                    {"expiry": "2025-01-09", "pcr_oi": 1.0832, "pcr_volume": 0.9731, "timestamp": _TS}
                ],
            }
        }
    )

    product: str
    expiry: str | None = Field(description="The expiry filter, or null for every live expiry")
    hours: int = Field(description="Look-back of `pcr_trend` (and of `history` unless `start` is given)")
    latest: list[PcrPoint] = Field(description="Newest PCR of each live expiry, newest first")
    data_points: int = Field(description="Length of `pcr_trend` (seed field)")
    pcr_trend: list[PcrPoint] = Field(
        description="Seed shape: up to 100 points in the last `hours`, newest first"
    )
    history: list[PcrPoint] | None = Field(
        default=None,
        description="With `history=true`: the time series, newest first (`order=asc`: oldest first), up to `limit` points",
    )


class SurfaceExpiry(BaseModel):
    model_config = ConfigDict(extra="allow")

    expiry: str
    days_to_expiry: float | None = None
    strikes: list[float]
    ivs: list[float | None] = Field(description="OTM IV per strike (puts below spot, calls above)")
    call_ivs: list[float | None] = Field(description="Call IV per strike (seed field)")
    put_ivs: list[float | None] = Field(description="Put IV per strike (seed field)")
    atm_iv: float | None = None
    avg_iv: float | None = Field(description="Mean of the defined IVs (seed field)")
    num_quotes: int = Field(description="Quotes with a defined IV (seed field)")


class SurfaceResponse(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "timestamp": _TS,
                "expiries": [
                    {
                        "expiry": "2025-01-09",
                        "days_to_expiry": 6.1,
                        "strikes": [21450.0, 21500.0, 21550.0],
                        "ivs": [0.151, 0.146, 0.143],
                        "call_ivs": [0.149, 0.146, 0.143],
                        "put_ivs": [0.151, 0.147, 0.145],
                        "atm_iv": 0.146,
                        "avg_iv": 0.1467,
                        "num_quotes": 6,
                    }
                ],
            }
        },
    )

    product: str
    timestamp: datetime
    expiries: list[SurfaceExpiry]


class MaxPainResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "expiry": "2025-01-09",
                "expiry_source": "nearest",
                "max_pain_strike": 21450.0,
                "pain_curve": [
                    {"strike": 21450.0, "total_pain": 1.2e9},
                    {"strike": 21500.0, "total_pain": 1.3e9},
                ],
                "spot_price": 21503.45,
                "distance_from_spot": -53.45,
                "distance_pct": -0.2486,
                "total_call_oi": 1250000,
                "total_put_oi": 1354000,
                "timestamp": _TS,
            }
        }
    )

    product: str
    expiry: str
    expiry_source: ExpirySource = Field(description="`nearest` when no expiry was asked for")
    max_pain_strike: float | None
    pain_curve: list[PainPoint] = Field(description="Total holder payout per settlement strike, ascending")
    spot_price: float
    distance_from_spot: float | None = Field(description="max_pain_strike − spot_price")
    distance_pct: float | None = Field(description="distance_from_spot / spot_price × 100")
    total_call_oi: int | float | None
    total_put_oi: int | float | None
    timestamp: datetime


class StrikeOi(BaseModel):
    strike: float
    call_oi: int | None = None
    put_oi: int | None = None
    call_oi_change: int | None = None
    put_oi_change: int | None = None
    call_buildup: str | None = Field(
        default=None,
        description="long_buildup | short_buildup | short_covering | long_unwinding | neutral, or null",
    )
    put_buildup: str | None = None
    call_volume: int | None = None
    put_volume: int | None = None
    call_last: float | None = None
    put_last: float | None = None


class OiAnalysisResponse(BaseModel):
    product: str
    expiry: str
    expiry_source: ExpirySource
    spot_price: float
    atm_strike: float | None = None
    max_pain_strike: float | None = None
    pcr_oi: float | None = None
    total_call_oi: int | float | None = None
    total_put_oi: int | float | None = None
    total_call_oi_change: int = 0
    total_put_oi_change: int = 0
    timestamp: datetime
    strikes: list[StrikeOi]


class BuildupBands(BaseModel):
    itm: int = Field(description="Σ OI in the money (outside the ATM band)")
    atm: int = Field(description="Σ OI with strike within 1% of spot")
    otm: int = Field(description="Σ OI out of the money (outside the ATM band)")


class OiBuildupResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "expiry": "2025-01-09",
                "spot_price": 21503.45,
                "call_buildup": {"itm": 310000, "atm": 420000, "otm": 520000},
                "put_buildup": {"itm": 290000, "atm": 450000, "otm": 614000},
                "timestamp": _TS,
            }
        }
    )

    product: str
    expiry: str
    expiry_source: ExpirySource = "requested"
    spot_price: float
    call_buildup: BuildupBands
    put_buildup: BuildupBands
    timestamp: datetime


class IvPoint(BaseModel):
    timestamp: datetime
    expiry: str
    atm_iv: float


class IvResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "expiry": None,
                "lookback_hours": 168,
                "current_iv": 0.146,
                "iv_rank": 42.5,
                "iv_percentile": 55.0,
                "min_iv": 0.121,
                "max_iv": 0.18,
                "observations": 120,
                "history": [{"timestamp": _TS, "expiry": "2025-01-09", "atm_iv": 0.146}],
            }
        }
    )

    product: str
    expiry: str | None = Field(
        description="The expiry asked for, or null: the nearest live expiry at each point"
    )
    lookback_hours: int
    span_start: datetime | None = Field(
        default=None,
        description="Start of the span sampled: the oldest stored chain in the look-back, or its start",
    )
    span_hours: float | None = Field(default=None, description="Hours actually sampled (≤ lookback_hours)")
    points: int | None = Field(default=None, description="Buckets the span was cut into")
    current_iv: float | None = Field(description="Newest ATM IV (decimal)")
    iv_rank: float | None = Field(description="(current − min) / (max − min) × 100 over the sampled span")
    iv_percentile: float | None = Field(description="% of the earlier observations below the current IV")
    min_iv: float | None
    max_iv: float | None
    observations: int
    history: list[IvPoint] = Field(description="One point per time bucket, newest first (`order=asc`: oldest first)")


class MobileChainResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "product": "NIFTY",
                "expiry": "2025-01-09",
                "spot_price": 21503.45,
                "pcr": 1.0832,
                "max_pain": 21450.0,
                "atm_straddle_price": 235.6,
                "timestamp": _TS,
            }
        }
    )

    product: str
    expiry: str
    spot_price: float
    pcr: float | None = Field(description="PCR by open interest")
    max_pain: float | None = Field(description="Max pain strike")
    atm_straddle_price: float | None
    timestamp: datetime
