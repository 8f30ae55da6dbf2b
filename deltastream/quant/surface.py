"""Volatility surface from per-expiry smiles: strike grid, moneyness grid,
ATM term structure.

Input per expiry: time to expiry, forward, strikes and IVs (typically the OTM
IV per strike, see :func:`otm_ivs`). Interpolation is linear, in strike for
the strike grid and in log-moneyness ``k = ln(K/F)`` for the moneyness grid,
and never extrapolates: points outside an expiry's quoted range are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deltastream.quant._arrays import ArrayLike, FloatArray, as_float

__all__ = [
    "DEFAULT_LOG_MONEYNESS",
    "GRID_POINTS",
    "ExpirySlice",
    "Smile",
    "VolSurface",
    "adaptive_log_moneyness",
    "build_surface",
    "otm_ivs",
    "smile",
]

DEFAULT_LOG_MONEYNESS: FloatArray = np.round(np.linspace(-0.2, 0.2, 41), 10)
"""Fixed log-moneyness points ln(K/F) from −20 % to +20 % in 1 % steps (pass it explicitly)."""

GRID_POINTS = 41
"""Points of the adaptive moneyness grid (:func:`adaptive_log_moneyness`)."""


@dataclass(frozen=True, slots=True)
class ExpirySlice:
    """Raw input for one expiry: ``ivs[i]`` (decimal vol) quoted at ``strikes[i]``."""

    tte_years: float
    forward: float
    strikes: ArrayLike
    ivs: ArrayLike


@dataclass(frozen=True, slots=True)
class Smile:
    """One expiry's clean smile: strikes ascending, unique, every IV finite."""

    tte_years: float
    forward: float
    strikes: FloatArray
    ivs: FloatArray
    atm_iv: float  # IV interpolated at K = F; NaN if F is outside the quoted strikes

    @property
    def log_moneyness(self) -> FloatArray:
        """ln(K/F) of each strike."""
        return np.log(self.strikes / self.forward)


@dataclass(frozen=True, slots=True)
class VolSurface:
    """IV grids over expiries (rows, ascending tte) × strikes or moneyness (columns)."""

    tte_years: FloatArray  # (n_expiries,)
    forwards: FloatArray  # (n_expiries,)
    strikes: FloatArray  # (n_strikes,): the union of all quoted strikes
    iv_grid: FloatArray  # (n_expiries, n_strikes), NaN outside each smile
    log_moneyness: FloatArray  # (n_points,)
    moneyness_iv: FloatArray  # (n_expiries, n_points), NaN outside each smile
    atm_term_structure: FloatArray  # (n_expiries,) ATM IV per expiry
    smiles: tuple[Smile, ...]


def _interp_inside(x: FloatArray, xp: FloatArray, fp: FloatArray) -> FloatArray:
    if xp.size == 0:
        return np.full(x.shape, np.nan)
    return np.interp(x, xp, fp, left=np.nan, right=np.nan)


def otm_ivs(strikes: ArrayLike, call_iv: ArrayLike, put_iv: ArrayLike, forward: float) -> FloatArray:
    """One IV per strike: the put's below the forward, the call's at or above it.

    OTM options carry the time value and the tighter relative spreads, so this
    is the usual smile. Where the preferred side is NaN the other side is used.
    """
    k, c, p = as_float(strikes), as_float(call_iv), as_float(put_iv)
    preferred = np.where(k < forward, p, c)
    other = np.where(k < forward, c, p)
    return np.where(np.isfinite(preferred), preferred, other)


def smile(tte: float, forward: float, strikes: ArrayLike, ivs: ArrayLike) -> Smile:
    """Clean one expiry: drop NaN/non-positive IVs, sort, average duplicated strikes."""
    k, v = as_float(strikes).ravel(), as_float(ivs).ravel()
    keep = np.isfinite(k) & np.isfinite(v) & (v > 0.0)
    k, v = k[keep], v[keep]
    unique, inverse, counts = np.unique(k, return_inverse=True, return_counts=True)
    mean_iv = np.bincount(inverse, weights=v, minlength=unique.size) / np.maximum(counts, 1)
    atm = _interp_inside(np.asarray(float(forward)), unique, mean_iv)
    return Smile(float(tte), float(forward), unique, mean_iv, float(atm))


def adaptive_log_moneyness(smiles: Sequence[Smile], points: int = GRID_POINTS) -> FloatArray:
    """``points`` evenly spaced ln(K/F) values spanning the range actually quoted.

    From the lowest to the highest log-moneyness of any expiry's smile, with no margin (the
    grid never extrapolates); the ends are rounded *inwards* to 1e-6 so the first and last point
    stay inside the data. Every point then lies in the hull of the quoted strikes; a row is null
    only where that expiry's own strikes stop short of another expiry's range. Empty without data.
    """
    spans = [m.log_moneyness for m in smiles if m.strikes.size]
    if not spans:
        return np.empty(0)
    lo = float(np.ceil(min(float(x.min()) for x in spans) * 1e6) / 1e6)
    hi = float(np.floor(max(float(x.max()) for x in spans) * 1e6) / 1e6)
    if hi <= lo:
        return np.array([lo])
    return np.round(np.linspace(lo, hi, points), 6).clip(lo, hi)


def build_surface(
    slices: Sequence[ExpirySlice],
    log_moneyness: ArrayLike | None = None,
) -> VolSurface:
    """Build the strike grid, moneyness grid and ATM term structure.

    Expiries are sorted by ``tte_years``. Each row of ``iv_grid`` interpolates
    that expiry's smile linearly in strike at the union of all strikes; each
    row of ``moneyness_iv`` interpolates linearly in ln(K/F) at ``log_moneyness``
    (default: :func:`adaptive_log_moneyness`, the quoted range), the same points for every
    expiry so they compare. The loop
    is over expiries (a handful), never over strikes.
    """
    smiles = tuple(
        sorted((smile(s.tte_years, s.forward, s.strikes, s.ivs) for s in slices), key=lambda m: m.tte_years)
    )
    points = adaptive_log_moneyness(smiles) if log_moneyness is None else as_float(log_moneyness).ravel()
    all_strikes = np.unique(np.concatenate([m.strikes for m in smiles])) if smiles else np.empty(0)
    iv_grid = np.full((len(smiles), all_strikes.size), np.nan)
    moneyness_iv = np.full((len(smiles), points.size), np.nan)
    for row, m in enumerate(smiles):
        iv_grid[row] = _interp_inside(all_strikes, m.strikes, m.ivs)
        moneyness_iv[row] = _interp_inside(points, m.log_moneyness, m.ivs)
    return VolSurface(
        tte_years=np.array([m.tte_years for m in smiles]),
        forwards=np.array([m.forward for m in smiles]),
        strikes=all_strikes,
        iv_grid=iv_grid,
        log_moneyness=points,
        moneyness_iv=moneyness_iv,
        atm_term_structure=np.array([m.atm_iv for m in smiles]),
        smiles=smiles,
    )
