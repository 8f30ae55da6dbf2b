"""Time and series statistics: days/years to expiry, IV rank and IV percentile."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from deltastream.quant._arrays import DAYS_PER_YEAR, ArrayLike, FloatArray, as_float

__all__ = ["DEFAULT_EXPIRY_CUTOFF_UTC", "days_to_expiry", "iv_percentile", "iv_rank", "tte_years"]

DEFAULT_EXPIRY_CUTOFF_UTC = "10:00"
"""Time of day (UTC) at which a date-only expiry settles: 10:00 UTC = 15:30 IST,
the NSE/BSE close. US products settle at 16:00 New York time, i.e. pass
``"21:00"`` (EST) or ``"20:00"`` (EDT)."""

_NS_PER_DAY = 86_400 * 10**9


def _to_utc_ns(value: Any) -> np.ndarray:
    """Timestamps as int64 ns since the epoch, UTC; naive datetimes are taken as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return np.asarray(np.datetime64(value, "ns").astype(np.int64))
    return np.asarray(value, dtype="datetime64[ns]").astype(np.int64)


def _expiry_ns(expiry: Any, cutoff_utc: str) -> np.ndarray:
    """Expiry instants in ns: date-only values (str ``YYYY-MM-DD``, ``date``) get the cutoff."""
    hours, minutes = (int(part) for part in cutoff_utc.split(":"))
    cutoff_ns = np.int64((hours * 60 + minutes) * 60 * 10**9)
    if isinstance(expiry, datetime) or (isinstance(expiry, str) and len(expiry) > 10):
        return _to_utc_ns(expiry)
    if isinstance(expiry, date | str):
        return np.asarray(np.datetime64(expiry, "D").astype("datetime64[ns]").astype(np.int64) + cutoff_ns)
    days = np.asarray(expiry)
    if days.dtype.kind == "M" and np.datetime_data(days.dtype)[0] != "D":
        return days.astype("datetime64[ns]").astype(np.int64)
    return days.astype("datetime64[D]").astype("datetime64[ns]").astype(np.int64) + cutoff_ns


def days_to_expiry(expiry: Any, as_of: Any, *, cutoff_utc: str = DEFAULT_EXPIRY_CUTOFF_UTC) -> FloatArray:
    """Calendar days (fractional) from ``as_of`` to expiry, floored at 0.

    ``expiry``: ``YYYY-MM-DD`` string, ``date``, ``datetime64[D]`` (settling at
    ``cutoff_utc``), or a full timestamp. ``as_of``: datetime (naive = UTC),
    ISO-8601 string or ``datetime64``. Both may be arrays.
    """
    delta_ns = _expiry_ns(expiry, cutoff_utc) - _to_utc_ns(as_of)
    days: FloatArray = np.maximum(delta_ns / _NS_PER_DAY, 0.0)
    return days


def tte_years(expiry: Any, as_of: Any, *, cutoff_utc: str = DEFAULT_EXPIRY_CUTOFF_UTC) -> FloatArray:
    """ACT/365 time to expiry in years (``days_to_expiry / 365``), floored at 0.

    A fixed UTC cut-off: library API for callers without a product. The pipeline instead measures
    to the expiry's own session close (``feed.expiry_instant``), so it does not call this.

    An expired option gets 0, for which ``implied_vol`` returns NaN and the
    pricers return intrinsic value.
    """
    return days_to_expiry(expiry, as_of, cutoff_utc=cutoff_utc) / DAYS_PER_YEAR


def iv_rank(series: ArrayLike) -> float:
    """IV rank of the last observation within the series, in percent [0, 100].

    (last − min)/(max − min)·100 over the finite values (the window includes
    the last value). NaN when the last value is missing or the range is zero.
    """
    values = as_float(series).ravel()
    if values.size == 0 or not np.isfinite(values[-1]):
        return float("nan")
    finite = values[np.isfinite(values)]
    low, high = float(finite.min()), float(finite.max())
    if high == low:
        return float("nan")
    return (float(values[-1]) - low) / (high - low) * 100.0


def iv_percentile(series: ArrayLike) -> float:
    """IV percentile of the last observation, in percent [0, 100].

    The share of the earlier finite observations strictly below the last one.
    NaN when the last value is missing or there is no earlier observation.
    """
    values = as_float(series).ravel()
    if values.size < 2 or not np.isfinite(values[-1]):
        return float("nan")
    history = values[:-1]
    history = history[np.isfinite(history)]
    if history.size == 0:
        return float("nan")
    return float(np.count_nonzero(history < values[-1])) / history.size * 100.0
