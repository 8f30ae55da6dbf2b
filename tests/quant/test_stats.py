"""Expiry clocks and IV rank / percentile."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from deltastream import quant


def test_days_to_expiry_uses_the_cutoff_and_utc() -> None:
    # NIFTY: expiry day closes 15:30 IST = 10:00 UTC.
    assert quant.days_to_expiry("2025-01-30", "2025-01-23T10:00:00Z") == 7.0
    ist = timezone(timedelta(hours=5, minutes=30))
    assert quant.days_to_expiry(date(2025, 1, 30), datetime(2025, 1, 30, 9, 30, tzinfo=ist)) == pytest.approx(
        6 / 24
    )
    us = quant.days_to_expiry("2025-01-31", datetime(2025, 1, 31, 14, 30), cutoff_utc="21:00")
    assert us == pytest.approx(6.5 / 24)


def test_expired_is_zero_and_arrays_broadcast() -> None:
    assert quant.tte_years("2025-01-30", datetime(2025, 2, 1, tzinfo=UTC)) == 0.0
    days = quant.days_to_expiry(
        np.array(["2025-01-30", "2025-02-06"], dtype="datetime64[D]"), "2025-01-23T10:00"
    )
    np.testing.assert_array_equal(days, [7.0, 14.0])
    assert quant.tte_years("2025-01-30T10:00:00+00:00", "2025-01-23T10:00:00+00:00") == pytest.approx(7 / 365)


def test_iv_rank_and_percentile() -> None:
    series = [0.10, 0.30, 0.20, 0.15, 0.25]
    assert quant.iv_rank(series) == pytest.approx(75.0)
    assert quant.iv_percentile(series) == pytest.approx(75.0)  # 3 of 4 earlier values below 0.25
    assert quant.iv_rank([0.1, np.nan, 0.3, 0.1]) == 0.0
    assert np.isnan(quant.iv_rank([0.2, 0.2]))
    assert np.isnan(quant.iv_percentile([0.2]))
    assert np.isnan(quant.iv_rank([0.1, np.nan]))
