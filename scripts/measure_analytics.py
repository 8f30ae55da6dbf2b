"""Count the analytics holes of issue 11 across the latest simulator chains (8 products × 4 expiries).

Runs the simulator at the default settings for ``--steps`` ticks ending now, enriches the latest
chain of each product and expiry and prints: null IVs (own-mid solve only, then with the
``otm_parity`` fill), null 25-delta skews (with and without the fill), and null surface cells
inside each expiry's quoted range (fixed ±20 % grid vs the adaptive grid).

    .venv/bin/python scripts/measure_analytics.py [--steps 300] [--seed 7]
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import numpy as np

from deltastream import quant
from deltastream.enrichment.chain import ChainInput, enrich_chains
from deltastream.enrichment.surface import build_surface
from deltastream.feed import get_product
from deltastream.feed.simulator import MarketSimulator
from deltastream.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    settings = Settings(feed_seed=args.seed)
    sim = MarketSimulator(settings)
    now = datetime.now(UTC)
    latest: dict[tuple[str, str], dict] = {}
    for i in range(args.steps):
        at = now - timedelta(seconds=settings.feed_interval * (args.steps - 1 - i))
        for _topic, payload in sim.step(at):
            if "calls" in payload:
                latest[(payload["product"], payload["expiry"])] = payload
    items = [ChainInput(c, get_product(c["product"])) for c in latest.values()]
    enriched = enrich_chains(items, processed_at=now)
    quotes = [q for c in enriched for q in (*c["calls"], *c["puts"])]
    by_source = {s: sum(q["iv_source"] == s for q in quotes) for s in quant.IV_SOURCES}
    null_iv = sum(q["iv"] is None for q in quotes)
    null_delta = sum(q["delta"] is None for q in quotes)
    null_skew = sum(c["iv_skew_25d"] is None for c in enriched)
    reasons = [c["iv_skew_25d_reason"] for c in enriched if c["iv_skew_25d"] is None]
    # the skew from the own-mid vols only (what the pipeline gave before the parity fill)
    old_skew_null = 0
    for c in enriched:
        own = [
            (q["delta"] if q["iv_source"] == "mid" else None, q["iv"] if q["iv_source"] == "mid" else None)
            for q in (*c["calls"], *c["puts"])
        ]
        d = np.array([np.nan if x is None else x for x, _ in own])
        v = np.array([np.nan if y is None else y for _, y in own])
        n = len(c["calls"])
        if not np.isfinite(quant.skew_25d(d[:n], v[:n], d[n:], v[n:])):
            old_skew_null += 1
    products = sorted({c["product"] for c in enriched})
    cells = inside = null_inside = fixed_null_inside = fixed_cells = 0
    for p in products:
        surface = build_surface(p, [c for c in enriched if c["product"] == p])
        grid = surface["moneyness_grid"]
        for entry, row in zip(surface["expiries"], grid["ivs"], strict=True):
            lm = np.log(np.array(entry["strikes"]) / entry["forward"])
            ok = np.array([v is not None for v in entry["ivs"]])
            lo, hi = lm[ok].min(), lm[ok].max()
            pts = np.array(grid["log_moneyness"])
            mask = (pts >= lo) & (pts <= hi)
            cells += len(row)
            inside += int(mask.sum())
            null_inside += sum(row[i] is None for i in np.flatnonzero(mask))
        fixed = quant.build_surface(
            [
                quant.ExpirySlice(
                    e["tte_years"], e["forward"], e["strikes"], [np.nan if v is None else v for v in e["ivs"]]
                )
                for e in surface["expiries"]
            ],
            log_moneyness=quant.DEFAULT_LOG_MONEYNESS,
        )
        fixed_cells += fixed.moneyness_iv.size
        fixed_null_inside += int(np.isnan(fixed.moneyness_iv).sum())
    print(f"chains: {len(enriched)}  quotes: {len(quotes)}")
    print(f"iv_source: {by_source}")
    print(
        f"null iv: {null_iv} (own-mid only: {by_source['otm_parity'] + by_source['none']}); null delta: {null_delta}"
    )
    print(f"null iv_skew_25d: {null_skew} (own-mid vols only: {old_skew_null}); reasons: {reasons}")
    print(
        f"adaptive moneyness grid: {cells} cells, {inside} inside the data's hull, {null_inside} null inside"
    )
    print(f"fixed ±20% grid: {fixed_cells} cells, {fixed_null_inside} null")


if __name__ == "__main__":
    main()
