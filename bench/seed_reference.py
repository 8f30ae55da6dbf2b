"""The seed's pure-Python algorithms, kept verbatim in behaviour as benchmark peers.

Sources: seed-notes/feed-worker.md §5.5 (``process_option_chain``, minus its I/O:
Mongo insert, Redis SETEX/PUBLISH, logging) and §5.6 (``calculate_max_pain``).
Do not "improve" these: they are the baseline the ratios in BENCHMARKS.md are
measured against.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

Quote = dict[str, Any]


def seed_calculate_max_pain(calls: list[Quote], puts: list[Quote], strikes: list[float]) -> float:
    """Seed §5.6: O(n²) double loop over test strikes × quotes; strict ``<`` keeps the lowest tie."""
    max_pain = strikes[0]
    min_total = float("inf")
    for test_strike in strikes:
        total = 0.0
        for call in calls:
            total += call["open_interest"] * max(0, test_strike - call["strike"])
        for put in puts:
            total += put["open_interest"] * max(0, put["strike"] - test_strike)
        if total < min_total:
            min_total = total
            max_pain = test_strike
    return max_pain


def seed_enrich_chain(chain_data: dict[str, Any]) -> dict[str, Any]:
    """Seed §5.5: the per-chain analytics of ``process_option_chain``, returning the §3.5 payload."""
    calls = chain_data["calls"]
    puts = chain_data["puts"]
    spot = chain_data["spot_price"]

    total_call_oi = sum(c["open_interest"] for c in calls)
    total_put_oi = sum(p["open_interest"] for p in puts)
    pcr = total_put_oi / total_call_oi if total_call_oi > 0 else 0
    total_call_volume = sum(c["volume"] for c in calls)
    total_put_volume = sum(p["volume"] for p in puts)
    pcr_volume = total_put_volume / total_call_volume if total_call_volume > 0 else 0

    strikes = sorted(chain_data["strikes"])
    atm_strike = min(strikes, key=lambda x: abs(x - spot))
    atm_call = next((c for c in calls if c["strike"] == atm_strike), None)
    atm_put = next((p for p in puts if p["strike"] == atm_strike), None)
    atm_straddle_price = atm_call["last"] + atm_put["last"] if atm_call and atm_put else 0

    max_pain_strike = seed_calculate_max_pain(calls, puts, strikes)

    call_buildup = sum(c["open_interest"] for c in calls if c["strike"] > spot)
    put_buildup = sum(p["open_interest"] for p in puts if p["strike"] < spot)

    return {
        "product": chain_data["product"],
        "expiry": chain_data["expiry"],
        "spot_price": spot,
        "pcr_oi": round(pcr, 4),
        "pcr_volume": round(pcr_volume, 4),
        "atm_strike": atm_strike,
        "atm_straddle_price": round(atm_straddle_price, 2),
        "max_pain_strike": max_pain_strike,
        "total_call_oi": total_call_oi,
        "total_put_oi": total_put_oi,
        "call_buildup_otm": call_buildup,
        "put_buildup_otm": put_buildup,
        "calls": calls,
        "puts": puts,
        "timestamp": chain_data["timestamp"],
        "processed_at": datetime.now().isoformat(),
    }
