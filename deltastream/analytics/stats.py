"""Small statistics over analytics series: mean, IV rank, IV percentile, and the max-pain curve
(delegated to ``quant.max_pain``, where the formula lives)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deltastream import quant


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean rounded to 6 dp; None for an empty series."""
    return round(float(np.mean(values)), 6) if len(values) else None


def iv_rank(values: Sequence[float], current: float | None) -> float | None:
    """Where ``current`` sits between the series' min (0) and max (100), in percent (2 dp).

    None without a current value or when the series is flat (min == max): the rank is undefined.
    """
    if current is None or not len(values):
        return None
    low, high = float(np.min(values)), float(np.max(values))
    if high <= low:
        return None
    return round((current - low) / (high - low) * 100.0, 2)


def iv_percentile(values: Sequence[float], current: float | None) -> float | None:
    """The percentage of observations strictly below ``current`` (2 dp); None for an empty series."""
    if current is None or not len(values):
        return None
    arr = np.asarray(values, dtype=float)
    return round(float(np.count_nonzero(arr < current)) / arr.size * 100.0, 2)


def pain_curve(
    strikes: Sequence[float], call_oi: Sequence[float], put_oi: Sequence[float]
) -> list[dict[str, float]]:
    """``[{strike, total_pain}]`` ascending by strike, from ``quant.max_pain`` (for chains stored
    without their curve)."""
    order = np.argsort(np.asarray(strikes, dtype=float))
    _, curve = quant.max_pain(strikes, call_oi, put_oi)
    sorted_strikes = np.asarray(strikes, dtype=float)[order]
    return [
        {"strike": float(k), "total_pain": float(v)}
        for k, v in zip(sorted_strikes, np.asarray(curve), strict=True)
    ]
