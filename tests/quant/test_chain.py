"""Chain analytics: PCR, ATM, straddle, OTM build-up, OI change, build-up classes, skew, GEX."""

from __future__ import annotations

import numpy as np
import pytest

from deltastream import quant


def make_chain(**overrides: object) -> dict[str, np.ndarray | float]:
    """A small NIFTY-like chain: 5 strikes around spot 21537."""
    chain: dict[str, np.ndarray | float] = {
        "strikes": np.array([21400.0, 21450.0, 21500.0, 21550.0, 21600.0]),
        "spot": 21537.0,
        "call_oi": np.array([10_000, 20_000, 30_000, 40_000, 50_000]),
        "put_oi": np.array([55_000, 45_000, 35_000, 25_000, 15_000]),
        "call_volume": np.array([100, 200, 300, 400, 500]),
        "put_volume": np.array([500, 400, 300, 200, 100]),
        "call_last": np.array([180.0, 140.0, 105.0, 75.0, 50.0]),
        "put_last": np.array([40.0, 52.0, 70.0, 92.0, 120.0]),
    }
    chain.update(overrides)  # type: ignore[arg-type]
    return chain


def test_pcr_seed_example_and_zero_denominator() -> None:
    assert quant.pcr(45000 + 36000, 50000 + 40000) == pytest.approx(0.9)
    assert quant.pcr(100, 0) == 0.0
    np.testing.assert_array_equal(quant.pcr(np.array([1.0, 2.0]), np.array([0.0, 4.0])), [0.0, 0.5])


def test_atm_strike_seed_example_and_tie_to_lower() -> None:
    assert quant.atm_strike([21000, 21500, 22000, 22500], 21537) == 21500.0
    assert quant.atm_strike([21550, 21500], 21525.0) == 21500.0  # equidistant: the lower strike
    assert quant.atm_index([21550, 21500], 21525.0) == 1


def test_atm_straddle_and_missing_leg() -> None:
    c = make_chain()
    assert quant.atm_straddle(c["strikes"], c["call_last"], c["put_last"], 21537.0) == pytest.approx(
        75.0 + 92.0
    )
    missing = np.array([180.0, 140.0, 105.0, np.nan, 50.0])
    assert quant.atm_straddle(c["strikes"], missing, c["put_last"], 21537.0) == 0.0


def test_otm_buildup() -> None:
    c = make_chain()
    calls, puts = quant.otm_buildup(c["strikes"], 21537.0, c["call_oi"], c["put_oi"])
    assert (calls, puts) == (40_000 + 50_000, 55_000 + 45_000 + 35_000)


def test_oi_change_aligns_by_strike_and_marks_new_strikes_unknown() -> None:
    change = quant.oi_change([100.0, 105.0, 110.0], [50, 60, 70], [110.0, 100.0, 95.0], [65, 40, 1])
    np.testing.assert_array_equal(change, [10.0, np.nan, 5.0])
    assert np.isnan(quant.oi_change([100.0], [5], None, None)).all()


def test_buildup_classes() -> None:
    labels = quant.buildup([1.0, -1.0, 1.0, -1.0, 0.0, 2.0, np.nan], [5, 5, -5, -5, 5, 0, 5])
    assert labels.tolist() == [
        "long_buildup",
        "short_buildup",
        "short_covering",
        "long_unwinding",
        "neutral",
        "neutral",
        "neutral",
    ]
    assert set(labels.tolist()) <= set(quant.BUILDUP_LABELS)


def test_skew_25d_on_a_put_skewed_smile() -> None:
    f, t, r = 100.0, 30 / 365, 0.0
    k = np.linspace(80.0, 120.0, 41)
    iv = 0.20 - 0.4 * np.log(k / f)  # puts (low strikes) richer
    call_delta = quant.black76_greeks(f, k, t, r, iv, True)["delta"]
    put_delta = quant.black76_greeks(f, k, t, r, iv, False)["delta"]
    skew = quant.skew_25d(call_delta, iv, put_delta, iv)
    assert 0.02 < skew < 0.2
    assert np.isnan(quant.skew_25d(call_delta[:3], iv[:3], put_delta, iv))  # calls don't reach 25Δ


def test_expected_move_convention() -> None:
    assert quant.expected_move(200.0) == pytest.approx(170.0)
    assert quant.EXPECTED_MOVE_FACTOR == 0.85


def test_gamma_exposure_sign_convention() -> None:
    gamma = np.array([0.001, 0.001])
    gex_calls_only = quant.gamma_exposure(gamma, [100, 0], [True, False], 200.0, contract_multiplier=50)
    assert gex_calls_only == pytest.approx(0.001 * 100 * 50 * 200.0**2 * 0.01)
    assert quant.gamma_exposure(gamma, [100, 100], [True, False], 200.0) == 0.0
    puts_heavy = quant.gamma_exposure(np.array([[0.001], [0.001]]), [[10], [30]], [[True], [False]], 200.0)
    assert puts_heavy < 0
    assert quant.gamma_exposure([np.nan, 0.002], [5, 5], [True, True], 100.0) == pytest.approx(
        0.002 * 5 * 100.0
    )


def test_chain_metrics_matches_the_seed_definitions() -> None:
    c = make_chain()
    m = quant.chain_metrics(**c)  # type: ignore[arg-type]
    assert m.pcr_oi == pytest.approx(175_000 / 150_000)
    assert m.pcr_volume == 1.0
    assert m.atm_strike == 21550.0  # |21550 − 21537| = 13 < 37
    assert m.atm_straddle_price == pytest.approx(167.0)
    assert m.total_call_oi == 150_000 and m.total_put_oi == 175_000
    assert (m.call_buildup_otm, m.put_buildup_otm) == (90_000, 135_000)
    assert m.max_pain_strike == quant.max_pain(c["strikes"], c["call_oi"], c["put_oi"])[0]
    assert m.expected_move == pytest.approx(0.85 * 167.0)
