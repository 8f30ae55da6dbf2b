"""The tradable products: contract facts, expiry calendar, strike ladders and option symbols.

Every other context asks this module (through ``deltastream.feed``) what a product is: its strike
interval, tick size, contract multiplier (``lot_size``, used for GEX) and expiry weekday.

Expiry convention
-----------------
An option expires at its exchange's session close (15:30 Asia/Kolkata, 16:00 America/New_York,
or the calendar's early close) on its expiry day. The cycle and weekday per product follow the
exchanges' current rules (``expiry_cycle``, ``expiry_weekday``; see README "Expiry calendars"):

- NSE (effective 2025-09-01, NSE circular of June 2025 under SEBI's Tuesday/Thursday rule):
  NIFTY weekly on Tuesday; BANKNIFTY and FINNIFTY monthly only (their weeklies were withdrawn
  from 2024-11-20 under SEBI's one-weekly-index-per-exchange rule), on the last Tuesday;
- BSE (effective 2025-09-01): SENSEX weekly on Thursday;
- US (OCC/Cboe): SPY, QQQ, AAPL, TSLA weekly on Friday.

An expiry whose day is an exchange holiday moves to the previous trading day
(:mod:`deltastream.feed.calendars`, XNYS and XBOM from ``exchange_calendars``).
``expiries_for(spec, today, count)`` lists the next ``count`` expiry dates *on or after*
``today``; pass ``session_over=True`` (or use ``expiries_at(spec, now, count)``, which works it
out from the clock) and today's date is skipped once its session has closed, so an expired
contract is never quoted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deltastream.core.errors import DeltaStreamError, NotFoundError
from deltastream.feed import calendars

if TYPE_CHECKING:
    from deltastream.settings import Settings

Region = Literal["IN", "US"]
OptionType = Literal["CALL", "PUT"]
ExpiryCycle = Literal["weekly", "monthly"]

TUESDAY = 1
THURSDAY = 3
FRIDAY = 4
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """One underlying and the contract facts the feed and the analytics need.

    ``annual_vol`` is the GBM volatility of the underlying (annualised, decimal) and the base of
    the simulated ATM implied vol. ``rate`` and ``dividend_yield`` are continuously compounded,
    annual decimals. ``lot_size`` is the contract multiplier (units of underlying per contract).
    ``expiry_weekday`` follows ``date.weekday()`` (Monday = 0); ``expiry_cycle`` is ``weekly``
    (every such weekday) or ``monthly`` (the last such weekday of each month).
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
    expiry_cycle: ExpiryCycle = "weekly"

    @property
    def currency(self) -> str:
        """ISO currency of prices and GEX: INR for Indian products, USD for US ones."""
        return "INR" if self.region == "IN" else "USD"


def _in_index(
    name: str, base_price: float, interval: float, lot_size: int, weekday: int, cycle: ExpiryCycle
) -> ProductSpec:
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
        expiry_weekday=weekday,
        expiry_cycle=cycle,
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
        _in_index("NIFTY", 21500.0, 50.0, 25, TUESDAY, "weekly"),
        _in_index("BANKNIFTY", 45000.0, 100.0, 15, TUESDAY, "monthly"),
        _in_index("FINNIFTY", 19500.0, 100.0, 25, TUESDAY, "monthly"),
        _in_index("SENSEX", 71000.0, 100.0, 10, THURSDAY, "weekly"),
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


_ZONES: dict[str, tuple[tzinfo, time]] = {
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
    rules = expiry_rules(settings.feed_expiry_rules)
    return [
        replace(PRODUCTS[name], annual_vol=vols[PRODUCTS[name].is_index], **rules.get(name, {}))
        for name in names
    ]


def expiry_rules(items: list[str]) -> dict[str, dict[str, Any]]:
    """``PRODUCT=CYCLE:DAY`` overrides (``DELTASTREAM_FEED_EXPIRY_RULES``) as ``ProductSpec`` fields;
    a malformed item or an unknown product is a configuration error."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name, _, rule = item.upper().partition("=")
        cycle, _, day = rule.partition(":")
        if name not in PRODUCTS or cycle.lower() not in ("weekly", "monthly") or day not in WEEKDAYS[:5]:
            raise DeltaStreamError(
                f"DELTASTREAM_FEED_EXPIRY_RULES item '{item}' is not PRODUCT=weekly|monthly:MON..FRI",
                code="config_error",
                status_code=500,
                details={"item": item, "known_products": list(PRODUCTS)},
            )
        out[name] = {"expiry_cycle": cycle.lower(), "expiry_weekday": WEEKDAYS.index(day)}
    return out


def session_close(spec: ProductSpec, day: date) -> datetime:
    """The UTC instant at which ``spec``'s session closes on ``day`` (options expire then): the
    exchange calendar's close, early closes included."""
    return calendars.session_close(spec.region, day)


def _nominal_days(spec: ProductSpec, start: date) -> Iterator[date]:
    """The cycle's nominal expiry days from the week (or month) of ``start`` on, before any
    holiday adjustment."""
    if spec.expiry_cycle == "weekly":
        day = start - timedelta(days=(start.weekday() - spec.expiry_weekday) % 7)
        while True:
            yield day
            day += timedelta(weeks=1)
    year, month = start.year, start.month
    while True:
        following = date(year + month // 12, month % 12 + 1, 1)
        last = following - timedelta(days=1)
        yield last - timedelta(days=(last.weekday() - spec.expiry_weekday) % 7)
        year, month = following.year, following.month


def expiries_for(spec: ProductSpec, today: date, count: int, *, session_over: bool = False) -> list[str]:
    """The next ``count`` expiry dates (``YYYY-MM-DD``) of ``spec``'s cycle, holidays moved to
    the previous trading day.

    Today counts when it is an expiry day and its session is not over (``session_over=False``);
    otherwise the first expiry is strictly after today.
    """
    out: list[str] = []
    for nominal in _nominal_days(spec, today):
        if len(out) >= count:
            break
        actual = calendars.on_or_before(spec.region, nominal)
        if actual < today or (actual == today and session_over):
            continue
        if not out or out[-1] != actual.isoformat():
            out.append(actual.isoformat())
    return out


def exchange_date(spec: ProductSpec, now: datetime) -> date:
    """The calendar date at ``spec``'s exchange at instant ``now`` (aware)."""
    zone, _ = _ZONES[spec.region]
    return now.astimezone(zone).date()


def expiries_at(spec: ProductSpec, now: datetime, count: int) -> list[str]:
    """``expiries_for`` at instant ``now`` (aware), using the exchange's local date and close."""
    local_day = exchange_date(spec, now)
    return expiries_for(spec, local_day, count, session_over=now >= session_close(spec, local_day))


def expiry_instant(spec: ProductSpec, expiry: str) -> datetime:
    """The UTC instant an expiry date settles (its session close in the exchange's zone)."""
    return _expiry_instant(spec.region, expiry)


@lru_cache(maxsize=4096)
def _expiry_instant(region: str, expiry: str) -> datetime:
    return calendars.session_close(region, date.fromisoformat(expiry))


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
