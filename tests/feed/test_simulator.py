"""Pricing sanity and determinism of the simulator's output (fixed clock, no sleeping)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING
from deltastream.core.jsonx import parse_ts
from deltastream.feed import PRODUCTS, expiry_instant
from deltastream.settings import Settings

from .factories import simulate


@pytest.fixture
def chains(settings: Settings) -> list[dict[str, Any]]:
    fast = settings.model_copy(update={"feed_chain_every": 1})
    return [p for t, p in simulate(fast, 6) if t == TOPIC_MARKET_CHAIN]


def _tte_years(chain: dict[str, Any]) -> float:
    spec = PRODUCTS[chain["product"]]
    return (expiry_instant(spec, chain["expiry"]) - parse_ts(chain["timestamp"])).total_seconds() / (
        365 * 86400
    )


def test_every_product_and_expiry_is_covered(settings: Settings, chains: list[dict[str, Any]]) -> None:
    seen = {(c["product"], c["expiry"]) for c in chains}
    assert {p for p, _ in seen} == set(PRODUCTS)
    for product in PRODUCTS:
        expiries = sorted(e for p, e in seen if p == product)
        assert len(expiries) == settings.feed_expiries
        weekday = PRODUCTS[product].expiry_weekday
        assert all(parse_ts(e + "T00:00:00Z").weekday() == weekday for e in expiries)
    assert all(len(c["strikes"]) == settings.feed_strikes for c in chains)


def test_quotes_are_tradable_never_negative_or_crossed_and_on_the_tick(chains: list[dict[str, Any]]) -> None:
    for chain in chains:
        tick = PRODUCTS[chain["product"]].tick_size
        for q in chain["calls"] + chain["puts"]:
            assert 0 <= q["bid"] <= q["last"] <= q["ask"]
            assert q["ask"] > 0 and q["bid"] < q["ask"]
            for price in (q["bid"], q["ask"], q["last"]):
                assert abs(price / tick - round(price / tick)) < 1e-6, (price, tick)
            assert q["open_interest"] >= 0 and q["volume"] >= 0
            assert 0.03 <= q["iv"] <= 3.0
            assert q["gamma"] >= 0 and q["vega"] >= 0
        assert all(0 <= q["delta"] <= 1 for q in chain["calls"])
        assert all(-1 <= q["delta"] <= 0 for q in chain["puts"])
        assert chain["calls"][0]["delta"] > 0.5 > chain["calls"][-1]["delta"]
        assert chain["puts"][0]["delta"] > -0.5 > chain["puts"][-1]["delta"]


def test_put_call_parity_holds_within_the_spread(chains: list[dict[str, Any]]) -> None:
    for chain in chains:
        spec = PRODUCTS[chain["product"]]
        tte = _tte_years(chain)
        spot = chain["spot_price"]
        forward = spot * math.exp((spec.rate - spec.dividend_yield) * tte)
        discount = math.exp(-spec.rate * tte)
        for k, c, p in zip(chain["strikes"], chain["calls"], chain["puts"], strict=True):
            parity = discount * (forward - k)  # C - P
            slack = 0.01 * spot * 1e-4 + 1e-9  # spot is rounded to 2 dp in the payload
            assert c["bid"] - p["ask"] - slack <= parity <= c["ask"] - p["bid"] + slack, (chain["product"], k)


def test_open_interest_peaks_near_the_money_puts_below_calls_above(chains: list[dict[str, Any]]) -> None:
    for chain in chains:
        strikes = np.array(chain["strikes"])
        call_oi = np.array([q["open_interest"] for q in chain["calls"]], dtype=float)
        put_oi = np.array([q["open_interest"] for q in chain["puts"]], dtype=float)
        atm = int(np.argmin(np.abs(strikes - chain["spot_price"])))
        assert abs(int(np.argmax(call_oi + put_oi)) - atm) <= 3, chain["product"]
        # the ATM band holds more OI per strike than the far wings
        total = call_oi + put_oi
        assert total[atm - 2 : atm + 3].mean() > 1.5 * np.r_[total[:2], total[-2:]].mean()
        call_centre = (strikes * call_oi).sum() / call_oi.sum()
        put_centre = (strikes * put_oi).sum() / put_oi.sum()
        assert put_centre < chain["spot_price"] < call_centre


def test_smile_is_skewed_towards_puts(chains: list[dict[str, Any]]) -> None:
    for chain in chains:
        strikes = np.array(chain["strikes"])
        iv = np.array([q["iv"] for q in chain["calls"]])
        assert iv == pytest.approx([q["iv"] for q in chain["puts"]])  # one smile for both sides
        atm = int(np.argmin(np.abs(strikes - chain["spot_price"])))
        for d in range(2, 7):
            assert iv[atm - d] > iv[atm + d], (chain["product"], chain["expiry"], d)


def test_oi_changes_are_the_difference_between_snapshots(settings: Settings) -> None:
    fast = settings.model_copy(update={"feed_chain_every": 1, "feed_products": ["AAPL"], "feed_expiries": 1})
    first, second = (p for t, p in simulate(fast, 2) if t == TOPIC_MARKET_CHAIN)
    before = {q["strike"]: q["open_interest"] for q in first["calls"]}
    changed = 0
    for q in second["calls"]:
        if q["strike"] in before:
            assert q["oi_change"] == q["open_interest"] - before[q["strike"]]
            changed += q["oi_change"] != 0
    assert changed > 0


def test_ticks_have_increasing_unique_ids_and_utc_timestamps(settings: Settings) -> None:
    ticks = [p for t, p in simulate(settings, 20) if t == TOPIC_MARKET_UNDERLYING]
    for product in PRODUCTS:
        ids = [t["tick_id"] for t in ticks if t["product"] == product]
        assert len(ids) == 20 and ids == sorted(set(ids))
    assert all(t["timestamp"].endswith("Z") for t in ticks)
    # ids come from the clock, so a restarted feed never reuses one
    assert ticks[0]["tick_id"] == int(parse_ts(ticks[0]["timestamp"]).timestamp() * 1_000_000)


def test_the_same_seed_repeats_exactly_and_another_seed_does_not(settings: Settings) -> None:
    assert simulate(settings, 10) == simulate(settings, 10)
    other = settings.model_copy(update={"feed_seed": 8})
    prices = [p["price"] for t, p in simulate(settings, 10) if t == TOPIC_MARKET_UNDERLYING]
    assert prices != [p["price"] for t, p in simulate(other, 10) if t == TOPIC_MARKET_UNDERLYING]


def test_prices_follow_gbm_scaled_to_trading_time(settings: Settings) -> None:
    hourly = settings.model_copy(update={"feed_interval": 3600.0, "feed_products": ["NIFTY"]})
    prices = np.array([p["price"] for t, p in simulate(hourly, 400) if t == TOPIC_MARKET_UNDERLYING])
    log_returns = np.diff(np.log(prices))
    annualised = log_returns.std() * math.sqrt(252 * 6.5)
    assert 0.10 < annualised < 0.22  # 15 % nominal, with a wandering vol level
