"""Chains → enriched chains, vectorised over every strike of every chain in a batch (pure).

A batch is grouped by (strike count, index or stock); each group is gathered into ``(C, 2, N)``
arrays (chain, side: 0 calls 1 puts, strike) and priced in one call per quant function, so the
IV solver and the Greeks cost one NumPy pass for the whole group. Per-chain scalars that quant
defines on one chain (ATM, max pain, skew, GEX, OI change) are then read off the arrays. A batch
of one is the plain per-chain case. Conventions:

- time to expiry: calendar time to the expiry's session close (the product's exchange, see
  :func:`deltastream.feed.expiry_instant`) over 365 days, floored at 0; ``days_to_expiry`` is the
  same in fractional days;
- mid = (bid + ask) / 2 when ask > 0, else the last price; no price at all means no IV;
- IV from the mid: Black-76 on the forward ``F = S·e^((r − q)T)`` for index products,
  Black-Scholes on spot with the dividend yield for stocks (rate and yield from the product).
  No NaN escapes: a price no vol reproduces gives ``iv: null`` and null Greeks. Index delta and
  gamma are converted to spot sensitivities (``∂F/∂S = F/S``), as the feed quotes them;
- ``atm_iv``: mean of the call and put IV at the ATM strike;
- ``iv_skew_25d``: IV(25Δ put) − IV(25Δ call) (:func:`quant.skew_25d`);
- ``expected_move``: 0.85 × the ATM straddle (:func:`quant.expected_move` states the convention);
- ``gex``: :func:`quant.gamma_exposure` with the product's lot size: currency per 1 % spot move,
  dealers long calls and short puts;
- per strike, against the previous snapshot of the same product and expiry: ``oi_change``
  (null where the strike is new), ``price_change`` of the last price, and ``buildup``
  (:func:`quant.buildup`: long/short build-up, short covering, long unwinding or neutral).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

import numpy as np

from deltastream import quant
from deltastream.core.jsonx import parse_ts
from deltastream.enrichment.events import EnrichedChain
from deltastream.feed import ProductSpec, expiry_instant

YEAR_SECONDS = 365.0 * 86400.0
_QUOTE_FIELDS = ("bid", "ask", "last", "volume", "open_interest")
_quote_row = itemgetter(*_QUOTE_FIELDS)
_SIDES = np.array([[True], [False]])
_QUOTE_OUTPUTS = (
    "mid",
    "iv",
    "delta",
    "gamma",
    "vega",
    "theta",
    "rho",
    "oi_change",
    "price_change",
    "buildup",
    "iv_source",
)
# Per-quote output fields and their rounding (decimals).
_ROUNDING = {"mid": 4, "iv": 6, "delta": 6, "gamma": 8, "vega": 4, "theta": 4, "rho": 4, "price_change": 4}


@dataclass(frozen=True, slots=True)
class ChainInput:
    """One chain to enrich: the validated chain, its product, and the previous enriched snapshot."""

    chain: Mapping[str, Any]
    spec: ProductSpec
    previous: Mapping[str, Any] | None = None


def quote_matrix(chains: Sequence[Mapping[str, Any]], n: int) -> np.ndarray:
    """``(5, C, 2, N)``: bid, ask, last, volume, OI per chain, side and strike."""
    rows: list[tuple[Any, ...]] = []
    for chain in chains:
        rows.extend(map(_quote_row, chain["calls"]))
        rows.extend(map(_quote_row, chain["puts"]))
    table = np.array(rows, dtype=np.float64).reshape(len(chains), 2, n, len(_QUOTE_FIELDS))
    return np.moveaxis(table, 3, 0)


def _listed(values: np.ndarray, decimals: int) -> list[float | None]:
    """Rounded values as a flat list with None for NaN (``x != x`` is the cheap NaN test)."""
    return [None if v != v else v for v in np.round(values, decimals).ravel().tolist()]


def _scalar(value: float, decimals: int) -> float | None:
    return round(float(value), decimals) if np.isfinite(value) else None


def enrich_chain(
    chain: Mapping[str, Any], spec: ProductSpec, previous: Mapping[str, Any] | None, *, processed_at: datetime
) -> EnrichedChain:
    """The enriched chain (SPEC §3) of one validated ``chain`` (see :func:`enrich_chains`)."""
    return enrich_chains([ChainInput(chain, spec, previous)], processed_at=processed_at)[0]


def enrich_chains(items: Sequence[ChainInput], *, processed_at: datetime) -> list[EnrichedChain]:
    """Enriched chains (SPEC §3), in the order of ``items``.

    ``previous`` is the newest stored enriched chain of the same product and expiry before each
    one, or None. Datetimes in the results are aware UTC datetimes.
    """
    groups: dict[tuple[int, bool], list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[(len(item.chain["strikes"]), item.spec.is_index)].append(i)
    out: list[EnrichedChain | None] = [None] * len(items)
    for (n, is_index), members in groups.items():
        enriched = _enrich_group([items[i] for i in members], n, is_index, processed_at)
        for i, result in zip(members, enriched, strict=True):
            out[i] = result
    return [chain for chain in out if chain is not None]


def _column(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """A per-chain scalar as a ``(C, 1, 1)`` array, broadcasting over sides and strikes."""
    return np.asarray(values, dtype=np.float64)[:, None, None]


def _enrich_group(
    items: Sequence[ChainInput], n: int, is_index: bool, processed_at: datetime
) -> list[EnrichedChain]:
    chains = [item.chain for item in items]
    bid, ask, last, volume, oi = quote_matrix(chains, n)
    strikes = np.array([c["strikes"] for c in chains], dtype=np.float64)
    spot = np.array([c["spot_price"] for c in chains], dtype=np.float64)
    stamps = [parse_ts(c["timestamp"]) for c in chains]
    tte = np.array(
        [
            max(0.0, (expiry_instant(item.spec, str(c["expiry"])) - ts).total_seconds() / YEAR_SECONDS)
            for item, c, ts in zip(items, chains, stamps, strict=True)
        ]
    )
    rate = np.array([item.spec.rate for item in items])
    div = np.array([item.spec.dividend_yield for item in items])
    forward = spot * np.exp((rate - div) * tte)
    mid = np.where(ask > 0, (bid + ask) / 2.0, last)
    price = np.where(mid > 0, mid, np.nan)
    k = strikes[:, None, :]
    if is_index:
        solved = quant.black76_implied_vol(price, _column(forward), k, _column(tte), _column(rate), _SIDES)
    else:
        solved = quant.implied_vol(price, _column(spot), k, _column(tte), _column(rate), _SIDES, _column(div))
    iv, iv_source = quant.fill_iv_from_counterpart(solved, np.isfinite(price))
    if is_index:
        greeks = dict(quant.black76_greeks(_column(forward), k, _column(tte), _column(rate), iv, _SIDES))
        greeks["delta"] = greeks["delta"] * _column(forward / spot)
        greeks["gamma"] = greeks["gamma"] * _column((forward / spot) ** 2)
    else:
        greeks = dict(
            quant.bs_greeks(_column(spot), k, _column(tte), _column(rate), iv, _SIDES, _column(div))
        )
    greeks["iv"], greeks["mid"] = iv, price

    oi_change, price_change = _changes(items, strikes, oi, last)
    greeks["price_change"] = price_change
    fields: dict[str, list[Any]] = {
        name: _listed(greeks[name], decimals) for name, decimals in _ROUNDING.items()
    }
    fields["oi_change"] = [None if v != v else int(v) for v in oi_change.ravel().tolist()]
    fields["buildup"] = quant.buildup(price_change, oi_change).ravel().tolist()
    fields["iv_source"] = iv_source.ravel().tolist()
    totals_oi, totals_volume = oi.sum(axis=2), volume.sum(axis=2)
    pcr_oi = quant.pcr(totals_oi[:, 1], totals_oi[:, 0])
    pcr_volume = quant.pcr(totals_volume[:, 1], totals_volume[:, 0])

    pains, exact_pain = _integral_pain(strikes, oi)

    results: list[EnrichedChain] = []
    for c, item in enumerate(items):
        chain, spec, s = chains[c], item.spec, float(spot[c])
        atm = quant.atm_index(strikes[c], s)
        straddle = float(last[c, 0, atm] + last[c, 1, atm])  # quant.atm_straddle, ATM already found
        if exact_pain[c]:
            best = int(np.argmin(pains[c]))
            max_pain_strike, pain = float(strikes[c, best]), pains[c]
        else:
            max_pain_strike, pain = quant.max_pain(strikes[c], oi[c, 0], oi[c, 1])
        call_otm, put_otm = quant.otm_buildup(strikes[c], s, oi[c, 0], oi[c, 1])
        atm_ivs = iv[c, :, atm][np.isfinite(iv[c, :, atm])]
        skew_inputs = (greeks["delta"][c, 0], iv[c, 0], greeks["delta"][c, 1], iv[c, 1])
        skew = quant.skew_25d(*skew_inputs)
        gex = quant.gamma_exposure(greeks["gamma"][c], oi[c], _SIDES, s, spec.lot_size)
        call_wall, put_wall = quant.gamma_walls(
            strikes[c], greeks["gamma"][c], oi[c], _SIDES, s, spec.lot_size
        )
        atm_iv = float(atm_ivs.mean()) if atm_ivs.size else float("nan")
        span = slice(c * 2 * n, (c + 1) * 2 * n)
        # A dict display with literal keys: the cheapest way to build 2N output quotes.
        quotes: list[Any] = [
            {
                **quote,
                "mid": mid_,
                "iv": iv_,
                "delta": delta_,
                "gamma": gamma_,
                "vega": vega_,
                "theta": theta_,
                "rho": rho_,
                "oi_change": oi_change_,
                "price_change": price_change_,
                "buildup": buildup_,
                "iv_source": iv_source_,
            }
            for (
                quote,
                mid_,
                iv_,
                delta_,
                gamma_,
                vega_,
                theta_,
                rho_,
                oi_change_,
                price_change_,
                buildup_,
                iv_source_,
            ) in zip(
                (*chain["calls"], *chain["puts"]),
                *(fields[name][span] for name in _QUOTE_OUTPUTS),
                strict=True,
            )
        ]
        previous = item.previous
        results.append(
            {
                "product": spec.name,
                "expiry": str(chain["expiry"]),
                "timestamp": stamps[c],
                "spot_price": s,
                "forward": round(float(forward[c]), 4),
                "tte_years": float(tte[c]),
                "days_to_expiry": round(float(tte[c]) * 365.0, 4),
                "strikes": strikes[c].tolist(),
                "calls": quotes[:n],
                "puts": quotes[n:],
                "pcr_oi": round(float(pcr_oi[c]), 4),
                "pcr_volume": round(float(pcr_volume[c]), 4),
                "atm_strike": float(strikes[c, atm]),
                "atm_straddle_price": round(straddle, 2),
                "max_pain_strike": max_pain_strike,
                "pain_curve": [
                    {"strike": strike, "total_pain": p}
                    for strike, p in zip(strikes[c].tolist(), pain.tolist(), strict=True)
                ],
                "total_call_oi": int(totals_oi[c, 0]),
                "total_put_oi": int(totals_oi[c, 1]),
                "total_call_volume": int(totals_volume[c, 0]),
                "total_put_volume": int(totals_volume[c, 1]),
                "call_buildup_otm": int(call_otm),
                "put_buildup_otm": int(put_otm),
                "atm_iv": _scalar(atm_iv, 6),
                "iv_skew_25d": _scalar(skew, 6),
                "iv_skew_25d_reason": None if np.isfinite(skew) else quant.skew_25d_reason(*skew_inputs),
                "expected_move": round(float(quant.expected_move(straddle)), 2),
                "expected_move_straddle": round(float(quant.expected_move(straddle)), 2),
                "expected_move_iv": _scalar(quant.expected_move_iv(s, atm_iv, float(tte[c])), 2),
                "gex": _scalar(gex, 2),
                "gex_per_1pct": _scalar(gex, 2),
                "gex_unit": f"{spec.currency} per 1% move",
                "gamma_call_wall": call_wall,
                "gamma_put_wall": put_wall,
                "gamma_flip": _scalar(
                    quant.gamma_flip(strikes[c], greeks["gamma"][c], oi[c], _SIDES) or float("nan"), 2
                ),
                "previous_timestamp": previous.get("timestamp") if previous else None,
                "processed_at": processed_at,
            }
        )
    return results


def _integral_pain(strikes: np.ndarray, oi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pain curves ``(C, N)`` for the whole group, and per chain whether its curve is exact.

    The prefix-sum formula of :func:`quant.max_pain` over every chain at once. A chain's curve is
    used only where that function itself would take its exact path with no scaling: ascending
    whole strikes, finite non-negative integer OI, every partial sum below 2**53. Then every
    value is an exact integer and both give the same curve and arg-min; other chains go through
    :func:`quant.max_pain`.
    """
    calls, puts = oi[:, 0], oi[:, 1]
    with np.errstate(invalid="ignore", over="ignore"):
        pain = strikes * np.cumsum(calls, axis=1) - np.cumsum(calls * strikes, axis=1)
        k_rev, p_rev = strikes[:, ::-1], puts[:, ::-1]
        pain += (np.cumsum(p_rev * k_rev, axis=1) - k_rev * np.cumsum(p_rev, axis=1))[:, ::-1]
        bound = 2.0 * np.abs(strikes).max(axis=1) * (calls.sum(axis=1) + puts.sum(axis=1))
        exact = (
            np.isfinite(oi).all(axis=(1, 2))
            & np.isfinite(strikes).all(axis=1)
            & (oi >= 0.0).all(axis=(1, 2))
            & (oi == np.floor(oi)).all(axis=(1, 2))
            & (strikes == np.floor(strikes)).all(axis=1)
            & (strikes[:, 1:] >= strikes[:, :-1]).all(axis=1)
            & (bound < 2.0**53)
        )
    return pain, exact


