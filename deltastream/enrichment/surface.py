"""Volatility surface payload from the latest enriched chain of each live expiry (pure).

The maths is :func:`deltastream.quant.build_surface`; this module turns enriched chains into its
input (one OTM smile per expiry, :func:`quant.otm_ivs`) and its result into the stored/cached/
published payload:

``{product, timestamp, spot_price,
expiries: [{expiry, days_to_expiry, tte_years, forward, strikes, ivs, call_ivs, put_ivs, atm_iv,
avg_iv, num_quotes}],
strike_grid: {strikes, expiries, ivs},        # IV rows per expiry over the union of strikes
moneyness_grid: {log_moneyness, moneyness, expiries, ivs},   # IV rows over ln(K/F) points
                                                             # spanning the quoted range
term_structure: [{expiry, days_to_expiry, atm_iv}]}``

``ivs`` (per expiry) is the smile: the OTM side's IV at each strike; ``atm_iv`` is the smile
interpolated at the forward (the chain's ATM-strike IV if the forward is outside the strikes).
Grids never extrapolate: ``null`` outside an expiry's quoted strikes. ``timestamp`` is the newest
chain's, so rebuilding from the same chains rewrites the same record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from deltastream import quant
from deltastream.core.jsonx import parse_ts
from deltastream.enrichment.events import Surface, SurfaceExpiry


def _ivs(quotes: Sequence[Mapping[str, Any]]) -> np.ndarray:
    return np.array([np.nan if q.get("iv") is None else q["iv"] for q in quotes], dtype=np.float64)


def _listed(values: np.ndarray, decimals: int = 6) -> list[float | None]:
    return [None if v != v else v for v in np.round(values, decimals).tolist()]


def build_surface(product: str, chains: Sequence[Mapping[str, Any]]) -> Surface:
    """The surface payload of ``product`` from enriched chains (one per expiry; non-empty)."""
    ordered = sorted(chains, key=lambda c: (float(c.get("tte_years") or 0.0), str(c["expiry"])))
    newest = max(ordered, key=lambda c: parse_ts(c["timestamp"]))
    slices: list[quant.ExpirySlice] = []
    entries: list[SurfaceExpiry] = []
    for chain in ordered:
        strikes = np.asarray(chain["strikes"], dtype=np.float64)
        call_iv, put_iv = _ivs(chain["calls"]), _ivs(chain["puts"])
        forward = float(chain.get("forward") or chain["spot_price"])
        tte = float(chain.get("tte_years") or 0.0)
        otm = quant.otm_ivs(strikes, call_iv, put_iv, forward)
        slices.append(quant.ExpirySlice(tte_years=tte, forward=forward, strikes=strikes, ivs=otm))
        finite = otm[np.isfinite(otm)]
        entries.append(
            {
                "expiry": str(chain["expiry"]),
                "days_to_expiry": chain.get("days_to_expiry"),
                "tte_years": tte,
                "forward": forward,
                "strikes": strikes.tolist(),
                "ivs": _listed(otm),
                "call_ivs": _listed(call_iv),
                "put_ivs": _listed(put_iv),
                "atm_iv": chain.get("atm_iv"),
                "avg_iv": round(float(finite.mean()), 6) if finite.size else None,
                "num_quotes": int(np.isfinite(call_iv).sum() + np.isfinite(put_iv).sum()),
            }
        )
    surface = quant.build_surface(slices)
    # build_surface sorts by tte exactly as ``ordered`` is sorted, so rows line up with entries.
    for entry, atm in zip(entries, surface.atm_term_structure.tolist(), strict=True):
        if atm == atm:
            entry["atm_iv"] = round(atm, 6)
    names = [e["expiry"] for e in entries]
    return {
        "product": product,
        "timestamp": parse_ts(newest["timestamp"]),
        "spot_price": newest["spot_price"],
        "expiries": entries,
        "strike_grid": {
            "strikes": surface.strikes.tolist(),
            "expiries": names,
            "ivs": [_listed(row) for row in surface.iv_grid],
        },
        "moneyness_grid": {
            "log_moneyness": surface.log_moneyness.tolist(),
            "moneyness": np.round(np.exp(surface.log_moneyness), 6).tolist(),
            "expiries": names,
            "ivs": [_listed(row) for row in surface.moneyness_iv],
        },
        "term_structure": [
            {"expiry": e["expiry"], "days_to_expiry": e["days_to_expiry"], "atm_iv": e["atm_iv"]}
            for e in entries
        ],
    }
