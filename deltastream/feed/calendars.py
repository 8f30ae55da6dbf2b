"""Exchange trading calendars: which days trade and when each session closes.

Backed by the maintained ``exchange_calendars`` package: ``XNYS`` (NYSE) for the US products and
``XBOM`` (BSE) for the Indian ones. NSE and BSE share one equity-derivatives holiday list (the
2026 lists are identical, checked against ``pandas_market_calendars``' NSE calendar), so XBOM
serves NIFTY, BANKNIFTY and FINNIFTY too. Early closes (NYSE's 13:00 close on Christmas Eve and
the day after Thanksgiving) come from the calendar.

Beyond the last year the library has recorded holidays for (XBOM: the exchanges publish each
year's list in December), every weekday counts as a trading day with the regular close, except
India's fixed-date national holidays (26 Jan, 1 May, 15 Aug, 2 Oct, 25 Dec), on which NSE and
BSE never trade. Each
calendar is built once, on first use, into a plain ``{date: close}`` map, so a lookup costs a
dict access.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

Region = Literal["IN", "US"]

CALENDAR_NAMES: dict[str, str] = {"US": "XNYS", "IN": "XBOM"}
"""``exchange_calendars`` code per region."""

_REGULAR_CLOSE: dict[str, tuple[str, time]] = {
    "IN": ("Asia/Kolkata", time(15, 30)),
    "US": ("America/New_York", time(16, 0)),
}
_FIXED_HOLIDAYS: dict[str, frozenset[tuple[int, int]]] = {
    "IN": frozenset({(1, 26), (5, 1), (8, 15), (10, 2), (12, 25)}),
    "US": frozenset(),
}
_FIRST_DAY = date(2020, 1, 1)
_LAST_DAY = date(2030, 12, 31)


@cache
def _sessions(region: str) -> tuple[dict[date, datetime], date, date]:
    """``({session date: UTC close}, first covered day, last covered day)`` of ``region``."""
    import exchange_calendars as xcals  # heavy (pandas): only when a calendar is first needed

    name = CALENDAR_NAMES[region]
    with warnings.catch_warnings():  # the library's own pandas deprecation notices
        warnings.simplefilter("ignore")
        end = min(_LAST_DAY, xcals.get_calendar(name).last_session.date())
        calendar = xcals.get_calendar(name, start=_FIRST_DAY.isoformat(), end=end.isoformat())
        closes = {
            session.date(): close.to_pydatetime().astimezone(UTC)
            for session, close in zip(calendar.sessions, calendar.closes, strict=True)
        }
    return closes, _FIRST_DAY, end


def regular_close(region: str, day: date) -> datetime:
    """``day``'s regular session close in UTC (the exchange's local close time)."""
    zone, close = _REGULAR_CLOSE[region]
    return datetime.combine(day, close, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def is_trading_day(region: str, day: date) -> bool:
    """Whether ``region``'s exchange trades on ``day`` (outside the calendar's range: a weekday
    that is not a fixed-date national holiday)."""
    closes, first, last = _sessions(region)
    if first <= day <= last:
        return day in closes
    return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS[region]


def session_close(region: str, day: date) -> datetime:
    """The UTC close of ``day``'s session: the calendar's (early closes included) on a trading
    day it covers, else the regular close time."""
    closes, _, _ = _sessions(region)
    found = closes.get(day)
    return found if found is not None else regular_close(region, day)


def on_or_before(region: str, day: date) -> date:
    """``day`` if it trades, else the nearest earlier trading day (an expiry on a holiday moves
    to the previous trading day, the NSE/BSE and OCC convention)."""
    while not is_trading_day(region, day):
        day -= timedelta(days=1)
    return day
