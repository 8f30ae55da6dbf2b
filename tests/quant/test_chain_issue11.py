"""Issue 11: parity fill, skew reason, GEX walls and flip, expected move from IV, adaptive grid."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deltastream import quant

SIDES = np.array([[True], [False]])


@given(st.lists(st.one_of(st.none(), st.floats(0.01, 3.0)), min_size=2, max_size=40))
@settings(max_examples=60, deadline=None)
def test_parity_fill_never_leaves_a_hole_where_one_side_pins_a_vol(raw: list[float | None]) -> None:
    n = len(raw) // 2
    vols = np.array([np.nan if v is None else v for v in raw[: 2 * n]]).reshape(2, n)
    iv, source = quant.fill_iv_from_counterpart(vols, np.ones((2, n), dtype=bool))
    for side in (0, 1):
        for k in range(n):
            own, other = vols[side, k], vols[1 - side, k]
            if np.isfinite(own):
                assert (iv[side, k], source[side, k]) == (own, "mid")
            elif np.isfinite(other):
                assert (iv[side, k], source[side, k]) == (other, "otm_parity")
            else:
                assert np.isnan(iv[side, k]) and source[side, k] == "none"


def test_parity_fill_skips_unpriced_quotes_and_zero_vols() -> None:
    vols = np.array([[0.0, np.nan], [0.2, 0.3]])
    priced = np.array([[True, False], [True, True]])
    iv, source = quant.fill_iv_from_counterpart(vols, priced)
    assert iv[0, 0] == 0.2 and source[0, 0] == "otm_parity"  # the σ → 0 limit is not a vol
    assert np.isnan(iv[0, 1]) and source[0, 1] == "none"  # no price, no vol


def test_skew_reason_names_the_side_that_does_not_reach_25_delta() -> None:
    call_d, put_d = np.array([0.9, 0.6, 0.4]), np.array([-0.1, -0.4, -0.6])
    iv = np.array([0.2, 0.2, 0.2])
    assert np.isnan(quant.skew_25d(call_d, iv, put_d, iv))
    assert quant.skew_25d_reason(call_d, iv, put_d, iv) == "no_25d_call"
    call_d = np.array([0.6, 0.3, 0.1])
    assert quant.skew_25d_reason(call_d, iv, np.array([-0.6, -0.4, -0.3]), iv) == "no_25d_put"
    assert quant.skew_25d_reason(call_d, iv, put_d, iv) is None
    assert np.isfinite(quant.skew_25d(call_d, iv, put_d, iv))


def test_gamma_walls_and_flip_against_a_hand_count() -> None:
    strikes = np.array([90.0, 100.0, 110.0])
    gamma = np.array([[0.01, 0.02, 0.01], [0.01, 0.02, 0.01]])
    oi = np.array([[0.0, 100.0, 500.0], [400.0, 100.0, 0.0]])
    # net per strike: -4, 0, +5 → cumulative -4, -4, +1: crosses zero between 100 and 110
    assert quant.gamma_flip(strikes, gamma, oi, SIDES) == 100.0 + 10.0 * 4.0 / 5.0
    assert quant.gamma_walls(strikes, gamma, oi, SIDES, 100.0, 100.0) == (110.0, 90.0)
    assert quant.gamma_flip(strikes, gamma, np.array([[1.0, 1, 1], [0, 0, 0]]), SIDES) is None
    gex = quant.gamma_exposure(gamma, oi, SIDES, 100.0, 100.0)
    assert gex == (5.0 - 4.0) * 100.0 * 100.0**2 * 0.01


def test_expected_move_from_iv() -> None:
    assert quant.expected_move_iv(100.0, 0.2, 0.25) == 100.0 * 0.2 * 0.5
    assert np.isnan(quant.expected_move_iv(100.0, float("nan"), 0.25))
    assert np.isnan(quant.expected_move_iv(100.0, 0.2, 0.0))


@given(st.floats(0.9, 0.99), st.floats(1.01, 1.1), st.floats(0.005, 0.3))
@settings(max_examples=40, deadline=None)
def test_adaptive_grid_has_no_null_inside_the_quoted_range(lo: float, hi: float, width: float) -> None:
    strikes = np.linspace(100 * lo, 100 * hi, 21)
    slices = [
        quant.ExpirySlice(0.02, 100.0, strikes, 0.2 + width * (strikes / 100 - 1) ** 2),
        quant.ExpirySlice(0.2, 101.0, strikes * 0.98, np.full(21, 0.25)),
    ]
    surface = quant.build_surface(slices)
    points = surface.log_moneyness
    assert points.size == quant.GRID_POINTS
    for row, m in zip(surface.moneyness_iv, surface.smiles, strict=True):
        inside = (points >= m.log_moneyness.min()) & (points <= m.log_moneyness.max())
        assert inside.any() and np.isfinite(row[inside]).all()
    assert points.min() >= min(m.log_moneyness.min() for m in surface.smiles)
    assert points.max() <= max(m.log_moneyness.max() for m in surface.smiles)
