"""One factory per payload that crosses contexts, typed with ``deltastream.enrichment.events``.

``enriched_tick``, ``enriched_chain`` (with ``enriched_quote``), ``candle`` and ``surface`` build
the documents enrichment publishes, stores and caches, with every key of their ``TypedDict`` (the
``NotRequired`` ones are left out); mypy checks each literal against the production type, and an
override that names a key the type does not have is refused. Keyword arguments override any key.

Timestamps default to now (to the millisecond, which every backend keeps exactly) and may be
given as datetimes or as ISO ``Z`` strings (as a payload looks once it has crossed the bus).

An enriched chain's figures (totals, PCR, ATM strike and straddle, max pain and its curve, OTM
OI) are computed here from its quotes by their definitions (max pain by brute force, O(n²)),
independently of the pipeline, so a test may check what a route or a consumer does with them.
The raw market messages the feed publishes are another payload (``feed.events``): see
``tests/feed/factories.py`` and ``tests/enrichment/factories.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar, cast

from deltastream.core.bus import SCHEMA_VERSION
from deltastream.core.clock import utcnow
from deltastream.core.jsonx import parse_ts
from deltastream.enrichment.events import (
    Candle,
    EnrichedChain,
    EnrichedQuote,
    EnrichedTick,
    PainPoint,
    Surface,
    SurfaceExpiry,
)
from deltastream.feed import expiries_at, expiry_instant, get_product, option_symbol, strikes_for

Stamp = datetime | str
OptionType = Literal["CALL", "PUT"]
YEAR_S = 365.0 * 86400.0

P = TypeVar("P", EnrichedTick, EnrichedQuote, EnrichedChain, Candle, Surface, SurfaceExpiry)


def now() -> datetime:
    """The current UTC instant, to the millisecond (BSON dates keep no more)."""
    ts = utcnow()
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


def _with(payload: P, kind: type, overrides: Mapping[str, Any]) -> P:
    """``payload`` with ``overrides`` applied; a key ``kind`` does not declare is a test bug."""
    unknown = set(overrides) - kind.__required_keys__ - kind.__optional_keys__  # type: ignore[attr-defined]
    if unknown:
        raise TypeError(f"{kind.__name__} has no key {sorted(unknown)}")
    return cast(P, {**payload, **overrides})


def enriched_tick(
    product: str = "NIFTY",
    *,
    price: float = 21500.0,
    tick_id: int = 1,
    timestamp: Stamp | None = None,
    session_open: float | None = None,
    **overrides: Any,
) -> EnrichedTick:
    """``enriched:underlying``; ``change``/``change_pct`` (percent) follow ``price`` and
    ``session_open`` (default: ``price``, the session's first tick), ``processed_at`` is
    ``timestamp``."""
    ts = timestamp if timestamp is not None else now()
    opened = price if session_open is None else session_open
    change = price - opened
    tick: EnrichedTick = {
        "type": "UNDERLYING_ENRICHED",
        "product": product,
        "price": price,
        "timestamp": ts,
        "tick_id": tick_id,
        "volume": 100,
        "session_open": opened,
        "change": round(change, 4),
        "change_pct": round(change / opened * 100.0, 4) if opened else 0.0,
        "processed_at": ts,
        "schema": SCHEMA_VERSION,
    }
    return _with(tick, EnrichedTick, overrides)


def enriched_quote(
    product: str,
    expiry: str,
    option_type: OptionType,
    strike: float,
    *,
    bid: float = 10.0,
    ask: float = 11.0,
    last: float = 10.5,
    volume: int = 1000,
    open_interest: int = 5000,
    iv: float | None = 0.15,
    **overrides: Any,
) -> EnrichedQuote:
    """One option of an enriched chain; ``mid`` follows ``bid``/``ask``."""
    quote: EnrichedQuote = {
        "symbol": option_symbol(product, expiry, option_type, strike),
        "product": product,
        "strike": strike,
        "expiry": expiry,
        "option_type": option_type,
        "bid": bid,
        "ask": ask,
        "last": last,
        "volume": volume,
        "open_interest": open_interest,
        "mid": round((bid + ask) / 2.0, 4),
        "iv": iv,
        "delta": 0.5 if option_type == "CALL" else -0.5,
        "gamma": 0.001,
        "vega": 10.0,
        "theta": -5.0,
        "rho": 1.0 if option_type == "CALL" else -1.0,
        "oi_change": 0,
        "price_change": 0.0,
        "buildup": "neutral",
    }
    return _with(quote, EnrichedQuote, overrides)


def brute_force_pain(strikes: Sequence[float], call_oi: Sequence[int], put_oi: Sequence[int]) -> list[float]:
    """Total writer payout at each strike as the settlement price: the definition of the curve."""
    return [
        sum(c * max(0.0, s - k) for k, c in zip(strikes, call_oi, strict=True))
        + sum(p * max(0.0, k - s) for k, p in zip(strikes, put_oi, strict=True))
        for s in strikes
    ]


def chain_figures(
    strikes: Sequence[float], calls: Sequence[EnrichedQuote], puts: Sequence[EnrichedQuote], spot: float
) -> dict[str, Any]:
    """The chain-level figures of ``calls``/``puts`` (one per strike), by their definitions."""
    call_oi = [q["open_interest"] for q in calls]
    put_oi = [q["open_interest"] for q in puts]
    call_volume = sum(q["volume"] for q in calls)
    put_volume = sum(q["volume"] for q in puts)
    pain = brute_force_pain(strikes, call_oi, put_oi)
    atm = min(range(len(strikes)), key=lambda i: (abs(strikes[i] - spot), strikes[i]))
    straddle = round(calls[atm]["last"] + puts[atm]["last"], 2)
    atm_ivs = [iv for iv in (calls[atm]["iv"], puts[atm]["iv"]) if iv is not None]
    curve: list[PainPoint] = [{"strike": k, "total_pain": p} for k, p in zip(strikes, pain, strict=True)]
    return {
        "pcr_oi": round(sum(put_oi) / sum(call_oi), 4),
        "pcr_volume": round(put_volume / call_volume, 4),
        "atm_strike": strikes[atm],
        "atm_straddle_price": straddle,
        "max_pain_strike": strikes[pain.index(min(pain))],
        "pain_curve": curve,
        "total_call_oi": sum(call_oi),
        "total_put_oi": sum(put_oi),
        "total_call_volume": call_volume,
        "total_put_volume": put_volume,
        "call_buildup_otm": sum(q["open_interest"] for q in calls if q["strike"] > spot),
        "put_buildup_otm": sum(q["open_interest"] for q in puts if q["strike"] < spot),
        "atm_iv": round(sum(atm_ivs) / len(atm_ivs), 6) if atm_ivs else None,
        "expected_move": round(straddle * 0.85, 2),
    }


def enriched_chain(
    product: str = "NIFTY",
    expiry: str | None = None,
    *,
    timestamp: Stamp | None = None,
    spot_price: float | None = None,
    n_strikes: int = 5,
    strikes: list[float] | None = None,
    calls: list[EnrichedQuote] | None = None,
    puts: list[EnrichedQuote] | None = None,
    **overrides: Any,
) -> EnrichedChain:
    """``enriched:option_chain`` for one expiry (default: the product's nearest at ``timestamp``).

    Strikes default to ``n_strikes`` of the product's ladder around ``spot_price`` (default: its
    base price) and quotes to :func:`enriched_quote`'s; the figures are :func:`chain_figures` of
    the quotes and the time to expiry is the calendar time to the expiry's close. Overrides are
    applied last and are not propagated: a test that sets ``pcr_oi`` gets that ``pcr_oi``.
    """
    spec = get_product(product)
    ts = timestamp if timestamp is not None else now()
    at = parse_ts(ts)
    expiry = expiry or expiries_at(spec, at, 1)[0]
    spot = spec.base_price if spot_price is None else spot_price
    strikes = strikes if strikes is not None else strikes_for(spec, spot, n_strikes)
    calls = calls if calls is not None else [enriched_quote(product, expiry, "CALL", k) for k in strikes]
    puts = puts if puts is not None else [enriched_quote(product, expiry, "PUT", k) for k in strikes]
    tte = max(0.0, (expiry_instant(spec, expiry) - at).total_seconds() / YEAR_S)
    figures = chain_figures(strikes, calls, puts, spot)
    chain: EnrichedChain = {
        "product": product,
        "expiry": expiry,
        "timestamp": ts,
        "spot_price": spot,
        "forward": round(spot * math.exp((spec.rate - spec.dividend_yield) * tte), 4),
        "tte_years": tte,
        "days_to_expiry": round(tte * 365.0, 4),
        "strikes": strikes,
        "calls": calls,
        "puts": puts,
        "pcr_oi": figures["pcr_oi"],
        "pcr_volume": figures["pcr_volume"],
        "atm_strike": figures["atm_strike"],
        "atm_straddle_price": figures["atm_straddle_price"],
        "max_pain_strike": figures["max_pain_strike"],
        "pain_curve": figures["pain_curve"],
        "total_call_oi": figures["total_call_oi"],
        "total_put_oi": figures["total_put_oi"],
        "total_call_volume": figures["total_call_volume"],
        "total_put_volume": figures["total_put_volume"],
        "call_buildup_otm": figures["call_buildup_otm"],
        "put_buildup_otm": figures["put_buildup_otm"],
        "atm_iv": figures["atm_iv"],
        "iv_skew_25d": 0.012,
        "expected_move": figures["expected_move"],
        "gex": 123456.0,
        "previous_timestamp": None,
        "processed_at": ts,
    }
    return _with(chain, EnrichedChain, overrides)


def candle(
    product: str = "NIFTY",
    window_minutes: int = 1,
    *,
    start_time: datetime | None = None,
    open: float = 21500.0,
    **overrides: Any,
) -> Candle:
    """``enriched:ohlc``: a closed candle of ``[start_time, start_time + window)`` (default: the
    window before the current one), 60 ticks a minute, high/low 10 around ``open``."""
    width = timedelta(minutes=window_minutes)
    if start_time is None:
        current = now().replace(second=0, microsecond=0)
        start_time = current - timedelta(minutes=current.minute % window_minutes) - width
    end = start_time + width
    bar: Candle = {
        "product": product,
        "window_minutes": window_minutes,
        "open": open,
        "high": open + 10.0,
        "low": open - 10.0,
        "close": open + 2.0,
        "start_time": start_time,
        "end_time": end,
        "num_ticks": 60 * window_minutes,
        "last_tick_time": end - timedelta(seconds=1),
        "closed": True,
    }
    return _with(bar, Candle, overrides)


def surface_expiry(chain: EnrichedChain) -> SurfaceExpiry:
    """One expiry of a surface, read off an enriched chain: the smile is the OTM side's IV."""
    spot, forward = chain["spot_price"], chain["forward"]
    call_ivs = [q["iv"] for q in chain["calls"]]
    put_ivs = [q["iv"] for q in chain["puts"]]
    smile = [c if k >= spot else p for k, c, p in zip(chain["strikes"], call_ivs, put_ivs, strict=True)]
    quoted = [iv for iv in call_ivs + put_ivs if iv is not None]
    return {
        "expiry": chain["expiry"],
        "days_to_expiry": chain["days_to_expiry"],
        "tte_years": chain["tte_years"],
        "forward": forward,
        "strikes": chain["strikes"],
        "ivs": smile,
        "call_ivs": call_ivs,
        "put_ivs": put_ivs,
        "atm_iv": chain["atm_iv"],
        "avg_iv": round(sum(quoted) / len(quoted), 6) if quoted else None,
        "num_quotes": len(quoted),
    }


def surface(
    product: str = "NIFTY",
    chains: Sequence[EnrichedChain] | None = None,
    *,
    timestamp: Stamp | None = None,
    **overrides: Any,
) -> Surface:
    """``enriched:surface`` over the latest chain of each expiry (default: one ``enriched_chain``),
    nearest expiry first; grids are on the union of strikes and at the money (ln K/F = 0)."""
    chains = list(chains) if chains is not None else [enriched_chain(product, timestamp=timestamp)]
    chains.sort(key=lambda c: (c["tte_years"], c["expiry"]))
    expiries = [surface_expiry(c) for c in chains]
    names = [e["expiry"] for e in expiries]
    grid = sorted({k for e in expiries for k in e["strikes"]})
    by_strike = [dict(zip(e["strikes"], e["ivs"], strict=True)) for e in expiries]
    newest = max(chains, key=lambda c: parse_ts(c["timestamp"]))
    vol_surface: Surface = {
        "product": product,
        "timestamp": timestamp if timestamp is not None else newest["timestamp"],
        "spot_price": newest["spot_price"],
        "expiries": expiries,
        "strike_grid": {
            "strikes": grid,
            "expiries": names,
            "ivs": [[row.get(k) for k in grid] for row in by_strike],
        },
        "moneyness_grid": {
            "log_moneyness": [0.0],
            "moneyness": [1.0],
            "expiries": names,
            "ivs": [[e["atm_iv"]] for e in expiries],
        },
        "term_structure": [
            {"expiry": e["expiry"], "days_to_expiry": e["days_to_expiry"], "atm_iv": e["atm_iv"]}
            for e in expiries
        ],
    }
    return _with(vol_surface, Surface, overrides)
