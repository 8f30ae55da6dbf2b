"""Option pricing for the simulator: a smooth skewed smile, theoretical prices and tradable quotes.

Everything is vectorised over a ``(expiries, strikes)`` grid for one product; the formulas come
from :mod:`deltastream.quant` (the only place they live).

Model
-----
* Forward ``F = S·exp((r − q)·T)``; ``T`` is calendar time to the expiry's session close, in
  years of 365 days (options decay in calendar time).
* ATM vol per expiry: ``atm_T = base·(1 + 0.04·(1 − e^(−T/0.25))) + (level − base)·e^(−T/0.25)``
  where ``base`` is the product's ``annual_vol`` and ``level`` the simulator's slowly
  mean-reverting ATM level: a gentle upward term structure, with shocks felt most at the front.
* Smile in standardised moneyness ``x = ln(K/F) / (atm_T·√T)`` (so it is smooth in strike and
  in time): ``iv = atm_T·(1 − skew·tanh(x) + curv·(√(1 + x²) − 1))``. ``skew > 0`` makes puts
  (``x < 0``) richer than calls at the same distance.
* Indices use Black-76 on the forward; stocks Black-Scholes on spot with the dividend yield. The
  prices agree; index delta and gamma are converted from forward to spot sensitivities
  (``∂F/∂S = F/S``), while theta and rho are Black-76's (forward held fixed).
* Quotes: ``bid = floor((p − h)/tick)·tick`` and ``ask = ceil((p + h)/tick)·tick`` with a
  half-spread ``h`` that widens away from the money, so ``bid ≤ p ≤ ask``: never crossed, never
  negative, and put-call parity (which holds exactly for the theoretical prices, as calls and
  puts share the smile) holds within the quoted spreads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deltastream import quant
from deltastream.feed.products import ProductSpec

FloatArray = NDArray[np.float64]

CALENDAR_YEAR_SECONDS = 365.0 * 86400.0
MIN_TTE_YEARS = 60.0 / CALENDAR_YEAR_SECONDS
TERM_DECAY_YEARS = 0.25
MIN_IV = 0.03
MAX_IV = 3.0


@dataclass(frozen=True, slots=True)
class SmileShape:
    """Smile parameters: ``skew`` tilts towards puts, ``curv`` lifts both wings."""

    skew: float
    curv: float


INDEX_SMILE = SmileShape(skew=0.20, curv=0.08)
STOCK_SMILE = SmileShape(skew=0.10, curv=0.15)


def smile_for(spec: ProductSpec) -> SmileShape:
    return INDEX_SMILE if spec.is_index else STOCK_SMILE


@dataclass(frozen=True, slots=True)
class PricedGrid:
    """Theoretical values on an ``(E, N)`` grid (expiries × strikes); side arrays are ``(2, E, N)``.

    ``iv`` is ``(E, N)`` (calls and puts share the smile); ``forward`` and ``tte_years`` are ``(E,)``.

    Index 0 of the side axis is CALL, 1 is PUT. ``price`` is the theoretical premium; ``bid``,
    ``ask`` and ``last`` are snapped to the product's tick size.
    """

    forward: FloatArray
    tte_years: FloatArray
    iv: FloatArray
    price: FloatArray
    bid: FloatArray
    ask: FloatArray
    last: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray


def atm_term(base_vol: float, level: float, tte_years: FloatArray) -> FloatArray:
    """ATM implied vol per expiry from the long-run ``base_vol`` and the current ATM ``level``."""
    decay = np.exp(-tte_years / TERM_DECAY_YEARS)
    return base_vol * (1.0 + 0.04 * (1.0 - decay)) + (level - base_vol) * decay


def smile_iv(
    strikes: FloatArray, forward: FloatArray, tte_years: FloatArray, atm_vol: FloatArray, shape: SmileShape
) -> FloatArray:
    """Implied vol for each strike: broadcast ``strikes`` against ``(E, 1)`` forward/tte/atm arrays."""
    x = np.log(strikes / forward) / (atm_vol * np.sqrt(tte_years))
    x = np.clip(x, -6.0, 6.0)
    iv = atm_vol * (1.0 - shape.skew * np.tanh(x) + shape.curv * (np.sqrt(1.0 + x * x) - 1.0))
    return np.clip(iv, MIN_IV, MAX_IV)


def snap_quotes(
    price: FloatArray, half_spread: FloatArray, tick: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(bid, ask, last)`` on the tick grid with ``0 ≤ bid ≤ price ≤ ask`` and ``bid ≤ last ≤ ask``.

    Tick counts are integers, rounded back to the tick's decimals so ``0.05·3`` prints as 0.15.
    """
    decimals = max(0, int(-np.floor(np.log10(tick) + 1e-9)) + 1)
    bid_ticks = np.maximum(np.floor((price - half_spread) / tick + 1e-9), 0.0)
    ask_ticks = np.maximum(np.ceil((price + half_spread) / tick - 1e-9), bid_ticks + 1.0)
    # last trade: somewhere inside the spread, nearer the mid more often than not
    frac = rng.beta(2.0, 2.0, size=price.shape)
    last_ticks = np.round(bid_ticks + frac * (ask_ticks - bid_ticks))
    bid = np.round(bid_ticks * tick, decimals)
    ask = np.round(ask_ticks * tick, decimals)
    last = np.round(last_ticks * tick, decimals)
    return bid, ask, last


