"""Max pain: the seed's example, exact agreement with the O(n²) definition, edge cases."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deltastream import quant

PROFILE = settings.get_profile("quant")


def brute_force(strikes: list[float], call_oi: list[int], put_oi: list[int]) -> tuple[float, list[Fraction]]:
    """The definition, in exact rational arithmetic, at every listed strike (ties → lowest)."""
    rows = sorted(zip(strikes, call_oi, put_oi, strict=True), key=lambda row: row[0])
    curve = [
        sum(Fraction(c) * max(Fraction(0), Fraction(s) - Fraction(k)) for k, c, _ in rows)
        + sum(Fraction(p) * max(Fraction(0), Fraction(k) - Fraction(s)) for k, _, p in rows)
        for s, _, _ in rows
    ]
    best = min(range(len(rows)), key=lambda j: (curve[j], rows[j][0]))
    return rows[best][0], curve


def seed_loop(strikes: list[float], call_oi: list[int], put_oi: list[int]) -> float:
    """The seed's float loop (calculate_max_pain), verbatim in behaviour."""
    best, min_total = strikes[0], float("inf")
    for s in strikes:
        total = sum(c * max(0, s - k) for k, c in zip(strikes, call_oi, strict=True))
        total += sum(p * max(0, k - s) for k, p in zip(strikes, put_oi, strict=True))
        if total < min_total:
            min_total, best = total, s
    return best


def test_seed_example() -> None:
    strike, curve = quant.max_pain([21000, 21500, 22000], [50000, 40000, 30000], [20000, 30000, 40000])
    assert strike == 21500.0
    np.testing.assert_array_equal(curve, [55e6, 45e6, 70e6])


chains = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4000), min_size=n, max_size=n, unique=True),
        st.lists(st.integers(0, 200_000), min_size=n, max_size=n),
        st.lists(st.integers(0, 200_000), min_size=n, max_size=n),
        st.sampled_from([1.0, 0.5, 0.25, 50.0]),
    )
)


@settings(PROFILE)
@given(chains)
def test_matches_brute_force_exactly(chain: tuple[list[int], list[int], list[int], float]) -> None:
    ticks, call_oi, put_oi, step = chain
    strikes = [t * step for t in ticks]
    strike, curve = quant.max_pain(strikes, call_oi, put_oi)
    exact_strike, exact_curve = brute_force(strikes, call_oi, put_oi)
    assert strike == exact_strike
    assert curve.tolist() == [float(v) for v in exact_curve]
    assert strike == seed_loop(sorted(strikes), *_aligned(strikes, call_oi, put_oi))


def _aligned(strikes: list[float], call_oi: list[int], put_oi: list[int]) -> tuple[list[int], list[int]]:
    order = np.argsort(strikes, kind="stable")
    return [call_oi[i] for i in order], [put_oi[i] for i in order]


def test_ties_go_to_the_lowest_strike() -> None:
    # Symmetric OI: pain(100) == pain(110) == 10·10; the lower strike wins.
    strike, curve = quant.max_pain([110, 100], [0, 10], [10, 0])
    assert curve[0] == curve[1]
    assert strike == 100.0


def test_unsorted_input_returns_curve_on_sorted_strikes() -> None:
    strike, curve = quant.max_pain([22000, 21000, 21500], [30000, 50000, 40000], [40000, 20000, 30000])
    assert strike == 21500.0
    np.testing.assert_array_equal(curve, [55e6, 45e6, 70e6])
    strikes, same = quant.pain_curve([22000, 21000, 21500], [30000, 50000, 40000], [40000, 20000, 30000])
    np.testing.assert_array_equal(strikes, [21000, 21500, 22000])
    np.testing.assert_array_equal(same, curve)


def test_non_dyadic_strikes_fall_back_to_float() -> None:
    strikes = np.round(np.arange(1.00, 2.00, 0.05), 2)
    rng = np.random.default_rng(3)
    call_oi, put_oi = rng.integers(0, 1000, strikes.size), rng.integers(0, 1000, strikes.size)
    strike, curve = quant.max_pain(strikes, call_oi, put_oi)
    exact_strike, exact_curve = brute_force(strikes.tolist(), call_oi.tolist(), put_oi.tolist())
    np.testing.assert_allclose(curve, [float(v) for v in exact_curve], rtol=1e-12, atol=1e-9)
    assert strike == exact_strike


def test_single_strike_and_huge_values() -> None:
    assert quant.max_pain([71000.0], [5], [7]) == (71000.0, pytest.approx(np.array([0.0])))
    strike, curve = quant.max_pain([1e9, 2e9], [10**9, 0], [0, 10**9])  # beyond int64: float path
    assert strike == 1e9 and curve[0] == 1e18


@pytest.mark.parametrize(
    ("strikes", "call_oi", "put_oi"),
    [([], [], []), ([1.0, 2.0], [1], [1, 2]), ([1.0, np.nan], [1, 1], [1, 1]), ([1.0], [-1], [1])],
)
def test_invalid_input_raises(strikes: list[float], call_oi: list[int], put_oi: list[int]) -> None:
    with pytest.raises(ValueError):
        quant.max_pain(strikes, call_oi, put_oi)
