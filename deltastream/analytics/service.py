"""Analytics read use cases over the market-data read model.

Every figure here is already computed by the pipeline and stored with the chain (PCR, max pain
and its curve, OI change and build-up class, ATM IV); this module selects, reshapes and
aggregates. Everything is read through :class:`deltastream.marketdata.service.MarketData`
(the "latest chain", the "nearest expiry", stored summaries and surfaces), so that every route
agrees on which chain is current. Analytics owns no table.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from deltastream.analytics import stats
from deltastream.core.clock import utcnow
from deltastream.core.errors import NotFoundError
from deltastream.core.http.params import TimeRange
from deltastream.core.jsonx import parse_ts
from deltastream.enrichment import keys
from deltastream.marketdata.service import MarketData, is_live_expiry
from deltastream.storage import Record

# The seed's PCR trend returned at most 100 points.
PCR_TREND_LIMIT = 100
# ATM band of the seed's OI build-up: strikes within 1% of spot.
ATM_BAND = 0.01


def _point(expiry: str, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "expiry": expiry,
        "pcr_oi": row.get("pcr_oi"),
        "pcr_volume": row.get("pcr_volume"),
        "timestamp": parse_ts(row["timestamp"]),
    }


async def _latest_pcr(md: MarketData, product: str, expiry: str) -> dict[str, Any] | None:
    cached = await md.cache.get(keys.latest_pcr(product, expiry))
    if isinstance(cached, dict) and cached.get("timestamp"):
        return _point(expiry, cached)
    rows = await md.chain_summaries(product, expiry, limit=1)
    return _point(expiry, rows[0]) if rows else None


async def pcr(
    md: MarketData,
    product: str,
    expiry: str | None,
    hours: int,
    history: bool,
    window: TimeRange,
    limit: int,
    order: str = "desc",
) -> dict[str, Any]:
    """Latest PCR per expiry (always), the seed's ``pcr_trend`` over ``hours``, and with
    ``history`` the series over ``window`` (default: the last ``hours``), newest first unless
    ``order`` is ``asc``. An unknown ``expiry`` is a 404."""
    await md.require_known_expiry(product, expiry)
    expiries = [expiry] if expiry else await md.live_expiries(product)
    latest = [p for p in [await _latest_pcr(md, product, e) for e in expiries] if p is not None]
    latest.sort(key=lambda p: p["timestamp"], reverse=True)
    since = utcnow() - timedelta(hours=hours)
    trend_rows = await md.chain_summaries(product, expiry, start=since, limit=PCR_TREND_LIMIT)
    trend = [_point(str(r["expiry"]), r) for r in trend_rows]
    body: dict[str, Any] = {
        "product": product,
        "expiry": expiry,
        "hours": hours,
        "latest": latest,
        "data_points": len(trend),
        "pcr_trend": trend,
    }
    if history:
        rows = await md.chain_summaries(product, expiry, window.start or since, window.end, limit)
        points = [_point(str(r["expiry"]), r) for r in rows]  # newest first, as stored
        body["history"] = points[::-1] if order == "asc" else points
    return body


async def volatility_surface(md: MarketData, product: str) -> dict[str, Any]:
    """The newest surface, each expiry completed with the seed's ``call_ivs, put_ivs, avg_iv,
    num_quotes`` (read from that expiry's latest chain when the surface lacks them)."""
    surface = await md.latest_surface(product)
    if not surface:
        raise NotFoundError(f"No volatility surface for {product} yet", details={"product": product})
    out = dict(surface)
    out["expiries"] = [await _complete_expiry(md, product, e) for e in surface.get("expiries", [])]
    return out


async def _complete_expiry(md: MarketData, product: str, entry: dict[str, Any]) -> dict[str, Any]:
    item = dict(entry)
    strikes = [float(k) for k in item.get("strikes", [])]
    ivs = list(item.get("ivs") or [None] * len(strikes))
    if "call_ivs" not in item or "put_ivs" not in item:
        calls, puts = await _chain_ivs(md, product, str(item["expiry"]), strikes)
        item.setdefault("call_ivs", calls if calls is not None else ivs)
        item.setdefault("put_ivs", puts if puts is not None else ivs)
    defined = [
        float(v) for v in [*item["call_ivs"], *item["put_ivs"]] if isinstance(v, int | float) and v == v
    ]
    item["strikes"] = strikes
    item["ivs"] = ivs
    item.setdefault("avg_iv", stats.mean(defined))
    item.setdefault("num_quotes", len(defined))
    return item


async def _chain_ivs(
    md: MarketData, product: str, expiry: str, strikes: list[float]
) -> tuple[list[float | None] | None, list[float | None] | None]:
    try:
        chain = await md.latest_chain(product, expiry)
    except NotFoundError:
        return None, None
    by_strike_call = {float(q["strike"]): q.get("iv") for q in chain.get("calls", [])}
    by_strike_put = {float(q["strike"]): q.get("iv") for q in chain.get("puts", [])}
    return [by_strike_call.get(k) for k in strikes], [by_strike_put.get(k) for k in strikes]


async def _chain(md: MarketData, product: str, expiry: str | None) -> tuple[Record, str]:
    source = "requested" if expiry else "nearest"
    return await md.latest_chain(product, expiry), source


def _pain_curve(chain: Record) -> list[dict[str, float]]:
    curve = chain.get("pain_curve")
    if isinstance(curve, list) and curve:
        return [{"strike": float(p["strike"]), "total_pain": float(p["total_pain"])} for p in curve]
    strikes = [float(q["strike"]) for q in chain.get("calls", [])]
    if not strikes:
        return []
    call_oi = [float(q.get("open_interest") or 0) for q in chain.get("calls", [])]
    put_oi = [float(q.get("open_interest") or 0) for q in chain.get("puts", [])]
    return stats.pain_curve(strikes, call_oi, put_oi)


async def max_pain(md: MarketData, product: str, expiry: str | None) -> dict[str, Any]:
    """Max pain strike, its curve and its distance from spot for one expiry (nearest by default)."""
    chain, source = await _chain(md, product, expiry)
    spot = float(chain["spot_price"])
    strike = chain.get("max_pain_strike")
    distance = round(float(strike) - spot, 4) if strike is not None else None
    return {
        "product": product,
        "expiry": str(chain["expiry"]),
        "expiry_source": source,
        "max_pain_strike": strike,
        "pain_curve": _pain_curve(chain),
        "spot_price": spot,
        "distance_from_spot": distance,
        "distance_pct": round(distance / spot * 100.0, 4) if distance is not None and spot else None,
        "total_call_oi": chain.get("total_call_oi"),
        "total_put_oi": chain.get("total_put_oi"),
        "timestamp": chain["timestamp"],
    }


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and value == value else None


async def oi_analysis(md: MarketData, product: str, expiry: str | None) -> dict[str, Any]:
    """Per-strike OI, OI change against the previous snapshot and build-up class, calls and puts."""
    chain, source = await _chain(md, product, expiry)
    puts = {float(q["strike"]): q for q in chain.get("puts", [])}
    rows = []
    for call in chain.get("calls", []):
        strike = float(call["strike"])
        put = puts.get(strike, {})
        rows.append(
            {
                "strike": strike,
                "call_oi": _int(call.get("open_interest")),
                "put_oi": _int(put.get("open_interest")),
                "call_oi_change": _int(call.get("oi_change")),
                "put_oi_change": _int(put.get("oi_change")),
                "call_buildup": call.get("buildup"),
                "put_buildup": put.get("buildup"),
                "call_volume": _int(call.get("volume")),
                "put_volume": _int(put.get("volume")),
                "call_last": call.get("last"),
                "put_last": put.get("last"),
            }
        )
    return {
        "product": product,
        "expiry": str(chain["expiry"]),
        "expiry_source": source,
        "spot_price": float(chain["spot_price"]),
        "atm_strike": chain.get("atm_strike"),
        "max_pain_strike": chain.get("max_pain_strike"),
        "pcr_oi": chain.get("pcr_oi"),
        "total_call_oi": chain.get("total_call_oi"),
        "total_put_oi": chain.get("total_put_oi"),
        "total_call_oi_change": sum(r["call_oi_change"] or 0 for r in rows),
        "total_put_oi_change": sum(r["put_oi_change"] or 0 for r in rows),
        "timestamp": chain["timestamp"],
        "strikes": rows,
    }


def _bands(quotes: list[dict[str, Any]], spot: float, is_call: bool) -> dict[str, int]:
    bands = {"itm": 0, "atm": 0, "otm": 0}
    for quote in quotes:
        strike = float(quote["strike"])
        oi = _int(quote.get("open_interest")) or 0
        if abs(strike - spot) <= ATM_BAND * spot:
            bands["atm"] += oi
        elif (strike < spot) == is_call:
            bands["itm"] += oi
        else:
            bands["otm"] += oi
    return bands


async def oi_buildup(md: MarketData, product: str, expiry: str | None) -> dict[str, Any]:
    """Seed shape: Σ OI of calls and puts in the ITM, ATM (within 1% of spot) and OTM bands."""
    chain, source = await _chain(md, product, expiry)
    spot = float(chain["spot_price"])
    return {
        "product": product,
        "expiry": str(chain["expiry"]),
        "expiry_source": source,
        "spot_price": spot,
        "call_buildup": _bands(chain.get("calls", []), spot, is_call=True),
        "put_buildup": _bands(chain.get("puts", []), spot, is_call=False),
        "timestamp": chain["timestamp"],
    }


def _pick_nearest(rows: list[Record], product: str) -> Record | None:
    """Among summaries (newest first), the newest one of the nearest expiry live at its time."""
    live = [r for r in rows if is_live_expiry(product, str(r["expiry"]), parse_ts(r["timestamp"]))]
    if not live:
        return None
    nearest = min(str(r["expiry"]) for r in live)
    return next(r for r in live if str(r["expiry"]) == nearest)


# Bisection steps to find the oldest stored chain in a look-back: the span is then known to
# lookback / 2**20 (about 0.6 s for a week), in 20 indexed one-row queries.
_OLDEST_STEPS = 20


async def _oldest_in(
    md: MarketData, product: str, expiry: str | None, start: datetime, end: datetime
) -> datetime | None:
    """The (approximate, never later than the real) time of the oldest stored chain in
    ``[start, end]``, or None when there is none; by bisection on "is there any chain before t"."""
    if not await md.chain_summaries(product, expiry, start, end, limit=1):
        return None
    lo, hi = start, end
    for _ in range(_OLDEST_STEPS):
        mid = lo + (hi - lo) / 2
        if await md.chain_summaries(product, expiry, start, mid, limit=1):
            hi = mid
        else:
            lo = mid
    return lo


async def iv_stats(
    md: MarketData, product: str, expiry: str | None, lookback_hours: int, points: int
) -> dict[str, Any]:
    """ATM IV history sampled into ``points`` equal buckets (the last stored value of each
    bucket), with IV rank and IV percentile (``quant.iv_rank``/``iv_percentile``) of the newest
    value over that sample. An unknown ``expiry`` is a 404.

    Sampling adapts to the history available: the buckets span from the oldest stored chain in
    the look-back (or the look-back's start, whichever is later) to now, so 15 minutes of feed
    already gives up to ``points`` observations instead of one. ``span_start``/``span_hours``
    say what the rank was measured over, ``observations`` how many values.

    Without ``expiry`` each point uses the nearest expiry live at that time (a rolling front-month
    series). Sampling bounds the work: ``points`` small indexed queries, whatever the data volume.
    ``history`` is newest first, like every list.
    """
    await md.require_known_expiry(product, expiry)
    now = utcnow()
    start = now - timedelta(hours=lookback_hours)
    start = await _oldest_in(md, product, expiry, start, now) or start
    width = (now - start) / points
    history: list[dict[str, Any]] = []
    for i in range(points):
        lo = start + width * i
        hi = now if i == points - 1 else lo + width
        rows = await md.chain_summaries(product, expiry, lo, hi, limit=1 if expiry else 16)
        row = (rows[0] if rows else None) if expiry else _pick_nearest(rows, product)
        iv = row.get("atm_iv") if row else None
        if row and isinstance(iv, int | float) and iv == iv:
            point = {
                "timestamp": parse_ts(row["timestamp"]),
                "expiry": str(row["expiry"]),
                "atm_iv": float(iv),
            }
            if not history or history[-1]["timestamp"] != point["timestamp"]:
                history.append(point)
    values = [p["atm_iv"] for p in history]
    current = values[-1] if values else None
    return {
        "product": product,
        "expiry": expiry,
        "lookback_hours": lookback_hours,
        "span_start": start,
        "span_hours": round((now - start).total_seconds() / 3600.0, 4),
        "points": points,
        "current_iv": current,
        "iv_rank": stats.iv_rank(values),
        "iv_percentile": stats.iv_percentile(values),
        "min_iv": min(values) if values else None,
        "max_iv": max(values) if values else None,
        "observations": len(values),
        "history": history[::-1],
    }


async def mobile_chain(md: MarketData, product: str, expiry: str | None) -> dict[str, Any]:
    """The compact chain summary of the seed's mobile BFF."""
    chain, _ = await _chain(md, product, expiry)
    return {
        "product": product,
        "expiry": str(chain["expiry"]),
        "spot_price": float(chain["spot_price"]),
        "pcr": chain.get("pcr_oi"),
        "max_pain": chain.get("max_pain_strike"),
        "atm_straddle_price": chain.get("atm_straddle_price"),
        "timestamp": chain["timestamp"],
    }
