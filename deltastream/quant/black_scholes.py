"""Black-Scholes-Merton (continuous dividend) and Black-76 prices and Greeks.

Both models share one kernel: Black-76 is Black-Scholes-Merton written on the
forward, with the carry equal to the rate. ``d1``, ``d2``, the two normal CDFs
and the normal density are computed once per call and shared by every Greek.

Units and conventions (all inputs broadcast; every result is a float64 array):

* ``spot``, ``forward``, ``strike`` and prices are in currency units.
* ``tte_years`` is ACT/365 time to expiry in years; ``rate`` and ``dividend``
  are continuously compounded annual decimals (0.05 = 5 %).
* ``vol`` is the annualised volatility as a decimal (0.20 = 20 %).
* ``delta`` is ∂V/∂spot (∂V/∂forward for Black-76), ``gamma`` its derivative.
* ``vega`` is the price change for one vol point (σ + 0.01).
* ``theta`` is the price change per calendar day (−∂V/∂T / 365).
* ``rho`` is the price change for a one percent rate move (r + 0.01); Black-76
  holds the forward fixed, so its rho is −T·V/100.

At expiry (``tte_years == 0``) or zero vol the price is the discounted
intrinsic value of the forward, delta is the step ±DF (±DF/2 exactly at the
money), gamma and vega are 0. Negative ``tte_years`` or ``vol`` give NaN.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from deltastream.quant._arrays import (
    DAYS_PER_YEAR,
    ArrayLike,
    FloatArray,
    as_float,
    broadcast_shape,
    call_sign,
    map_blocks,
)

__all__ = ["black76_greeks", "black76_price", "bs_greeks", "bs_price"]

_INV_SQRT_2PI = 0.3989422804014327
_PER_VOL_POINT = 0.01
_PER_RATE_PERCENT = 0.01


class _Kernel(NamedTuple):
    """Quantities shared by the price and every Greek of one call."""

    sign: FloatArray  # θ: +1 call, -1 put
    disc_under: FloatArray  # A: discounted forward, S·e^(-qT) or F·e^(-rT)
    disc_strike: FloatArray  # B: K·e^(-rT)
    n1: FloatArray  # N(θ·d1)
    n2: FloatArray  # N(θ·d2)
    pdf: FloatArray  # φ(d1); 0 where the total vol is 0
    inv_s: FloatArray  # 1/(σ√T); 0 where the total vol is 0
    sqrt_t: FloatArray
    inv_sqrt_t: FloatArray  # 1/√T; 0 at expiry


def _kernel(
    underlying: FloatArray,
    strike: FloatArray,
    tte: FloatArray,
    rate: FloatArray,
    carry_dividend: FloatArray,
    vol: FloatArray,
    sign: FloatArray,
    *,
    want_pdf: bool,
) -> _Kernel:
    """Evaluate d1/d2 and the normal functions once for price and Greeks.

    ``carry_dividend`` is the dividend yield q for Black-Scholes-Merton and the
    rate itself for Black-76 (a forward carries at r), so one formula serves both.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        sqrt_t = np.sqrt(tte)
        s = vol * sqrt_t
        disc_under = underlying * np.exp(-carry_dividend * tte)
        disc_strike = strike * np.exp(-rate * tte)
        x = np.log(disc_under / disc_strike)  # ln(F/K)
        inv_s = 1.0 / s
        inv_sqrt_t = 1.0 / sqrt_t
        d1 = x * inv_s + 0.5 * s
        if not np.all(s > 0.0):
            d1, s, inv_s, inv_sqrt_t = _degenerate(x, s, vol, d1, inv_s, inv_sqrt_t)
        d2 = d1 - s
        n1 = ndtr(sign * d1)
        n2 = ndtr(sign * d2)
        if want_pdf:
            pdf = _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
            if not np.all(inv_s > 0.0):
                pdf = np.where(inv_s > 0.0, pdf, np.where(np.isnan(inv_s), np.nan, 0.0))
        else:
            pdf = d1
    return _Kernel(sign, disc_under, disc_strike, n1, n2, pdf, inv_s, sqrt_t, inv_sqrt_t)


