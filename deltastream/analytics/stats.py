"""Adapters from ``quant`` (where the formulas live) to JSON-ready analytics values:
NaN becomes None, percentages are rounded to 2 dp."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from deltastream import quant


def _json_float(value: float, digits: int) -> float | None:
    return None if not math.isfinite(value) else round(value, digits)


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean rounded to 6 dp; None for an empty series."""
    return round(float(np.mean(values)), 6) if len(values) else None


def iv_rank(series: Sequence[float]) -> float | None:
    """``quant.iv_rank`` of the last value: (last − min)/(max − min)·100; None when undefined."""
    return _json_float(quant.iv_rank(np.asarray(series, dtype=float)), 2) if len(series) else None


def iv_percentile(series: Sequence[float]) -> float | None:
    """``quant.iv_percentile`` of the last value: % of earlier values below it; None when undefined."""
    return _json_float(quant.iv_percentile(np.asarray(series, dtype=float)), 2) if len(series) else None


def pain_curve(
    strikes: Sequence[float], call_oi: Sequence[float], put_oi: Sequence[float]
) -> list[dict[str, float]]:
    """``[{strike, total_pain}]`` ascending by strike, from ``quant.pain_curve`` (for chains stored
    without their curve)."""
    sorted_strikes, pain = quant.pain_curve(strikes, call_oi, put_oi)
    return [{"strike": float(k), "total_pain": float(v)} for k, v in zip(sorted_strikes, pain, strict=True)]
