"""Market payloads published by the feed on ``market:underlying`` and ``market:option_chain``.

These are the contract at the edge: every source (simulator, replay, vendor adapters) validates
through them, and anything that fails becomes a dead letter with the reason. Field names are the
seed's; additions are ``volume`` on ticks and ``rho``/``oi_change`` on quotes.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from deltastream.core.jsonx import parse_ts

# Bounds keep absurd vendor values out of storage: no product trades above a billion, and every
# integer must survive a JSON round trip through any client (2**53) and fit SQLite/BSON int64.
MAX_PRICE = 1e9
MAX_COUNT = 2**53

# Native constraints (pydantic-core, no Python call per value): NaN and ±inf are refused with the
# ``finite_number`` error type.
FinitePrice = Annotated[float, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
PositivePrice = Annotated[float, Field(gt=0, le=MAX_PRICE, allow_inf_nan=False)]
# A non-finite optional value is stored as null; OptionQuote's model validator does it for all
# such fields in one call instead of one Python validator per field.
OptionalFinite = float | None
_OPTIONAL_FINITE = ("delta", "gamma", "vega", "theta", "rho", "iv")
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


def _calendar_date(value: str) -> str:
    date.fromisoformat(value)  # "2025-02-30" matches the pattern but is no date
    return value


ExpiryDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_calendar_date)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)

    @field_validator("timestamp", mode="before", check_fields=False)
    @classmethod
    def _utc(cls, value: Any) -> Any:
        return parse_ts(value) if isinstance(value, str | datetime) else value


class UnderlyingTick(_Model):
    """``{type: "UNDERLYING", product, price, timestamp, tick_id, volume}``."""

    type: Literal["UNDERLYING"] = "UNDERLYING"
    product: str = Field(min_length=1, max_length=32)
    price: PositivePrice
    timestamp: datetime
    tick_id: Count = 0
    volume: Count = 0


class OptionQuote(_Model):
    """One option at one strike: prices, size, Greeks (per SPEC §5.1 units) and ``iv`` (decimal).

    Invariant: ``0 ≤ bid ≤ ask`` (a crossed quote is refused). Greeks and ``iv`` are optional;
    a non-finite one is stored as ``null``.
    """

    symbol: str = Field(min_length=1, max_length=64)
    product: str = Field(min_length=1, max_length=32)
    strike: PositivePrice
    expiry: ExpiryDate
    option_type: Literal["CALL", "PUT"]
    bid: FinitePrice
    ask: FinitePrice
    last: FinitePrice
    volume: Count
    open_interest: Count
    delta: OptionalFinite = None
    gamma: OptionalFinite = None
    vega: OptionalFinite = None
    theta: OptionalFinite = None
    rho: OptionalFinite = None
    iv: OptionalFinite = None
    oi_change: Annotated[int, Field(ge=-MAX_COUNT, le=MAX_COUNT)] | None = None
    timestamp: datetime | None = None

    @model_validator(mode="after")
    def _not_crossed(self) -> OptionQuote:
        if self.ask < self.bid:
            raise ValueError(f"crossed quote: bid {self.bid} > ask {self.ask}")
        values = self.__dict__
        for name in _OPTIONAL_FINITE:
            value = values[name]
            if value is not None and not math.isfinite(value):
                values[name] = None
        return self


class OptionChain(_Model):
    """``{product, expiry, spot_price, strikes[], calls[], puts[], timestamp}``; calls[i]/puts[i] at strikes[i]."""

    type: Literal["OPTION_CHAIN"] = "OPTION_CHAIN"
    product: str = Field(min_length=1, max_length=32)
    expiry: ExpiryDate
    spot_price: PositivePrice
    strikes: list[PositivePrice] = Field(min_length=1, max_length=1000)
    calls: list[OptionQuote]
    puts: list[OptionQuote]
    timestamp: datetime

    @model_validator(mode="after")
    def _aligned(self) -> OptionChain:
        n = len(self.strikes)
        if len(self.calls) != n or len(self.puts) != n:
            raise ValueError(
                f"calls ({len(self.calls)}) and puts ({len(self.puts)}) must match strikes ({n})"
            )
        if any(b <= a for a, b in zip(self.strikes, self.strikes[1:], strict=False)):
            raise ValueError("strikes must be strictly ascending")
        for i, k in enumerate(self.strikes):
            c, p = self.calls[i], self.puts[i]
            if c.strike != k or p.strike != k or c.option_type != "CALL" or p.option_type != "PUT":
                raise ValueError(f"quote {i} does not match strike {k} (calls must be CALL, puts PUT)")
            if c.expiry != self.expiry or p.expiry != self.expiry:
                raise ValueError(f"quote {i} expiry differs from chain expiry {self.expiry}")
            if c.product != self.product or p.product != self.product:
                raise ValueError(f"quote {i} product differs from chain product {self.product}")
        return self