def _degenerate(
    x: FloatArray,
    s: FloatArray,
    vol: FloatArray,
    d1: FloatArray,
    inv_s: FloatArray,
    inv_sqrt_t: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Take the σ√T → 0 limit where the total vol is zero; NaN for negative vol.

    The limit of d1 is ±∞ by the sign of ln(F/K) (0 at the money, so that the
    at-the-money delta is half the step); the density terms vanish.
    """
    s = np.where(vol < 0.0, np.nan, s)
    zero = s == 0.0
    limit = np.where(x > 0.0, np.inf, np.where(x < 0.0, -np.inf, 0.0))
    d1 = np.where(zero, limit, np.where(np.isnan(s), np.nan, d1))
    inv_s = np.where(zero, 0.0, np.where(np.isnan(s), np.nan, inv_s))
    inv_sqrt_t = np.where(np.isinf(inv_sqrt_t), 0.0, inv_sqrt_t)
    return d1, s, inv_s, inv_sqrt_t


def _price(k: _Kernel) -> FloatArray:
    # "+ 0.0" turns the -0.0 of a worthless put into 0.0.
    return k.sign * (k.disc_under * k.n1 - k.disc_strike * k.n2) + 0.0


def _price_block(
    underlying: FloatArray,
    strike: FloatArray,
    tte: FloatArray,
    rate: FloatArray,
    carry_dividend: FloatArray,
    vol: FloatArray,
    sign: FloatArray,
) -> tuple[FloatArray]:
    return (_price(_kernel(underlying, strike, tte, rate, carry_dividend, vol, sign, want_pdf=False)),)


def _greeks_block(
    underlying: FloatArray,
    strike: FloatArray,
    tte: FloatArray,
    rate: FloatArray,
    carry_dividend: FloatArray,
    vol: FloatArray,
    sign: FloatArray,
    *,
    futures: bool,
) -> tuple[FloatArray, ...]:
    """Price, delta, gamma, vega, theta, rho (units in the module docstring)."""
    k = _kernel(underlying, strike, tte, rate, carry_dividend, vol, sign, want_pdf=True)
    price = _price(k)
    under_df = k.disc_under / underlying  # e^(-qT), or e^(-rT) on a forward
    a_pdf = k.disc_under * k.pdf
    with np.errstate(invalid="ignore"):
        delta = k.sign * under_df * k.n1
        gamma = a_pdf * k.inv_s / (underlying * underlying)
        vega = a_pdf * k.sqrt_t * _PER_VOL_POINT
        carry = k.sign * (carry_dividend * k.disc_under * k.n1 - rate * k.disc_strike * k.n2)
        theta = (carry - 0.5 * a_pdf * vol * k.inv_sqrt_t) * (1.0 / DAYS_PER_YEAR)
        if futures:
            rho = -tte * price * _PER_RATE_PERCENT
        else:
            rho = k.sign * k.disc_strike * tte * k.n2 * _PER_RATE_PERCENT
    return price, delta, gamma, vega, theta, rho


_GREEK_NAMES = ("price", "delta", "gamma", "vega", "theta", "rho")


def _run_greeks(inputs: list[FloatArray], shape: tuple[int, ...], *, futures: bool) -> dict[str, FloatArray]:
    def block(*arrays: FloatArray) -> tuple[FloatArray, ...]:
        return _greeks_block(*arrays, futures=futures)

    return dict(zip(_GREEK_NAMES, map_blocks(block, inputs, shape, len(_GREEK_NAMES)), strict=True))


def bs_price(
    spot: ArrayLike,
    strike: ArrayLike,
    tte_years: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike,
    dividend: ArrayLike = 0.0,
) -> FloatArray:
    """Black-Scholes-Merton price of a European option on a dividend-paying spot.

    V = θ·(S·e^(−qT)·N(θ·d1) − K·e^(−rT)·N(θ·d2)), θ = +1 for a call, −1 for a put.
    Returns currency units, broadcast over all inputs.
    """
    shape = broadcast_shape(spot, strike, tte_years, rate, vol, is_call, dividend)
    s, k, t, r, v, q = (as_float(a) for a in (spot, strike, tte_years, rate, vol, dividend))
    return map_blocks(_price_block, [s, k, t, r, q, v, call_sign(is_call)], shape, 1)[0]


def bs_greeks(
    spot: ArrayLike,
    strike: ArrayLike,
    tte_years: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike,
    dividend: ArrayLike = 0.0,
) -> dict[str, FloatArray]:
    """Black-Scholes-Merton price and Greeks in one pass.

    Returns a dict of float64 arrays: ``price``; ``delta`` (∂V/∂S); ``gamma``
    (∂²V/∂S², per currency unit of spot); ``vega`` (per vol point, 0.01);
    ``theta`` (per calendar day); ``rho`` (per 1 % rate, dividend held fixed).
    """
    shape = broadcast_shape(spot, strike, tte_years, rate, vol, is_call, dividend)
    s, k, t, r, v, q = (as_float(a) for a in (spot, strike, tte_years, rate, vol, dividend))
    return _run_greeks([s, k, t, r, q, v, call_sign(is_call)], shape, futures=False)


def black76_price(
    forward: ArrayLike,
    strike: ArrayLike,
    tte_years: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike,
) -> FloatArray:
    """Black-76 price of a European option on a forward or future.

    V = e^(−rT)·θ·(F·N(θ·d1) − K·N(θ·d2)). Returns currency units.
    """
    shape = broadcast_shape(forward, strike, tte_years, rate, vol, is_call)
    f, k, t, r, v = (as_float(a) for a in (forward, strike, tte_years, rate, vol))
    return map_blocks(_price_block, [f, k, t, r, r, v, call_sign(is_call)], shape, 1)[0]


def black76_greeks(
    forward: ArrayLike,
    strike: ArrayLike,
    tte_years: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike,
) -> dict[str, FloatArray]:
    """Black-76 price and Greeks with respect to the forward, in one pass.

    Same keys and units as :func:`bs_greeks`; ``delta``/``gamma`` are taken
    with respect to the forward, and ``rho`` holds the forward fixed (−T·V/100).
    """
    shape = broadcast_shape(forward, strike, tte_years, rate, vol, is_call)
    f, k, t, r, v = (as_float(a) for a in (forward, strike, tte_years, rate, vol))
    return _run_greeks([f, k, t, r, r, v, call_sign(is_call)], shape, futures=True)
