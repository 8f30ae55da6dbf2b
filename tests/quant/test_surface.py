"""Surface: strike grid, moneyness grid, ATM term structure, smiles."""

from __future__ import annotations

import numpy as np
import pytest

from deltastream import quant


def make_slice(tte: float, forward: float = 100.0, lo: float = 90.0, hi: float = 110.0) -> quant.ExpirySlice:
    strikes = np.arange(lo, hi + 1e-9, 5.0)
    return quant.ExpirySlice(tte, forward, strikes, 0.2 + 0.1 * tte + 0.001 * (strikes - forward) ** 2 / 10)


def test_grid_sorted_by_expiry_with_nan_outside_each_smile() -> None:
    surface = quant.build_surface([make_slice(0.5, lo=80.0, hi=120.0), make_slice(0.1)])
    np.testing.assert_array_equal(surface.tte_years, [0.1, 0.5])
    np.testing.assert_array_equal(surface.strikes, np.arange(80.0, 121.0, 5.0))
    assert surface.iv_grid.shape == (2, 9)
    assert np.isnan(surface.iv_grid[0, 0]) and np.isnan(surface.iv_grid[0, -1])
    assert np.isfinite(surface.iv_grid[1]).all()
    np.testing.assert_allclose(surface.atm_term_structure, [0.21, 0.25])


def test_moneyness_grid_interpolates_in_log_moneyness() -> None:
    surface = quant.build_surface([make_slice(0.25, forward=100.0)], log_moneyness=[-0.5, 0.0, np.log(1.025)])
    row = surface.moneyness_iv[0]
    assert np.isnan(row[0])
    assert row[1] == pytest.approx(0.225)
    k_mid = 102.5  # between the 100 and 105 quotes: linear in ln K
    w = (np.log(k_mid) - np.log(100.0)) / (np.log(105.0) - np.log(100.0))
    assert row[2] == pytest.approx(0.225 + w * 0.0025)


def test_smile_cleans_nan_sorts_and_averages_duplicates() -> None:
    s = quant.smile(0.1, 100.0, [105.0, 95.0, 100.0, 100.0, 110.0], [0.21, 0.22, 0.18, 0.20, np.nan])
    np.testing.assert_array_equal(s.strikes, [95.0, 100.0, 105.0])
    np.testing.assert_allclose(s.ivs, [0.22, 0.19, 0.21])
    assert s.atm_iv == pytest.approx(0.19)
    assert np.isnan(quant.smile(0.1, 200.0, [95.0, 100.0], [0.2, 0.2]).atm_iv)


def test_otm_ivs_prefers_out_of_the_money_side() -> None:
    k = np.array([90.0, 100.0, 110.0])
    ivs = quant.otm_ivs(k, [0.30, 0.20, 0.18], [0.25, 0.21, np.nan], forward=100.0)
    np.testing.assert_array_equal(ivs, [0.25, 0.20, 0.18])
    np.testing.assert_array_equal(
        quant.otm_ivs(k, [0.3, np.nan, np.nan], [np.nan, 0.2, 0.1], 100.0), [0.3, 0.2, 0.1]
    )


def test_empty_surface() -> None:
    surface = quant.build_surface([])
    assert surface.iv_grid.shape == (0, 0) and surface.smiles == ()
