"""The tradable products: contract facts, expiry calendar, strike ladders and option symbols.

Every other context asks this module (through ``deltastream.feed``) what a product is: its strike
interval, tick size, contract multiplier (``lot_size``, used for GEX) and expiry weekday.

Expiry convention
-----------------
An option expires at its exchange's session close on the expiry weekday (Thursday for Indian
products at 15:30 Asia/Kolkata, Friday for US products at 16:00 America/New_York). Weekly expiries
only; holidays are not modelled. ``expiries_for(spec, today, count)`` lists the next ``count``
expiry dates *on or after* ``today``; pass ``session_over=True`` (or use ``expiries_at(spec, now,
count)``, which works it out from the clock) and today's date is skipped once its session has
closed, so an expired contract is never quoted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deltastream.core.errors import DeltaStreamError, NotFoundError

if TYPE_CHECKING:
    from deltastream.settings import Settings

Region = Literal["IN", "US"]
OptionType = Literal["CALL", "PUT"]

THURSDAY = 3
FRIDAY = 4


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """One underlying and the contract facts the feed and the analytics need.

    ``annual_vol`` is the GBM volatility of the underlying (annualised, decimal) and the base of
    the simulated ATM implied vol. ``rate`` and ``dividend_yield`` are continuously compounded,
    annual decimals. ``lot_size`` is the contract multiplier (units of underlying per contract).
    ``expiry_weekday`` follows ``date.weekday()`` (Monday = 0).
    """

    name: str
    base_price: float
    strike_interval: float
    tick_size: float
    region: Region
    is_index: bool
    annual_vol: float
    rate: float
    dividend_yield: float
    lot_size: int
    expiry_weekday: int


def _in_index(name: str, base_price: float, interval: float, lot_size: int) -> ProductSpec:
    return ProductSpec(
        name=name,
        base_price=base_price,
        strike_interval=interval,
        tick_size=0.05,
        region="IN",
        is_index=True,
        annual_vol=0.15,
        rate=0.065,
        dividend_yield=0.0,
        lot_size=lot_size,
        expiry_weekday=THURSDAY,
    )


def _us(name: str, base_price: float, *, is_index: bool, dividend_yield: float) -> ProductSpec:
    return ProductSpec(
        name=name,
        base_price=base_price,
        strike_interval=5.0,
        tick_size=0.01,
        region="US",
        is_index=is_index,
        annual_vol=0.15 if is_index else 0.35,
        rate=0.05,
        dividend_yield=dividend_yield,
        lot_size=100,
        expiry_weekday=FRIDAY,
    )


# SPY and QQQ track indices (15% vol); AAPL and TSLA are single stocks (35% vol). Indian index
# options are priced with Black-76 on the forward, US ones with Black-Scholes on spot.
PRODUCTS: dict[str, ProductSpec] = {
    spec.name: spec
    for spec in (
        _in_index("NIFTY", 21500.0, 50.0, 25),
        _in_index("BANKNIFTY", 45000.0, 100.0, 15),
        _in_index("FINNIFTY", 19500.0, 100.0, 25),
        _in_index("SENSEX", 71000.0, 100.0, 10),
        _us("AAPL", 185.0, is_index=False, dividend_yield=0.005),
        _us("TSLA", 245.0, is_index=False, dividend_yield=0.0),
        _us("SPY", 475.0, is_index=True, dividend_yield=0.013),
        _us("QQQ", 395.0, is_index=True, dividend_yield=0.006),
    )
}


def _zone(name: str, fallback_hours: float) -> tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # no tz database on the host: a fixed offset is close enough
        return timezone(timedelta(hours=fallback_hours))


_SESSION_CLOSE: dict[str, tuple[tzinfo, time]] = {
    "IN": (_zone("Asia/Kolkata", 5.5), time(15, 30)),
    "US": (_zone("America/New_York", -5.0), time(16, 0)),
}


def get_product(name: str) -> ProductSpec:
    """The spec for ``name`` (case-insensitive); ``NotFoundError`` (404) listing the known ones."""
    spec = PRODUCTS.get(name.upper()) if isinstance(name, str) else None
    if spec is None:
        raise NotFoundError(f"Unknown product '{name}'", details={"known_products": sorted(PRODUCTS)})
    return spec


def is_known_product(name: object) -> bool:
    return isinstance(name, str) and name in PRODUCTS


def configured_products(settings: Settings) -> list[ProductSpec]:
    """The specs named by ``settings.feed_products``, in that order, without duplicates.

    An unknown name is a configuration error, raised with every bad name and the known list.
    """
    names = list(dict.fromkeys(name.upper() for name in settings.feed_products))
    unknown = [name for name in names if name not in PRODUCTS]
    if unknown:
        raise DeltaStreamError(
            f"DELTASTREAM_FEED_PRODUCTS has unknown product(s) {', '.join(unknown)}; "
            f"known: {', '.join(PRODUCTS)}",
            code="config_error",
            status_code=500,
            details={"unknown": unknown, "known_products": list(PRODUCTS)},
        )
    if not names:
        raise DeltaStreamError("DELTASTREAM_FEED_PRODUCTS is empty", code="config_error", status_code=500)
    vols = {True: settings.feed_index_vol, False: settings.feed_stock_vol}
    return [replace(PRODUCTS[name], annual_vol=vols[PRODUCTS[name].is_index]) for name in names]


def session_close(spec: ProductSpec, day: date) -> datetime:
    """The UTC instant at which ``spec``'s session closes on ``day`` (options expire then)."""
    zone, close = _SESSION_CLOSE[spec.region]
    return datetime.combine(day, close, tzinfo=zone).astimezone(UTC)