def _changes(
    items: Sequence[ChainInput], strikes: np.ndarray, oi: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(oi_change, price_change)``, each ``(C, 2, N)``; NaN where no previous quote has the strike.

    The same strike alignment as :func:`quant.oi_change` (exact strike match), computed once per
    chain for both sides and both series. Previous snapshots listing exactly the same strikes as
    this one, in ascending order (the usual case), are gathered and subtracted in one pass.
    """
    oi_change = np.full(oi.shape, np.nan)
    price_change = np.full(oi.shape, np.nan)
    n = strikes.shape[1]
    ascending = np.asarray((strikes[:, 1:] > strikes[:, :-1]).all(axis=1), dtype=bool)
    same: list[int] = []
    for c, item in enumerate(items):
        prev = item.previous
        if not prev or not prev.get("strikes"):
            continue
        if ascending[c] and len(prev["strikes"]) == n and prev["strikes"] == strikes[c].tolist():
            same.append(c)
            continue
        prev_strikes = np.asarray(prev["strikes"], dtype=np.float64)
        _, _, prev_last, _, prev_oi = quote_matrix([prev], len(prev_strikes))[:, 0]
        order = np.argsort(prev_strikes)
        prev_strikes, prev_last, prev_oi = prev_strikes[order], prev_last[:, order], prev_oi[:, order]
        pos = np.minimum(np.searchsorted(prev_strikes, strikes[c]), prev_strikes.size - 1)
        found = prev_strikes[pos] == strikes[c]
        oi_change[c] = np.where(found, oi[c] - prev_oi[:, pos], np.nan)
        price_change[c] = np.where(found, last[c] - prev_last[:, pos], np.nan)
    if same:
        _, _, prev_last, _, prev_oi = quote_matrix([items[c].previous for c in same], n)  # type: ignore[misc]
        oi_change[same] = oi[same] - prev_oi
        price_change[same] = last[same] - prev_last
    return oi_change, price_change
