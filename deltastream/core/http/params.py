"""Query parameters shared by the read routers: a time range, an expiry date, a candle width, the
order of a list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import IntEnum
from typing import Annotated, Literal, TypeVar

from fastapi import Depends, Query

from deltastream.core.errors import ValidationFailed


@dataclass(frozen=True)
class TimeRange:
    """An inclusive ``[start, end]`` filter in aware UTC; either bound may be open."""

    start: datetime | None = None
    end: datetime | None = None


def check_range(start: datetime | None, end: datetime | None) -> TimeRange:
    """Normalise to aware UTC; a reversed or unrepresentable range is a 422."""
    try:
        start_utc = _utc(start)
        end_utc = _utc(end)
    except (OverflowError, ValueError):
        raise ValidationFailed("Invalid time range: timestamp out of range") from None
    if start_utc and end_utc and start_utc > end_utc:
        raise ValidationFailed(
            "Invalid time range: start is after end", details={"start": start_utc, "end": end_utc}
        )
    return TimeRange(start_utc, end_utc)


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


async def time_range(
    start: Annotated[
        datetime | None,
        Query(description="Inclusive lower bound, ISO-8601 (naive = UTC)", examples=["2025-01-03T10:00:00Z"]),
    ] = None,
    end: Annotated[
        datetime | None,
        Query(description="Inclusive upper bound, ISO-8601 (naive = UTC)", examples=["2025-01-03T12:00:00Z"]),
    ] = None,
) -> TimeRange:
    return check_range(start, end)


class CandleWindow(IntEnum):
    """Candle width in minutes."""

    ONE = 1
    FIVE = 5
    FIFTEEN = 15


TimeRangeDep = Annotated[TimeRange, Depends(time_range)]
ExpiryQuery = Annotated[date | None, Query(description="Expiry date `YYYY-MM-DD`", examples=["2025-01-09"])]


def expiry_str(value: date | None) -> str | None:
    """An :data:`ExpiryQuery` value as the ``YYYY-MM-DD`` string storage keys use."""
    return value.isoformat() if value else None


Order = Literal["desc", "asc"]
OrderQuery = Annotated[
    Order,
    Query(
        description="List order by time: `desc` newest first (the default), `asc` oldest first "
        "(the same items: the newest `limit` of the range)"
    ),
]

_T = TypeVar("_T")


def ordered(items: list[_T], order: Order) -> list[_T]:
    """``items`` (newest first, as every reader returns them) in the requested ``order``."""
    return items[::-1] if order == "asc" else items
