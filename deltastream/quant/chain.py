"""Per-chain analytics: PCR, ATM, straddle, OTM build-up, OI change, build-up
classes, 25-delta skew, expected move and gamma exposure.

A chain is a set of aligned arrays: ``strikes[i]`` carries ``call_*[i]`` and
``put_*[i]`` (as the seed's ``calls[i]``/``puts[i]``). Missing quotes are NaN.
Functions are vectorised over strikes: one chain of ~21 strikes costs a few
microseconds per helper, with no Python loop over strikes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deltastream.quant._arrays import ArrayLike, FloatArray, as_float, call_sign
from deltastream.quant.max_pain import max_pain

__all__ = [
    "BUILDUP_LABELS",
    "EXPECTED_MOVE_FACTOR",
    "ChainMetrics",
    "atm_index",
    "atm_straddle",
    "atm_strike",
    "buildup",
    "chain_metrics",
    "expected_move",
    "gamma_exposure",
    "oi_change",
    "otm_buildup",
    "pcr",
    "skew_25d",
]

EXPECTED_MOVE_FACTOR = 0.85
"""Expected move = 0.85 × ATM straddle (spec convention; see :func:`expected_move`)."""

BUILDUP_LABELS = ("long_buildup", "short_buildup", "short_covering", "long_unwinding", "neutral")


def pcr(put_total: ArrayLike, call_total: ArrayLike) -> FloatArray:
    """Put-call ratio Σput / Σcall (by OI or by volume); 0.0 where Σcall is 0.

    Unrounded; the payload rounds to 4 dp.
    """
    puts, calls = as_float(put_total), as_float(call_total)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(calls > 0.0, puts / calls, 0.0)


def atm_index(strikes: ArrayLike, spot: float) -> int:
    """Index of the strike nearest ``spot``; an exact tie goes to the lower strike."""
    k = as_float(strikes)
    if k.size == 0:
        raise ValueError("atm_index needs at least one strike")
    distance = np.abs(k - spot)
    nearest = np.flatnonzero(distance == distance.min())
    if nearest.size == 1:
        return int(nearest[0])
    return int(nearest[np.argmin(k[nearest])])


def atm_strike(strikes: ArrayLike, spot: float) -> float:
    """Strike nearest ``spot``; an exact tie goes to the lower strike."""
    return float(as_float(strikes)[atm_index(strikes, spot)])


def atm_straddle(strikes: ArrayLike, call_last: ArrayLike, put_last: ArrayLike, spot: float) -> float:
    """ATM call last + ATM put last (currency); 0.0 when either quote is missing (NaN)."""
    i = atm_index(strikes, spot)
    total = float(as_float(call_last)[i] + as_float(put_last)[i])
    return total if np.isfinite(total) else 0.0


def otm_buildup(
    strikes: ArrayLike, spot: float, call_oi: ArrayLike, put_oi: ArrayLike
) -> tuple[float, float]:
    """(Σ call OI with K > spot, Σ put OI with K < spot): OTM open interest, contracts."""
    k = as_float(strikes)
    return float(np.sum(as_float(call_oi)[k > spot])), float(np.sum(as_float(put_oi)[k < spot]))


def oi_change(
    strikes: ArrayLike,
    open_interest: ArrayLike,
    prev_strikes: ArrayLike | None,
    prev_open_interest: ArrayLike | None,
) -> FloatArray:
    """Change in OI per strike against the previous snapshot, aligned with ``strikes``.

    Strikes are matched exactly. A strike absent from the previous snapshot (or
    no previous snapshot at all) gets NaN, meaning "unknown", not 0: the payload
    renders it as ``null`` and :func:`buildup` classifies it as neutral.
    """
    k, oi = as_float(strikes), as_float(open_interest)
    change = np.full(k.shape, np.nan)
    if prev_strikes is None or prev_open_interest is None:
        return change
    pk, poi = as_float(prev_strikes), as_float(prev_open_interest)
    if pk.size == 0:
        return change
    order = np.argsort(pk)
    pk, poi = pk[order], poi[order]
    pos = np.minimum(np.searchsorted(pk, k), pk.size - 1)
    found = pk[pos] == k
    change[found] = oi[found] - poi[pos[found]]
    return change


def buildup(price_change: ArrayLike, oi_change: ArrayLike) -> npt.NDArray[np.str_]:
    """Classify each strike from its price and OI changes.

    long_buildup: price ↑, OI ↑; short_buildup: price ↓, OI ↑; short_covering:
    price ↑, OI ↓; long_unwinding: price ↓, OI ↓; neutral: either unchanged or
    unknown (NaN). Returns an array of labels from :data:`BUILDUP_LABELS`.
    """
    dp, doi = np.broadcast_arrays(as_float(price_change), as_float(oi_change))
    conditions = [
        (dp > 0) & (doi > 0),
        (dp < 0) & (doi > 0),
        (dp > 0) & (doi < 0),
        (dp < 0) & (doi < 0),
    ]
    return np.select(conditions, list(BUILDUP_LABELS[:4]), default=BUILDUP_LABELS[4])


def _iv_at_delta(delta: FloatArray, iv: FloatArray, target: float) -> float:
    ok = np.isfinite(delta) & np.isfinite(iv)
    d, v = delta[ok], iv[ok]
    if d.size == 0 or not (d.min() <= target <= d.max()):
        return float("nan")
    order = np.argsort(d)
    return float(np.interp(target, d[order], v[order]))


def skew_25d(call_delta: ArrayLike, call_iv: ArrayLike, put_delta: ArrayLike, put_iv: ArrayLike) -> float:
    """25-delta risk-reversal skew: IV(25Δ put) − IV(25Δ call), vol as a decimal.

    Each IV is linearly interpolated in delta (calls at +0.25, puts at −0.25)
    over the finite quotes; NaN if a side does not bracket its target (no
    extrapolation). Positive when puts are richer, as in equity indices.
    """
    put25 = _iv_at_delta(as_float(put_delta), as_float(put_iv), -0.25)
    call25 = _iv_at_delta(as_float(call_delta), as_float(call_iv), 0.25)
    return put25 - call25


def expected_move(atm_straddle_price: ArrayLike) -> FloatArray:
    """Expected move to expiry, in price units: 0.85 × the ATM straddle.

    Convention (spec §5): the straddle is ≈ √(2/π)·σ√T·S ≈ 0.80·σ√T·S, the mean
    absolute move; traders quote 85 % of it as the market-implied ±move to
    expiry (≈ 0.68·σ√T·S). It is a heuristic band, not a one-sigma move.
    """
    return as_float(atm_straddle_price) * EXPECTED_MOVE_FACTOR


def gamma_exposure(
    gamma: ArrayLike,
    open_interest: ArrayLike,
    is_call: ArrayLike,
    spot: float,
    contract_multiplier: float = 1.0,
) -> float:
    """Net gamma exposure GEX = Σ sign·Γ·OI·multiplier·S²·0.01, in currency per 1 % move.

    Γ is per unit of spot (``bs_greeks`` gamma), so Γ·S·0.01 is the delta change
    for a 1 % move and ×S×OI×multiplier its notional. Sign convention (the usual
    dealer-positioning assumption): calls +, puts −, i.e. dealers are taken to
    be long the calls and short the puts that customers trade. NaN gammas
    (unquoted strikes) count as 0.
    """
    terms = call_sign(is_call) * as_float(gamma) * as_float(open_interest)
    return float(np.nansum(terms)) * contract_multiplier * spot * spot * 0.01


@dataclass(frozen=True, slots=True)
class ChainMetrics:
    """Seed enrichment fields for one chain (spec §3 "Enriched chain")."""

    pcr_oi: float
    pcr_volume: float
    atm_strike: float
    atm_straddle_price: float
    max_pain_strike: float
    total_call_oi: float
    total_put_oi: float
    call_buildup_otm: float
    put_buildup_otm: float
    expected_move: float


def chain_metrics(
    strikes: ArrayLike,
    spot: float,
    call_oi: ArrayLike,
    put_oi: ArrayLike,
    call_volume: ArrayLike,
    put_volume: ArrayLike,
    call_last: ArrayLike,
    put_last: ArrayLike,
) -> ChainMetrics:
    """All seed per-chain analytics in one call (unrounded; round at the payload).

    Library API, not on the pipeline's path: enrichment computes the same figures vectorised over
    a batch (``enrichment.chain``); this per-chain form is the reference ``bench/bench_quant.py``
    and ``tests/quant`` hold those definitions to.

    Same definitions as the seed's ``process_option_chain`` (PCR 0 on a zero
    denominator, ATM ties to the lower strike, straddle 0 when a leg is missing,
    exact max pain) plus the expected move.
    """
    k = as_float(strikes)
    c_oi, p_oi = as_float(call_oi), as_float(put_oi)
    total_call, total_put = float(c_oi.sum()), float(p_oi.sum())
    call_vol, put_vol = float(np.sum(call_volume)), float(np.sum(put_volume))
    atm = atm_index(k, spot)
    straddle = float(as_float(call_last)[atm] + as_float(put_last)[atm])
    straddle = straddle if np.isfinite(straddle) else 0.0
    return ChainMetrics(
        pcr_oi=total_put / total_call if total_call > 0 else 0.0,
        pcr_volume=put_vol / call_vol if call_vol > 0 else 0.0,
        atm_strike=float(k[atm]),
        atm_straddle_price=straddle,
        max_pain_strike=max_pain(k, c_oi, p_oi)[0],
        total_call_oi=total_call,
        total_put_oi=total_put,
        call_buildup_otm=float(c_oi[k > spot].sum()),
        put_buildup_otm=float(p_oi[k < spot].sum()),
        expected_move=straddle * EXPECTED_MOVE_FACTOR,
    )