def half_spreads(price: FloatArray, moneyness_sd: FloatArray, tick: float) -> FloatArray:
    """Half of the quoted spread: 0.5 % of premium at the money, wider in the wings, ≥ one tick."""
    pct = 0.005 + 0.004 * np.minimum(np.abs(moneyness_sd), 5.0)
    return np.maximum(price * pct, tick)


def price_grid(
    spec: ProductSpec,
    spot: float,
    strikes: FloatArray,
    tte_years: FloatArray,
    atm_level: float,
    rng: np.random.Generator,
) -> PricedGrid:
    """Price every strike of every expiry of one product in one vectorised pass.

    ``strikes`` is ``(E, N)`` (each expiry may have its own ladder, normally the same), and
    ``tte_years`` is ``(E,)``. Returns a :class:`PricedGrid`.
    """
    tte = np.maximum(np.asarray(tte_years, dtype=np.float64), MIN_TTE_YEARS)[:, None]
    k = np.asarray(strikes, dtype=np.float64)
    forward = spot * np.exp((spec.rate - spec.dividend_yield) * tte)
    atm = atm_term(spec.annual_vol, atm_level, tte)
    iv = smile_iv(k, forward, tte, atm, smile_for(spec))
    is_call = np.array([True, False])[:, None, None]
    if spec.is_index:
        price = quant.black76_price(forward, k, tte, spec.rate, iv, is_call)
        greeks = quant.black76_greeks(forward, k, tte, spec.rate, iv, is_call)
        fwd_per_spot = forward / spot
        delta = greeks["delta"] * fwd_per_spot
        gamma = greeks["gamma"] * fwd_per_spot**2
    else:
        price = quant.bs_price(spot, k, tte, spec.rate, iv, is_call, spec.dividend_yield)
        greeks = quant.bs_greeks(spot, k, tte, spec.rate, iv, is_call, spec.dividend_yield)
        delta, gamma = greeks["delta"], greeks["gamma"]
    price = np.maximum(np.nan_to_num(np.asarray(price, dtype=np.float64), nan=0.0), 0.0)
    shape = price.shape
    moneyness_sd = np.log(k / forward) / (atm * np.sqrt(tte))
    half = half_spreads(price, np.broadcast_to(moneyness_sd, shape), spec.tick_size)
    bid, ask, last = snap_quotes(price, half, spec.tick_size, rng)
    return PricedGrid(
        forward=forward[:, 0],
        tte_years=tte[:, 0],
        iv=np.broadcast_to(iv, shape[1:]),
        price=price,
        bid=bid,
        ask=ask,
        last=last,
        delta=np.broadcast_to(delta, shape),
        gamma=np.broadcast_to(gamma, shape),
        vega=np.broadcast_to(greeks["vega"], shape),
        theta=np.broadcast_to(greeks["theta"], shape),
        rho=np.broadcast_to(greeks["rho"], shape),
    )
