"""Market-data read use cases, cache first and storage second (cache-aside).

These are also the read model other contexts use for "the latest chain" and "the nearest expiry"
(analytics, the mobile BFF), so that every route agrees on which chain is current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from deltastream.core.cache import Cache
from deltastream.core.clock import utcnow
from deltastream.core.errors import NotFoundError, ValidationFailed
from deltastream.enrichment import keys
from deltastream.feed import configured_products, expiry_instant, get_product
from deltastream.settings import Settings
from deltastream.storage import Record, Repository

# How long a resolved "nearest expiry" is reused; the calendar only rolls at a session close.
NEAREST_EXPIRY_TTL_S = 5.0


@dataclass(frozen=True)
class TimeRange:
    """An inclusive ``[start, end]`` filter in aware UTC; either bound may be open."""

    start: datetime | None = None
    end: datetime | None = None


def products(settings: Settings) -> dict[str, Any]:
    return {"products": [spec.name for spec in configured_products(settings)]}


async def list_ticks(repo: Repository, product: str, window: TimeRange, limit: int) -> dict[str, Any]:
    ticks = await repo.list_ticks(product, window.start, window.end, limit)
    return {"product": product, "count": len(ticks), "ticks": ticks}


async def list_chains(
    repo: Repository, product: str, expiry: str | None, window: TimeRange, limit: int
) -> dict[str, Any]:
    chains = await repo.list_chains(product, expiry, window.start, window.end, limit)
    return {"product": product, "count": len(chains), "chains": chains}


async def list_expiries(repo: Repository, product: str) -> dict[str, Any]:
    return {"product": product, "expiries": await repo.list_expiries(product)}


async def list_candles(
    repo: Repository, cache: Cache, product: str, window_minutes: int, window: TimeRange, limit: int
) -> dict[str, Any]:
    candles = await repo.list_candles(product, window_minutes, window.start, window.end, limit)
    current = await cache.get(keys.ohlc(product, window_minutes))
    return {
        "product": product,
        "window_minutes": window_minutes,
        "count": len(candles),
        "candles": candles,
        "current": current if isinstance(current, dict) else None,
    }


def is_live_expiry(product: str, expiry: str, now: datetime) -> bool:
    """True while ``expiry`` has not settled at ``now`` (its session close is later)."""
    try:
        return expiry_instant(get_product(product), expiry) > now
    except ValueError:  # not a calendar date: cannot be live
        return False


async def live_expiries(repo: Repository, cache: Cache, product: str) -> list[str]:
    """Expiries with data that have not settled, ascending.

    The pipeline's live-expiry list is tried first, then storage. When every stored expiry has
    settled (a replayed old session), the most recent stored one is returned alone. Empty when
    nothing is stored for ``product``.
    """
    now = utcnow()
    live_doc = await cache.get(keys.live_expiries(product))
    if isinstance(live_doc, dict) and isinstance(live_doc.get("expiries"), list):
        live = sorted(e for e in map(str, live_doc["expiries"]) if is_live_expiry(product, e, now))
        if live:
            return live
    stored = await repo.list_expiries(product)
    live = [e for e in stored if is_live_expiry(product, e, now)]
    if live:
        return live
    return [max(stored)] if stored else []


async def nearest_expiry(repo: Repository, cache: Cache, product: str) -> str:
    """The earliest live expiry with data (see :func:`live_expiries`); 404 when there is no chain."""
    memo_key = f"api:nearest_expiry:{product}"
    memo = await cache.get(memo_key)
    if isinstance(memo, str):
        return memo
    expiries = await live_expiries(repo, cache, product)
    if not expiries:
        raise NotFoundError(f"No option chain stored for {product} yet", details={"product": product})
    await cache.set(memo_key, expiries[0], ttl=NEAREST_EXPIRY_TTL_S)
    return expiries[0]


async def latest_chain_bytes(
    repo: Repository, cache: Cache, settings: Settings, product: str, expiry: str | None
) -> tuple[str, bytes]:
    """``(expiry, JSON bytes)`` of the newest enriched chain, exactly as cached (no re-encoding).

    On a cache miss the chain is read from storage and written back to the cache (TTL
    ``cache_ttl``), so the next request is served from memory.
    """
    expiry = expiry or await nearest_expiry(repo, cache, product)
    key = keys.latest_chain(product, expiry)
    data = await cache.get_raw(key)
    if data is None:
        chain = await repo.latest_chain(product, expiry)
        if chain is None:
            raise NotFoundError(
                f"No option chain for {product} expiry {expiry}",
                details={"product": product, "expiry": expiry},
            )
        data = await cache.set(key, chain, ttl=settings.cache_ttl)
    return expiry, data


async def latest_chain(
    repo: Repository, cache: Cache, settings: Settings, product: str, expiry: str | None
) -> Record:
    """The newest enriched chain as a dict (datetimes may be ISO strings when it came from the cache)."""
    expiry = expiry or await nearest_expiry(repo, cache, product)
    cached = await cache.get(keys.latest_chain(product, expiry))
    if isinstance(cached, dict):
        return cached
    chain = await repo.latest_chain(product, expiry)
    if chain is None:
        raise NotFoundError(
            f"No option chain for {product} expiry {expiry}", details={"product": product, "expiry": expiry}
        )
    await cache.set(keys.latest_chain(product, expiry), chain, ttl=settings.cache_ttl)
    return chain


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
