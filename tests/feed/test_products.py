from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from deltastream.core.errors import DeltaStreamError, NotFoundError
from deltastream.feed import (
    PRODUCTS,
    configured_products,
    expiries_at,
    expiries_for,
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
            assert (spec.tick_size, spec.expiry_weekday, spec.is_index, spec.annual_vol) == (
                0.05,
                3,
                True,
                0.15,
            )
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


def test_expiries_are_weekly_on_the_products_weekday() -> None:
    nifty, spy = PRODUCTS["NIFTY"], PRODUCTS["SPY"]
    wednesday, thursday = date(2025, 1, 22), date(2025, 1, 23)
    assert expiries_for(nifty, wednesday, 3) == ["2025-01-23", "2025-01-30", "2025-02-06"]
    assert expiries_for(spy, wednesday, 2) == ["2025-01-24", "2025-01-31"]
    # on expiry day, today's contract counts until the session is over
    assert expiries_for(nifty, thursday, 2) == ["2025-01-23", "2025-01-30"]
    assert expiries_for(nifty, thursday, 2, session_over=True) == ["2025-01-30", "2025-02-06"]
    # NSE closes at 15:30 IST = 10:00 UTC
    assert expiries_at(nifty, datetime(2025, 1, 23, 9, 59, tzinfo=UTC), 1) == ["2025-01-23"]
    assert expiries_at(nifty, datetime(2025, 1, 23, 10, 0, tzinfo=UTC), 1) == ["2025-01-30"]
    # New York closes at 16:00 EST = 21:00 UTC in January
    assert expiries_at(spy, datetime(2025, 1, 24, 20, 59, tzinfo=UTC), 1) == ["2025-01-24"]
    assert expiries_at(spy, datetime(2025, 1, 24, 21, 0, tzinfo=UTC), 1) == ["2025-01-31"]


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
