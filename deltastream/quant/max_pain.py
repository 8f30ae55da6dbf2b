"""Max pain: the settlement price that minimises the total payout to option holders.

pain(S) = Σ_calls OI_i·max(0, S − K_i) + Σ_puts OI_i·max(0, K_i − S), evaluated at
every listed strike S. Note that this is not "the strike with the most OI".

With strikes sorted, both sums split into prefix sums:

    calls(S_j) = S_j·Σ_{i≤j} c_i − Σ_{i≤j} c_i·K_i
    puts(S_j)  = Σ_{i≥j} p_i·K_i − S_j·Σ_{i≥j} p_i

so the whole curve costs O(n log n) (the sort) instead of the O(n²) double loop.

Exactness: when the open interests are integers and the strikes are integer
multiples of 2^-e (e ≤ 20: whole, half, quarter... strikes), the curve is
computed in integers (float64 below 2^53, else int64) on the scaled strikes,
so every value and the arg-min are exact (each value is rounded once, to
float64, on the way out) and equal the brute-force double loop. Other inputs (e.g. strikes on a 0.05 grid, which no
binary float holds exactly) fall back to float64 with the same formula.
"""

from __future__ import annotations

import numpy as np

from deltastream.quant._arrays import ArrayLike, FloatArray

__all__ = ["max_pain", "pain_curve"]

_MAX_DYADIC_EXPONENT = 20
_EXACT_FLOAT = 2.0**53  # integers below this are exact in float64, and so are their sums
_EXACT_INT64 = 2.0**62


def _prepared(strikes: ArrayLike, call_oi: ArrayLike, put_oi: ArrayLike) -> FloatArray:
    """Validated rows (strike, call OI, put OI) as a (3, n) float64 array sorted by strike."""
    sizes = (np.size(strikes), np.size(call_oi), np.size(put_oi))
    if sizes[0] == 0:
        raise ValueError("max_pain needs at least one strike")
    if len(set(sizes)) != 1:
        raise ValueError(f"strikes, call_oi and put_oi differ in length: {sizes}")
    data = np.array([np.ravel(strikes), np.ravel(call_oi), np.ravel(put_oi)], dtype=np.float64)
    if not np.isfinite(data).all():
        raise ValueError("strikes and open interest must be finite")
    if (data[1:] < 0.0).any():
        raise ValueError("open interest must be non-negative")
    k = data[0]
    if not (k[1:] >= k[:-1]).all():
        data = data[:, np.argsort(k, kind="stable")]
    return data


def _pain(k: np.ndarray, c: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Prefix-sum pain at every (sorted) strike, in the dtype of the inputs."""
    calls = k * np.cumsum(c) - np.cumsum(c * k)
    k_rev, p_rev = k[::-1], p[::-1]
    puts = (np.cumsum(p_rev * k_rev) - k_rev * np.cumsum(p_rev))[::-1]
    pain: np.ndarray = calls + puts
    return pain


def _dyadic_exponent(data: FloatArray) -> int | None:
    """Smallest e ≤ 20 with integer OI and every strike·2^e an integer, else None."""
    if np.array_equal(data, np.floor(data)):
        return 0  # the usual chain: whole strikes, integer OI
    oi = data[1:]
    if not np.array_equal(oi, np.floor(oi)):
        return None
    for exponent in range(1, _MAX_DYADIC_EXPONENT + 1):
        scaled = np.ldexp(data[0], exponent)
        if np.array_equal(scaled, np.floor(scaled)):
            return exponent
    return None


def _curve_and_argmin(data: FloatArray) -> tuple[FloatArray, int]:
    """Pain curve (float64) and the index of its first minimum, exactly when possible.

    With integer OI and strikes integral after scaling by 2^e, every partial
    sum is an integer: below 2^53 float64 holds them exactly, below 2^62 int64
    does. Scaling by a power of two is itself exact, so the returned curve is
    the exact pain rounded once. Otherwise plain float64.
    """
    k, c, p = data
    exponent = _dyadic_exponent(data)
    if exponent is not None:
        scaled = np.ldexp(k, exponent) if exponent else k
        bound = 2.0 * float(np.abs(scaled).max()) * float(c.sum() + p.sum())
        if bound < _EXACT_FLOAT:
            pain = _pain(scaled, c, p)
            return (np.ldexp(pain, -exponent) if exponent else pain), int(np.argmin(pain))
        if bound < _EXACT_INT64:
            exact = _pain(scaled.astype(np.int64), c.astype(np.int64), p.astype(np.int64))
            return np.ldexp(exact.astype(np.float64), -exponent), int(np.argmin(exact))
    pain = _pain(k, c, p)
    return pain, int(np.argmin(pain))


def pain_curve(strikes: ArrayLike, call_oi: ArrayLike, put_oi: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Total holder payout (currency × contracts) if settling at each strike.

    Returns ``(sorted_strikes, pain)``, both float64 and aligned. Raises
    ``ValueError`` for empty, mismatched, non-finite or negative inputs.
    """
    data = _prepared(strikes, call_oi, put_oi)
    return data[0].copy(), _curve_and_argmin(data)[0]


def max_pain(strikes: ArrayLike, call_oi: ArrayLike, put_oi: ArrayLike) -> tuple[float, FloatArray]:
    """Max-pain strike and the pain curve aligned with the sorted strikes.

    ``strikes[i]`` carries ``call_oi[i]`` and ``put_oi[i]`` (contracts). Returns
    ``(strike, pain)`` where ``strike`` minimises ``pain`` over the listed
    strikes, ties going to the lowest strike (as the seed's strict ``<`` loop),
    and ``pain`` is in currency × contracts. Raises ``ValueError`` on empty input.
    """
    data = _prepared(strikes, call_oi, put_oi)
    curve, best = _curve_and_argmin(data)
    return float(data[0, best]), curve