def expiries_for(spec: ProductSpec, today: date, count: int, *, session_over: bool = False) -> list[str]:
    """The next ``count`` weekly expiry dates (``YYYY-MM-DD``) on ``spec.expiry_weekday``.

    Today counts when it is an expiry day and its session is not over (``session_over=False``);
    otherwise the first expiry is strictly after today.
    """
    if count < 1:
        return []
    ahead = (spec.expiry_weekday - today.weekday()) % 7
    if ahead == 0 and session_over:
        ahead = 7
    first = today + timedelta(days=ahead)
    return [(first + timedelta(weeks=week)).isoformat() for week in range(count)]


def exchange_date(spec: ProductSpec, now: datetime) -> date:
    """The calendar date at ``spec``'s exchange at instant ``now`` (aware)."""
    zone, _ = _SESSION_CLOSE[spec.region]
    return now.astimezone(zone).date()


def expiries_at(spec: ProductSpec, now: datetime, count: int) -> list[str]:
    """``expiries_for`` at instant ``now`` (aware), using the exchange's local date and close."""
    local_day = exchange_date(spec, now)
    return expiries_for(spec, local_day, count, session_over=now >= session_close(spec, local_day))


def expiry_instant(spec: ProductSpec, expiry: str) -> datetime:
    """The UTC instant an expiry date settles (its session close)."""
    return session_close(spec, date.fromisoformat(expiry))


def atm_strike(spec: ProductSpec, spot: float) -> float:
    """The strike nearest ``spot`` on the product's ladder; an exact half rounds down (SPEC §5 ties)."""
    k = spec.strike_interval
    return float(math.ceil(spot / k - 0.5) * k)


def strikes_for(spec: ProductSpec, spot: float, n: int = 21) -> list[float]:
    """``n`` ascending strikes, ``strike_interval`` apart, centred on the strike nearest ``spot``.

    With an even ``n`` the extra strike goes above. If the ladder would reach zero it is shifted
    up so that the lowest strike is one interval: strikes are always positive.
    """
    if n < 1:
        return []
    k = spec.strike_interval
    lowest = atm_strike(spec, spot) - (n - 1) // 2 * k
    lowest = max(lowest, k)
    return [round(lowest + i * k, 8) for i in range(n)]


def option_symbol(product: str, expiry: str, option_type: str, strike: float) -> str:
    """``{product}{YYYYMMDD}{C|P}{strike}``, e.g. ``NIFTY20250125C21500`` (fractional strikes keep decimals)."""
    strike_text = str(int(strike)) if float(strike).is_integer() else f"{strike:.10g}"
    return f"{product}{expiry.replace('-', '')}{option_type[:1].upper()}{strike_text}"
