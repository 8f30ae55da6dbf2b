"""jsonx: the one JSON encoding (UTC ``Z`` datetimes, NaN as null, NumPy values, pydantic models)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from pydantic import BaseModel

from deltastream.core import jsonx

IST = timezone(timedelta(hours=5, minutes=30))


def test_utc_and_naive_datetimes_are_written_with_z() -> None:
    out = jsonx.loads(
        jsonx.dumps(
            {
                "aware": datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
                "naive": datetime(2025, 3, 4, 5, 6, 7, 250000),
                "day": date(2025, 3, 4),
            }
        )
    )

    assert out == {
        "aware": "2025-03-04T05:06:07Z",
        "naive": "2025-03-04T05:06:07.250000Z",
        "day": "2025-03-04",
    }


def test_non_finite_floats_become_null() -> None:
    data = {
        "nan": float("nan"),
        "inf": float("inf"),
        "ninf": -float("inf"),
        "np": np.float64("nan"),
        "ok": 0.5,
    }

    assert jsonx.loads(jsonx.dumps(data)) == {"nan": None, "inf": None, "ninf": None, "np": None, "ok": 0.5}


def test_numpy_scalars_and_arrays() -> None:
    data = {
        "f64": np.float64(0.1),
        "f32": np.float32(1.5),
        "i64": np.int64(2**40),
        "flag": np.bool_(True),
        "vec": np.array([1.0, np.nan, 3.0]),
        "grid": np.arange(4, dtype=np.int32).reshape(2, 2),
    }

    assert jsonx.loads(jsonx.dumps(data)) == {
        "f64": 0.1,
        "f32": 1.5,
        "i64": 2**40,
        "flag": True,
        "vec": [1.0, None, 3.0],
        "grid": [[0, 1], [2, 3]],
    }


def test_models_sets_and_non_string_keys() -> None:
    class Quote(BaseModel):
        strike: float
        at: datetime

    data = {
        "q": Quote(strike=100.0, at=datetime(2025, 1, 1, tzinfo=UTC)),
        "tags": {"b", "a"},
        21000: "strike",
    }

    assert jsonx.loads(jsonx.dumps(data)) == {
        "q": {"strike": 100.0, "at": "2025-01-01T00:00:00Z"},
        "tags": ["a", "b"],
        "21000": "strike",
    }


def test_output_is_compact_bytes_and_round_trips_unicode() -> None:
    encoded = jsonx.dumps({"a": [1, 2], "s": "₹ Δ"})

    assert encoded == '{"a":[1,2],"s":"₹ Δ"}'.encode()
    assert jsonx.loads(encoded.decode()) == jsonx.loads(bytearray(encoded)) == {"a": [1, 2], "s": "₹ Δ"}


def test_unknown_types_fail_loudly() -> None:
    with pytest.raises(TypeError, match="not JSON serializable: object"):
        jsonx.dumps({"x": object()})


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (datetime(2025, 1, 1, 12, 0, tzinfo=UTC), "2025-01-01T12:00:00Z"),
        (datetime(2025, 1, 1, 12, 0), "2025-01-01T12:00:00Z"),
        (datetime(2025, 1, 1, 17, 30, tzinfo=IST), "2025-01-01T12:00:00Z"),
    ],
)
def test_isoformat_z_converts_to_utc(ts: datetime, expected: str) -> None:
    assert jsonx.isoformat_z(ts) == expected


@pytest.mark.parametrize(
    "text",
    ["2025-01-01T12:00:00Z", "2025-01-01T17:30:00+05:30", "2025-01-01T12:00:00", "2025-01-01T12:00:00+00:00"],
)
def test_parse_ts_returns_aware_utc(text: str) -> None:
    parsed = jsonx.parse_ts(text)

    assert parsed == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
    assert jsonx.parse_ts(datetime(2025, 1, 1, 17, 30, tzinfo=IST)) == parsed


def test_parse_ts_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        jsonx.parse_ts("yesterday")
