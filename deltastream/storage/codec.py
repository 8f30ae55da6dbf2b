"""How records cross the storage boundary, identically for every backend.

- Stored records are JSON documents (orjson via :mod:`deltastream.core.jsonx`): NumPy values become
  plain numbers, NaN becomes ``null`` and nested datetimes become ISO-8601 ``Z`` strings.
- Top-level fields named in :data:`DATETIME_FIELDS` are datetimes: they come back as aware UTC
  ``datetime`` objects whatever went in (aware datetime, naive datetime taken as UTC, or ISO string).
- SQLite keys and range columns are integer microseconds since the Unix epoch (UTC), so they sort
  and compare exactly; MongoDB keeps BSON dates (millisecond precision, see the Mongo backend).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from deltastream.core.jsonx import dumps, loads, parse_ts
from deltastream.storage.protocol import Record, RecordLike

DATETIME_FIELDS: frozenset[str] = frozenset(
    {
        "timestamp",
        "processed_at",
        "enriched_at",
        "start_time",
        "end_time",
        "created_at",
        "replayed_at",
        "expires_at",
    }
)

SUMMARY_FIELDS: tuple[str, ...] = (
    "spot_price",
    "pcr_oi",
    "pcr_volume",
    "atm_strike",
    "atm_iv",
    "atm_straddle_price",
    "max_pain_strike",
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_utc(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime (naive = UTC) or an ISO-8601 string."""
    return parse_ts(value)


def to_us(value: datetime | str) -> int:
    """Microseconds since the Unix epoch (UTC); exact for every datetime Python can hold."""
    return (to_utc(value) - _EPOCH) // _US


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def opt_us(value: datetime | str | None) -> int | None:
    return None if value is None else to_us(value)


def required(record: RecordLike, field: str) -> Any:
    """The value of a key field; a record without it is a caller bug, reported as ``ValueError``."""
    value = record.get(field)
    if value is None:
        raise ValueError(f"record has no {field!r}")
    return value


def encode(record: RecordLike) -> bytes:
    """The stored JSON form of a whole record."""
    return dumps(record)


def restore_datetimes(doc: dict[str, Any]) -> dict[str, Any]:
    """Turn the top-level datetime fields of a JSON-decoded document back into aware datetimes."""
    for key in DATETIME_FIELDS.intersection(doc):
        value = doc[key]
        if isinstance(value, str):
            try:
                doc[key] = parse_ts(value)
            except ValueError:
                continue
        elif isinstance(value, datetime):
            doc[key] = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return doc


def decode(blob: bytes | str) -> Record:
    """A stored JSON record back into a dict, with its top-level datetimes restored."""
    doc: Record = loads(blob)
    return restore_datetimes(doc)


def normalize(record: RecordLike) -> Record:
    """The record exactly as a JSON backend would return it (used by the document store)."""
    return decode(encode(record))


def finite_or_none(value: Any) -> float | None:
    """A float for a summary column, or None for missing, non-numeric, NaN or infinite values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def chain_summary(chain: RecordLike) -> tuple[float | None, ...]:
    """The scalar summary columns of an enriched chain, in :data:`SUMMARY_FIELDS` order."""
    return tuple(finite_or_none(chain.get(field)) for field in SUMMARY_FIELDS)


def normalize_level(level: str) -> str:
    """Log levels are stored upper-case (``info`` and ``INFO`` are one level)."""
    return level.strip().upper()
