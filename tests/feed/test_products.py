from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from deltastream.core.errors import DeltaStreamError, NotFoundError
from deltastream.feed import (
    PRODUCTS,
    calendars,
    configured_products,
    expiries_at,
    expiries_for,
    expiry_instant,
    get_product,
    option_symbol,
    strikes_for,
)
from deltastream.settings import Settings


def test_the_eight_products_and_their_contract_facts() -> None:
    assert list(PRODUCTS) == ["NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX", "AAPL", "TSLA", "SPY", "QQQ"]
    expected = {
        "NIFTY": (21500, 50, 25),
        "BANKNIFTY": (45000, 100, 15),
        "FINNIFTY": (19500, 100, 25),
        "SENSEX": (71000, 100, 10),
        "AAPL": (185, 5, 100),
        "TSLA": (245, 5, 100),
        "SPY": (475, 5, 100),
        "QQQ": (395, 5, 100),
    }
    for name, (base, interval, lot) in expected.items():
        spec = PRODUCTS[name]
        assert (spec.base_price, spec.strike_interval, spec.lot_size) == (base, interval, lot)
        if spec.region == "IN":
            assert (spec.tick_size, spec.is_index, spec.annual_vol) == (0.05, True, 0.15)
        else:
            assert (spec.tick_size, spec.expiry_weekday) == (0.01, 4)
    assert PRODUCTS["AAPL"].annual_vol == PRODUCTS["TSLA"].annual_vol == 0.35
    assert PRODUCTS["SPY"].is_index and not PRODUCTS["AAPL"].is_index


def test_get_product_is_case_insensitive_and_404s_with_the_known_list() -> None:
    assert get_product("nifty") is PRODUCTS["NIFTY"]
    with pytest.raises(NotFoundError) as info:
        get_product("DOGE")
    assert info.value.status_code == 404
    assert info.value.message == "Unknown product 'DOGE'"
    assert set(info.value.details["known_products"]) == set(PRODUCTS)


def test_configured_products_follow_settings_and_refuse_unknown_names() -> None:
    names = [s.name for s in configured_products(Settings(feed_products="spy,NIFTY,SPY"))]
    assert names == ["SPY", "NIFTY"]
    with pytest.raises(DeltaStreamError, match="FOO"):
        configured_products(Settings(feed_products="NIFTY,FOO"))


def test_expiries_follow_the_exchanges_current_rules() -> None:
    nifty, spy, sensex, bank = PRODUCTS["NIFTY"], PRODUCTS["SPY"], PRODUCTS["SENSEX"], PRODUCTS["BANKNIFTY"]
    monday, tuesday = date(2026, 1, 12), date(2026, 1, 13)
    assert expiries_for(nifty, monday, 3) == ["2026-01-13", "2026-01-20", "2026-01-27"]
    assert expiries_for(sensex, monday, 2) == ["2026-01-14", "2026-01-22"]  # 15 Jan 2026 is a holiday
    assert expiries_for(spy, monday, 2) == ["2026-01-16", "2026-01-23"]
    assert expiries_for(bank, monday, 3) == ["2026-01-27", "2026-02-24", "2026-03-30"]  # last Tuesdays; 31 Mar is a holiday
    # on expiry day, today's contract counts until the session is over
    assert expiries_for(nifty, tuesday, 2) == ["2026-01-13", "2026-01-20"]
    assert expiries_for(nifty, tuesday, 2, session_over=True) == ["2026-01-20", "2026-01-27"]
    # NSE closes at 15:30 IST = 10:00 UTC
    assert expiries_at(nifty, datetime(2026, 1, 13, 9, 59, tzinfo=UTC), 1) == ["2026-01-13"]
    assert expiries_at(nifty, datetime(2026, 1, 13, 10, 0, tzinfo=UTC), 1) == ["2026-01-20"]
    # New York closes at 16:00 EST = 21:00 UTC in January
    assert expiries_at(spy, datetime(2026, 1, 16, 20, 59, tzinfo=UTC), 1) == ["2026-01-16"]
    assert expiries_at(spy, datetime(2026, 1, 16, 21, 0, tzinfo=UTC), 1) == ["2026-01-23"]


def test_christmas_2026_is_not_a_us_expiry_and_settles_at_the_early_close() -> None:
    spy = PRODUCTS["SPY"]
    listed = expiries_for(spy, date(2026, 12, 19), 3)
    assert listed == ["2026-12-24", "2026-12-31", "2027-01-08"]
    assert expiry_instant(spy, "2026-12-24") == datetime(2026, 12, 24, 18, 0, tzinfo=UTC)  # 13:00 New York
    assert expiry_instant(spy, "2026-12-31") == datetime(2026, 12, 31, 21, 0, tzinfo=UTC)


def test_no_expiry_falls_on_an_exchange_holiday_in_2026_2027() -> None:
    import exchange_calendars as xcals

    for spec in PRODUCTS.values():
        name = calendars.CALENDAR_NAMES[spec.region]
        last = min(date(2027, 12, 31), xcals.get_calendar(name).last_session.date())
        cal = xcals.get_calendar(name, start="2025-12-01", end=last.isoformat())
        day = date(2026, 1, 1)
        seen: set[str] = set()
        while day <= date(2027, 12, 31):
            seen.update(expiries_for(spec, day, 2))
            day += timedelta(days=5)
        for expiry in seen:
            d = date.fromisoformat(expiry)
            assert d.weekday() < 5, (spec.name, expiry)
            if d <= last:
                assert cal.is_session(expiry), (spec.name, expiry)
            else:  # beyond the library's recorded holidays: the fixed-date national ones
                assert (d.month, d.day) not in {
                    (1, 26),
                    (5, 1),
                    (8, 15),
                    (10, 2),
                    (12, 25),
                } or spec.region == "US"


def test_expiry_rules_are_configurable_and_bad_ones_refused() -> None:
    specs = configured_products(Settings(feed_products="BANKNIFTY", feed_expiry_rules="banknifty=weekly:wed"))
    assert (specs[0].expiry_cycle, specs[0].expiry_weekday) == ("weekly", 2)
    with pytest.raises(DeltaStreamError, match="EXPIRY_RULES"):
        configured_products(Settings(feed_expiry_rules="NIFTY=daily:TUE"))


def test_strikes_are_centred_on_the_strike_nearest_spot() -> None:
    nifty = PRODUCTS["NIFTY"]
    ladder = strikes_for(nifty, 21537.0)
    assert len(ladder) == 21
    assert ladder[10] == 21550.0
    assert ladder[0] == 21050.0 and ladder[-1] == 22050.0
    assert all(b - a == 50.0 for a, b in itertools.pairwise(ladder))
    assert strikes_for(nifty, 21525.0)[10] == 21500.0  # an exact tie goes to the lower strike
    assert strikes_for(PRODUCTS["AAPL"], 185.0, n=5) == [175.0, 180.0, 185.0, 190.0, 195.0]
    assert min(strikes_for(PRODUCTS["AAPL"], 12.0)) > 0  # the ladder never reaches zero


def test_option_symbol_matches_the_seed_format() -> None:
    assert option_symbol("NIFTY", "2025-01-25", "CALL", 21500.0) == "NIFTY20250125C21500"
    assert option_symbol("AAPL", "2025-01-24", "PUT", 187.5) == "AAPL20250124P187.5"
