"""JSON helpers on orjson: one place that decides how datetimes and NumPy values are encoded.

UTC (and naive) datetimes are serialised as ISO-8601 with a ``Z`` suffix (SPEC.md §6); every
datetime entering the system goes through :func:`parse_ts`, which converts it to UTC, so other
offsets never reach the wire. NaN becomes ``null``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

# OPT_UTC_Z + OPT_NAIVE_UTC give the API's "...Z" datetimes; orjson writes NaN as null by itself.
_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def _default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: Any) -> bytes:
    """Serialise to compact JSON bytes (UTC datetimes with ``Z``, NumPy arrays as lists)."""
    return orjson.dumps(obj, default=_default, option=_OPTS)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    return orjson.loads(data)


def isoformat_z(ts: datetime) -> str:
    """ISO-8601 in UTC with a trailing ``Z`` (naive datetimes are taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    else:
        ts = ts.astimezone(UTC)
    return ts.isoformat().replace("+00:00", "Z")


def parse_ts(value: str | datetime) -> datetime:
    """Parse an ISO-8601 timestamp (``Z`` accepted) into an aware UTC datetime."""
    if isinstance(value, datetime):
        ts = value
    else:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
