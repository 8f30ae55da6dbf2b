"""Sentences and scores generated from a :class:`~deltastream.ai.snapshot.Snapshot` (pure).

Every sentence is a template over numbers in the snapshot, formatted the same way each time
(prices to 2 decimals, ratios to 2, IV in percent to 1), so a test can rebuild the text from
``data``. A figure that is missing drops its sentence rather than printing "None".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from deltastream.ai.snapshot import Snapshot

Label = Literal["bullish", "bearish", "neutral"]
# A score beyond ±THRESHOLD is a view; inside it, neutral.
THRESHOLD = 0.15
PCR_FLAT = 0.01  # a 15-minute PCR change smaller than this is "steady"


def _signed(value: float, digits: int = 2) -> str:
    return f"{value:+,.{digits}f}"


def spot_sentence(s: Snapshot) -> str | None:
    if s.change is None or s.change_pct is None or s.session_open is None:
        return f"{s.product} is at {s.spot:,.2f}."
    direction = "up" if s.change > 0 else "down" if s.change < 0 else "unchanged"
    return (
        f"{s.product} is at {s.spot:,.2f}, {direction} {abs(s.change):,.2f} points "
        f"({s.change_pct:+.2f}%) from the session open of {s.session_open:,.2f}."
    )


def pcr_trend(s: Snapshot) -> str | None:
    """rising, falling or steady over the trend window; None without an earlier value."""
    if s.pcr is None or s.pcr_then is None:
        return None
    delta = s.pcr - s.pcr_then
    return "rising" if delta >= PCR_FLAT else "falling" if delta <= -PCR_FLAT else "steady"


def pcr_sentence(s: Snapshot) -> str | None:
    if s.pcr is None:
        return None
    text = f"PCR (OI) is {s.pcr:.2f} for the {s.expiry} expiry"
    trend = pcr_trend(s)
    if trend is not None and s.pcr_then is not None:
        text += f", {trend} from {s.pcr_then:.2f} over the last 15 minutes"
    else:
        text += " (no 15-minute history yet)"
    if s.pcr_vol is not None:
        text += f"; PCR by volume is {s.pcr_vol:.2f}"
    return text + "."


def max_pain_sentence(s: Snapshot) -> str | None:
    if s.max_pain is None or s.max_pain_distance is None or s.max_pain_distance_pct is None:
        return None
    side = "above" if s.max_pain_distance > 0 else "below" if s.max_pain_distance < 0 else "at"
    if side == "at":
        return f"Spot is at the max pain strike of {s.max_pain:,.2f}."
    return (
        f"Spot is {abs(s.max_pain_distance):,.2f} points ({abs(s.max_pain_distance_pct):.2f}%) {side} "
        f"the max pain strike of {s.max_pain:,.2f}."
    )


def iv_sentence(s: Snapshot) -> str | None:
    if s.atm_iv is None:
        return None
    text = f"ATM IV is {s.atm_iv * 100:.1f}%"
    if s.iv_rank is not None:
        text += f" with an IV rank of {s.iv_rank:.0f} over the last 24 hours ({s.iv_observations} observations)"
    else:
        text += " (IV rank needs at least two observations)"
    if s.iv_skew_25d is not None:
        text += f"; the 25-delta skew is {s.iv_skew_25d * 100:+.1f} vol points"
    return text + "."


def gex_sentence(s: Snapshot) -> str | None:
    if s.gex is None:
        return None
    sign = "positive" if s.gex >= 0 else "negative"
    effect = "dampen" if s.gex >= 0 else "amplify"
    text = f"Net GEX is {sign} ({s.gex:,.0f} per 1% move)"
    if s.gex_flip is not None:
        text += f" with the flip level near {s.gex_flip:,.2f}"
    return text + f": dealer hedging tends to {effect} moves."


def oi_sentence(s: Snapshot) -> str:
    text = (
        f"Since the previous snapshot call OI changed by {s.call_oi_change:+,} and put OI by {s.put_oi_change:+,}"
    )
    adds = []
    if s.top_call_oi_add is not None:
        adds.append(f"calls at {s.top_call_oi_add.strike:,.2f} ({s.top_call_oi_add.oi_change:+,})")
    if s.top_put_oi_add is not None:
        adds.append(f"puts at {s.top_put_oi_add.strike:,.2f} ({s.top_put_oi_add.oi_change:+,})")
    if adds:
        text += "; the largest additions are " + " and ".join(adds)
    return text + "."


def expected_move_sentence(s: Snapshot) -> str | None:
    if s.expected_move is None or s.days_to_expiry is None:
        return None
    pct = s.expected_move / s.spot * 100.0 if s.spot else 0.0
    return (
        f"Options price an expected move of ±{s.expected_move:,.2f} ({pct:.2f}%) to expiry in "
        f"{s.days_to_expiry:.1f} days, a range of {s.spot - s.expected_move:,.2f} to "
        f"{s.spot + s.expected_move:,.2f}."
    )


def pulse(s: Snapshot) -> str:
    parts = [
        spot_sentence(s),
        pcr_sentence(s),
        max_pain_sentence(s),
        iv_sentence(s),
        gex_sentence(s),
        oi_sentence(s),
        expected_move_sentence(s),
    ]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Signal:
    signal: str
    value: float | None  # the input figure
    score: float  # in [-1, 1], positive is bullish
    weight: float
    contribution: float
    explanation: str


WEIGHTS = {"pcr": 0.35, "oi_buildup": 0.25, "skew": 0.15, "trend": 0.25}


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, x))


def signals(s: Snapshot) -> list[Signal]:
    """Each available signal with its weight renormalised over the available ones.

    - pcr: (PCR − 1) / 0.3: put writing above 1 reads as support (bullish);
    - oi_buildup: (Δput OI − Δcall OI) / (|Δput OI| + |Δcall OI|): puts added faster than calls
      reads as writers selling puts (bullish);
    - skew: −skew / 0.10: expensive downside protection reads as fear (bearish);
    - trend: change % against the session open / 1 %.
    """
    raw: list[tuple[str, float | None, float, str]] = []
    if s.pcr is not None:
        raw.append(("pcr", s.pcr, _clip((s.pcr - 1.0) / 0.3), f"PCR (OI) {s.pcr:.2f} against a neutral 1.00"))
    moved = abs(s.put_oi_change) + abs(s.call_oi_change)
    if moved:
        balance = (s.put_oi_change - s.call_oi_change) / moved
        raw.append(
            ("oi_buildup", round(balance, 4), _clip(balance),
             f"put OI {s.put_oi_change:+,} against call OI {s.call_oi_change:+,}")
        )
    if s.iv_skew_25d is not None:
        raw.append(
            ("skew", s.iv_skew_25d, _clip(-s.iv_skew_25d / 0.10),
             f"25-delta skew {s.iv_skew_25d * 100:+.1f} vol points")
        )
    if s.change_pct is not None:
        raw.append(
            ("trend", s.change_pct, _clip(s.change_pct / 1.0), f"{s.change_pct:+.2f}% from the session open")
        )
    total = sum(WEIGHTS[name] for name, *_ in raw)
    out = []
    for name, value, signal_score, why in raw:
        weight = WEIGHTS[name] / total
        out.append(
            Signal(name, value, round(signal_score, 4), round(weight, 4), round(signal_score * weight, 4), why)
        )
    return out


def score_of(parts: list[Signal]) -> float:
    return round(_clip(sum(p.contribution for p in parts)), 4)


def label_of(score: float) -> Label:
    return "bullish" if score > THRESHOLD else "bearish" if score < -THRESHOLD else "neutral"


def analytics_headlines(s: Snapshot) -> list[str]:
    """Headlines from our own figures, for when no news source is set or reachable."""
    lines = [spot_sentence(s), pcr_sentence(s), max_pain_sentence(s), iv_sentence(s), gex_sentence(s)]
    stamp = s.timestamp[11:19]
    return [f"{s.product} {stamp} UTC: {line}" for line in lines if line]
