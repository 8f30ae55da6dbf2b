"""The live figures of one product, read through the analytics and marketdata services.

Everything the AI says about a market is generated from one :class:`Snapshot`: the newest
enriched tick and the newest chain of the nearest live expiry (the same documents that
``/api/data/*`` and ``/api/analytics/*`` serve), the PCR of that expiry 15 minutes earlier, IV rank
over the last 24 h (``analytics.service.iv_stats``, the ``/api/analytics/iv`` figure) and OI change
by strike. Nothing is computed here that the pipeline has not stored, except the GEX flip level.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from deltastream import quant
from deltastream.analytics import service as analytics
from deltastream.core.clock import utcnow
from deltastream.core.jsonx import parse_ts
from deltastream.marketdata.service import MarketData
from deltastream.storage import Record

PCR_TREND_MINUTES = 15
IV_LOOKBACK_HOURS = 24
IV_POINTS = 48


@dataclass(frozen=True, slots=True)
class StrikeChange:
    strike: float
    oi_change: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    product: str
    expiry: str
    timestamp: str  # the chain's, ISO 8601 UTC
    spot: float
    session_open: float | None
    change: float | None
    change_pct: float | None
    pcr: float | None  # the seed's name for pcr_oi
    pcr_vol: float | None  # the seed's name for pcr_volume
    pcr_then: float | None  # PCR (OI) of the same expiry PCR_TREND_MINUTES ago (or the oldest since)
    pcr_then_timestamp: str | None
    max_pain: float | None
    max_pain_distance: float | None  # spot − max pain
    max_pain_distance_pct: float | None
    atm_strike: float | None
    atm_iv: float | None
    iv_rank: float | None
    iv_percentile: float | None
    iv_observations: int
    iv_skew_25d: float | None
    atm_straddle_price: float | None
    expected_move: float | None
    days_to_expiry: float | None
    gex: float | None
    gex_flip: float | None
    call_oi_change: int
    put_oi_change: int
    top_call_oi_add: StrikeChange | None
    top_put_oi_add: StrikeChange | None

    @property
    def source(self) -> str:
        """How an answer cites these figures."""
        return f"live:{self.product}:{self.expiry}@{self.timestamp}"

    def data(self) -> dict[str, Any]:
        return asdict(self)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value == value else None


def _iso(value: Any) -> str:
    return parse_ts(value).isoformat().replace("+00:00", "Z")


def gex_flip(chain: Record) -> float | None:
    """The strike where the cumulative net gamma exposure (low strikes first) changes sign,
    interpolated linearly between the two strikes around the crossing; None without a crossing.

    Each strike's exposure is :func:`quant.gamma_exposure` of its call and put (calls +, puts −),
    the same convention as the chain's ``gex``; the scale (lot size, S²) does not move the crossing.
    """
    spot = float(chain["spot_price"])
    puts = {float(q["strike"]): q for q in chain.get("puts", [])}
    strikes: list[float] = []
    cumulative: list[float] = []
    total = 0.0
    for call in sorted(chain.get("calls", []), key=lambda q: float(q["strike"])):
        strike = float(call["strike"])
        put = puts.get(strike, {})
        gammas = [_num(call.get("gamma")) or 0.0, _num(put.get("gamma")) or 0.0]
        ois = [float(call.get("open_interest") or 0), float(put.get("open_interest") or 0)]
        total += quant.gamma_exposure(gammas, ois, [True, False], spot)
        strikes.append(strike)
        cumulative.append(total)
    for i in range(1, len(cumulative)):
        a, b = cumulative[i - 1], cumulative[i]
        if a == 0.0 or (a < 0.0) != (b < 0.0):
            if a == b:
                return strikes[i - 1]
            return round(strikes[i - 1] + (strikes[i] - strikes[i - 1]) * (-a / (b - a)), 2)
    return None


def _top_add(quotes: list[dict[str, Any]]) -> StrikeChange | None:
    changes = [(int(q["oi_change"]), float(q["strike"])) for q in quotes if _num(q.get("oi_change")) is not None]
    if not changes:
        return None
    change, strike = max(changes)
    return StrikeChange(strike, change) if change > 0 else None


async def _pcr_then(md: MarketData, product: str, expiry: str) -> Record | None:
    cutoff = utcnow() - timedelta(minutes=PCR_TREND_MINUTES)
    before = await md.chain_summaries(product, expiry, end=cutoff, limit=1)
    if before:
        return before[0]
    since = await md.chain_summaries(product, expiry, start=cutoff, limit=2000)
    return since[-1] if len(since) > 1 else None  # the oldest in the window, when there are two


async def take(md: MarketData, product: str) -> Snapshot:
    """The live figures of ``product``'s nearest expiry (404 when no chain is stored yet)."""
    chain = await md.latest_chain(product, None)
    expiry = str(chain["expiry"])
    tick = await md.latest_tick(product)
    iv = await analytics.iv_stats(md, product, None, IV_LOOKBACK_HOURS, IV_POINTS)
    then = await _pcr_then(md, product, expiry)
    spot = _num(tick.get("price")) if tick else None
    spot = spot if spot is not None else float(chain["spot_price"])
    max_pain = _num(chain.get("max_pain_strike"))
    distance = round(spot - max_pain, 2) if max_pain is not None else None
    calls, puts = list(chain.get("calls", [])), list(chain.get("puts", []))
    return Snapshot(
        product=product,
        expiry=expiry,
        timestamp=_iso(chain["timestamp"]),
        spot=spot,
        session_open=_num(tick.get("session_open")) if tick else None,
        change=_num(tick.get("change")) if tick else None,
        change_pct=_num(tick.get("change_pct")) if tick else None,
        pcr=_num(chain.get("pcr_oi")),
        pcr_vol=_num(chain.get("pcr_volume")),
        pcr_then=_num(then.get("pcr_oi")) if then else None,
        pcr_then_timestamp=_iso(then["timestamp"]) if then else None,
        max_pain=max_pain,
        max_pain_distance=distance,
        max_pain_distance_pct=round(distance / spot * 100.0, 3) if distance is not None and spot else None,
        atm_strike=_num(chain.get("atm_strike")),
        atm_iv=_num(chain.get("atm_iv")),
        iv_rank=_num(iv.get("iv_rank")),
        iv_percentile=_num(iv.get("iv_percentile")),
        iv_observations=int(iv.get("observations") or 0),
        iv_skew_25d=_num(chain.get("iv_skew_25d")),
        atm_straddle_price=_num(chain.get("atm_straddle_price")),
        expected_move=_num(chain.get("expected_move")),
        days_to_expiry=_num(chain.get("days_to_expiry")),
        gex=_num(chain.get("gex")),
        gex_flip=gex_flip(chain),
        call_oi_change=sum(int(q.get("oi_change") or 0) for q in calls),
        put_oi_change=sum(int(q.get("oi_change") or 0) for q in puts),
        top_call_oi_add=_top_add(calls),
        top_put_oi_add=_top_add(puts),
    )
