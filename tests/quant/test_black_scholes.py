"""Black-Scholes-Merton and Black-76: known values, parity, Greeks vs finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deltastream import quant

PROFILE = settings.get_profile("quant")

spots = st.floats(50.0, 150.0)
strikes = st.floats(40.0, 200.0)
ttes = st.floats(1.0 / 365.0, 2.0)
rates = st.floats(-0.01, 0.10)
vols = st.floats(0.05, 1.5)
dividends = st.floats(0.0, 0.05)


def test_hull_textbook_values() -> None:
    # Hull, Options, Futures and Other Derivatives, example 15.6: S=42, K=40, r=10%, σ=20%, T=0.5.
    assert quant.bs_price(42.0, 40.0, 0.5, 0.10, 0.20, True) == pytest.approx(4.7594, abs=1e-4)
    assert quant.bs_price(42.0, 40.0, 0.5, 0.10, 0.20, False) == pytest.approx(0.8086, abs=1e-4)


@settings(PROFILE)
@given(spots, strikes, ttes, rates, vols, dividends)
def test_put_call_parity(s: float, k: float, t: float, r: float, v: float, q: float) -> None:
    call = quant.bs_price(s, k, t, r, v, True, q)
    put = quant.bs_price(s, k, t, r, v, False, q)
    assert call - put == pytest.approx(s * np.exp(-q * t) - k * np.exp(-r * t), abs=1e-9 * (s + k))


def test_black76_is_bsm_on_the_forward_with_carry_equal_to_rate() -> None:
    f, k, t, r, v = 105.0, np.array([80.0, 100.0, 130.0]), 0.75, 0.04, 0.3
    for is_call in (True, False):
        np.testing.assert_allclose(
            quant.black76_price(f, k, t, r, v, is_call), quant.bs_price(f, k, t, r, v, is_call, r), rtol=1e-14
        )


def _bump(fn, kwargs: dict[str, float], name: str, h: float) -> float:
    up = fn(**{**kwargs, name: kwargs[name] + h})
    down = fn(**{**kwargs, name: kwargs[name] - h})
    return float((up - down) / (2 * h))


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize("strike", [70.0, 100.0, 135.0])
def test_bs_greeks_match_finite_differences(is_call: bool, strike: float) -> None:
    base = {"spot": 100.0, "strike": strike, "tte_years": 0.4, "rate": 0.05, "vol": 0.3, "dividend": 0.02}

    def price(**kw: float) -> float:
        return float(quant.bs_price(is_call=is_call, **kw))

    g = quant.bs_greeks(is_call=is_call, **base)
    assert g["price"] == pytest.approx(price(**base), rel=1e-14)
    assert g["delta"] == pytest.approx(_bump(price, base, "spot", 1e-3), abs=1e-7)
    fd_gamma = (
        price(**{**base, "spot": 100.01}) - 2 * price(**base) + price(**{**base, "spot": 99.99})
    ) / 1e-4
    assert g["gamma"] == pytest.approx(fd_gamma, abs=1e-6)
    assert g["vega"] == pytest.approx(_bump(price, base, "vol", 1e-5) * 0.01, abs=1e-8)
    assert g["rho"] == pytest.approx(_bump(price, base, "rate", 1e-5) * 0.01, abs=1e-8)
    assert g["theta"] == pytest.approx(-_bump(price, base, "tte_years", 1e-6) / 365.0, abs=1e-8)


@pytest.mark.parametrize("is_call", [True, False])
def test_black76_greeks_match_finite_differences(is_call: bool) -> None:
    base = {"forward": 21600.0, "strike": 21500.0, "tte_years": 0.05, "rate": 0.065, "vol": 0.14}

    def price(**kw: float) -> float:
        return float(quant.black76_price(is_call=is_call, **kw))

    g = quant.black76_greeks(is_call=is_call, **base)
    assert g["delta"] == pytest.approx(_bump(price, base, "forward", 1e-2), abs=1e-7)
    fd_gamma = (
        price(**{**base, "forward": 21601.0}) - 2 * price(**base) + price(**{**base, "forward": 21599.0})
    )
    assert g["gamma"] == pytest.approx(fd_gamma, rel=1e-5)
    assert g["vega"] == pytest.approx(_bump(price, base, "vol", 1e-6) * 0.01, rel=1e-7)
    assert g["rho"] == pytest.approx(_bump(price, base, "rate", 1e-6) * 0.01, rel=1e-6)
    assert g["theta"] == pytest.approx(-_bump(price, base, "tte_years", 1e-7) / 365.0, rel=1e-6)


@settings(PROFILE)
@given(spots, strikes, ttes, rates, st.floats(0.05, 1.0), st.floats(0.01, 0.5), dividends)
def test_call_price_rises_with_vol_and_falls_with_strike(
    s: float, k: float, t: float, r: float, v: float, dv: float, q: float
) -> None:
    base = quant.bs_price(s, k, t, r, v, True, q)
    assert quant.bs_price(s, k, t, r, v + dv, True, q) >= base
    assert quant.bs_price(s, k * 1.05, t, r, v, True, q) <= base


def test_expiry_and_zero_vol_give_discounted_intrinsic() -> None:
    k = np.array([90.0, 100.0, 110.0])
    g = quant.bs_greeks(100.0, k, 0.0, 0.05, 0.2, True)
    np.testing.assert_array_equal(g["price"], [10.0, 0.0, 0.0])
    np.testing.assert_array_equal(g["delta"], [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(g["gamma"], 0.0)
    np.testing.assert_array_equal(g["vega"], 0.0)
    put = quant.bs_price(100.0, k, 1.0, 0.05, 0.0, False)
    np.testing.assert_allclose(put, np.maximum(k * np.exp(-0.05) - 100.0, 0.0), atol=1e-12)
    assert not np.signbit(put).any()


def test_string_flags_are_refused() -> None:
    with pytest.raises(TypeError):
        quant.bs_price(100.0, 100.0, 1.0, 0.05, 0.2, np.array(["c", "p"]))


def test_negative_inputs_give_nan() -> None:
    assert np.isnan(quant.bs_price(100.0, 100.0, -1.0, 0.05, 0.2, True))
    assert np.isnan(quant.bs_greeks(100.0, 100.0, 1.0, 0.05, -0.2, True)["delta"])


def test_shapes_broadcast_and_dtype() -> None:
    scalar = quant.bs_price(100, 100, 1, 0.05, 0.2, True)
    assert isinstance(scalar, np.ndarray) and scalar.shape == () and scalar.dtype == np.float64
    g = quant.black76_greeks(
        100.0, np.array([90.0, 100.0, 110.0]), 0.5, 0.03, 0.2, np.array([[True], [False]])
    )
    assert all(v.shape == (2, 3) and v.dtype == np.float64 for v in g.values())
    # gamma and vega do not depend on the flag but still come back full-shaped
    np.testing.assert_array_equal(g["gamma"][0], g["gamma"][1])


def test_blocked_evaluation_matches_small_calls() -> None:
    rng = np.random.default_rng(1)
    n = 70_000  # > one block
    s, k = rng.uniform(50, 150, n), rng.uniform(50, 150, n)
    t, v, c = rng.uniform(0.01, 2, n), rng.uniform(0.05, 1.0, n), rng.random(n) < 0.5
    big = quant.bs_greeks(s, k, t, 0.03, v, c, 0.01)
    part = slice(40_000, 40_050)
    small = quant.bs_greeks(s[part], k[part], t[part], 0.03, v[part], c[part], 0.01)
    for name, values in small.items():
        np.testing.assert_array_equal(big[name][part], values)
