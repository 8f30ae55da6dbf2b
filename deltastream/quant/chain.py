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
    "IV_SOURCES",
    "ChainMetrics",
    "atm_index",
    "atm_straddle",
    "atm_strike",
    "buildup",
    "chain_metrics",
    "expected_move",
    "expected_move_iv",
    "fill_iv_from_counterpart",
    "gamma_exposure",
    "gamma_flip",
    "gamma_walls",
    "oi_change",
    "otm_buildup",
    "pcr",
    "skew_25d",
    "skew_25d_reason",
]

IV_SOURCES = ("mid", "otm_parity", "none")
"""``iv_source`` labels: solved from the quote's own mid, taken from the other side at the same
strike (put-call parity), or no vol at all."""

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


def fill_iv_from_counterpart(iv: ArrayLike, priced: ArrayLike) -> tuple[FloatArray, npt.NDArray[np.str_]]:
    """Complete implied vols from the other side of the same strike; ``(iv, iv_source)``.

    ``iv`` and ``priced`` have the side on axis −2 (0 calls, 1 puts) and strikes on axis −1.
    A quote whose own mid pins a vol (finite, > 0) keeps it (``mid``). A priced quote whose mid
    does not (deep in the money, the spread puts the mid at or below discounted intrinsic, so
    the solver returns NaN or the σ → 0 limit) takes the vol of the counterpart at the same
    strike and expiry when that one is pinned (``otm_parity``): put-call parity
    ``C − P = e^(−rT)(F − K)`` makes both vols equal, and the out-of-the-money side carries the
    time value and so pins it. Otherwise NaN (``none``).
    """
    vol = as_float(iv)
    has_price = np.asarray(priced, dtype=bool)
    own = np.isfinite(vol) & (vol > 0.0)
    other_vol = np.flip(vol, axis=-2)
    other = np.flip(own, axis=-2)
    use_other = ~own & has_price & other
    filled = np.where(own, vol, np.where(use_other, other_vol, np.nan))
    source = np.select([own, use_other], ["mid", "otm_parity"], default="none")
    return filled, source


def skew_25d_reason(
    call_delta: ArrayLike, call_iv: ArrayLike, put_delta: ArrayLike, put_iv: ArrayLike
) -> str | None:
    """Why :func:`skew_25d` is NaN (None when it is defined).

    ``no_25d_call`` / ``no_25d_put``: that side's finite deltas do not bracket ±0.25 (the strikes
    listed are too close to the money, or too few vols), so no interpolation is possible and no
    extrapolation is done.
    """

    def brackets(delta: ArrayLike, iv: ArrayLike, target: float) -> bool:
        d, v = as_float(delta), as_float(iv)
        d = d[np.isfinite(d) & np.isfinite(v)]
        return bool(d.size) and bool(d.min() <= target <= d.max())

    if not brackets(call_delta, call_iv, 0.25):
        return "no_25d_call"
    if not brackets(put_delta, put_iv, -0.25):
        return "no_25d_put"
    return None


def expected_move_iv(spot: float, atm_iv: float, tte_years: float) -> float:
    """One-sigma expected move to expiry from the ATM vol: ``S·σ_ATM·√T`` (price units).

    NaN when the ATM vol is unknown or ``T`` is not positive.
    """
    if not (np.isfinite(atm_iv) and atm_iv > 0.0 and tte_years > 0.0):
        return float("nan")
    return float(spot * atm_iv * np.sqrt(tte_years))


def _strike_gex(
    gamma: ArrayLike, open_interest: ArrayLike, is_call: ArrayLike, spot: float, contract_multiplier: float
) -> FloatArray:
    """Per-strike signed GEX ``(2, N)``: sign·Γ·OI·multiplier·S²·0.01, NaN gamma counts 0."""
    terms = call_sign(is_call) * np.nan_to_num(as_float(gamma)) * as_float(open_interest)
    return terms * contract_multiplier * spot * spot * 0.01


def gamma_walls(
    strikes: ArrayLike,
    gamma: ArrayLike,
    open_interest: ArrayLike,
    is_call: ArrayLike,
    spot: float,
    multiplier: float,
) -> tuple[float | None, float | None]:
    """(call wall, put wall): the strikes with the largest call GEX and the largest |put GEX|.

    ``gamma`` and ``open_interest`` are ``(2, N)`` (calls, puts); None when a side has no
    gamma exposure at all.
    """
    k = as_float(strikes)
    per = _strike_gex(gamma, open_interest, is_call, spot, multiplier)
    call, put = per[0], -per[1]
    call_wall = float(k[int(np.argmax(call))]) if np.any(call > 0) else None
    put_wall = float(k[int(np.argmax(put))]) if np.any(put > 0) else None
    return call_wall, put_wall


def gamma_flip(
    strikes: ArrayLike, gamma: ArrayLike, open_interest: ArrayLike, is_call: ArrayLike
) -> float | None:
    """Zero-gamma (flip) level: the strike-space point where cumulative net GEX changes sign.

    Net GEX per strike (calls +, puts −; the S² factor is common and dropped) is summed from
    the lowest strike up; the flip is the linear interpolation between the two strikes where
    that running sum first crosses zero (a strike-space approximation of the spot at which
    dealers' net gamma changes sign, without re-pricing the chain at other spots). None when it
    never changes sign within the listed strikes.
    """
    k = as_float(strikes)
    per = _strike_gex(gamma, open_interest, is_call, 1.0, 1.0).sum(axis=0)
    cum = np.cumsum(per)
    for i in range(1, k.size):
        a, b = float(cum[i - 1]), float(cum[i])
        if (a < 0.0 <= b) or (a > 0.0 >= b):
            return float(k[i - 1] + (k[i] - k[i - 1]) * (-a) / (b - a))
    return None


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
