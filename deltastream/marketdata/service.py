"""Market-data read use cases, cache first and storage second (cache-aside).

:class:`MarketData` is also the read model other contexts use for "the latest chain", "the
nearest expiry" and stored history (analytics, the mobile BFF), so that every route agrees on
which chain is current. It is built once by the composition root.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deltastream.core.cache import Cache
from deltastream.core.clock import utcnow
from deltastream.core.errors import NotFoundError
from deltastream.core.http.params import TimeRange
from deltastream.enrichment import keys
from deltastream.feed import configured_products, expiry_instant, get_product
from deltastream.marketdata.repository import MarketReader
from deltastream.settings import Settings
from deltastream.storage import Record

# How long a resolved "nearest expiry" is reused; the calendar only rolls at a session close.
NEAREST_EXPIRY_TTL_S = 5.0


def is_live_expiry(product: str, expiry: str, now: datetime) -> bool:
    """True while ``expiry`` has not settled at ``now`` (its session close is later)."""
    try:
        return expiry_instant(get_product(product), expiry) > now
    except ValueError:  # not a calendar date: cannot be live
        return False


class MarketData:
    """Reads over the enrichment context's tables and the pipeline's ``latest:*`` cache keys."""

    def __init__(self, reader: MarketReader, cache: Cache, settings: Settings) -> None:
        self.reader = reader
        self.cache = cache
        self.settings = settings

    def products(self) -> dict[str, Any]:
        return {"products": [spec.name for spec in configured_products(self.settings)]}

    async def list_ticks(self, product: str, window: TimeRange, limit: int) -> dict[str, Any]:
        ticks = await self.reader.list_ticks(product, window.start, window.end, limit)
        return {"product": product, "count": len(ticks), "ticks": ticks}

    async def require_known_expiry(self, product: str, expiry: str | None) -> None:
        """404 (with the known expiries) when ``expiry`` is given but nothing is stored for it, so
        every route that takes ``expiry`` answers an unknown one the same way."""
        if expiry is None:
            return
        known = await self.reader.list_expiries(product)
        if expiry not in known:
            raise NotFoundError(
                f"No data for {product} expiry {expiry}",
                details={"product": product, "expiry": expiry, "known_expiries": known},
            )

    async def latest_tick(self, product: str) -> Record | None:
        """The newest enriched tick (``enriched:underlying`` payload): cached, else the stored one."""
        cached = await self.cache.get(keys.latest_underlying(product))
        if isinstance(cached, dict):
            return cached
        ticks = await self.reader.list_ticks(product, None, None, 1)
        return ticks[0] if ticks else None

    async def list_chains(
        self, product: str, expiry: str | None, window: TimeRange, limit: int
    ) -> dict[str, Any]:
        await self.require_known_expiry(product, expiry)
        chains = await self.reader.list_chains(product, expiry, window.start, window.end, limit)
        return {"product": product, "count": len(chains), "chains": chains}

    async def list_expiries(self, product: str) -> dict[str, Any]:
        return {"product": product, "expiries": await self.reader.list_expiries(product)}

    async def list_candles(
        self, product: str, window_minutes: int, window: TimeRange, limit: int
    ) -> dict[str, Any]:
        candles = await self.reader.list_candles(product, window_minutes, window.start, window.end, limit)
        current = await self.cache.get(keys.ohlc(product, window_minutes))
        return {
            "product": product,
            "window_minutes": window_minutes,
            "count": len(candles),
            "candles": candles,
            "current": current if isinstance(current, dict) else None,
        }

    async def chain_summaries(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        """Scalar fields of stored chains, newest first (see ``MarketReader.list_chain_summaries``)."""
        return await self.reader.list_chain_summaries(product, expiry, start, end, limit)

    async def latest_surface(self, product: str) -> Record | None:
        """The newest volatility surface: the pipeline's cached one, else the stored one."""
        surface = await self.cache.get(keys.surface(product))
        if isinstance(surface, dict):
            return surface
        return await self.reader.latest_surface(product)

    async def live_expiries(self, product: str) -> list[str]:
        """Expiries with data that have not settled, ascending.

        The pipeline's live-expiry list is tried first, then storage. When every stored expiry has
        settled (a replayed old session), the most recent stored one is returned alone. Empty when
        nothing is stored for ``product``.
        """
        now = utcnow()
        live_doc = await self.cache.get(keys.live_expiries(product))
        if isinstance(live_doc, dict) and isinstance(live_doc.get("expiries"), list):
            live = sorted(e for e in map(str, live_doc["expiries"]) if is_live_expiry(product, e, now))
            if live:
                return live
        stored = await self.reader.list_expiries(product)
        live = [e for e in stored if is_live_expiry(product, e, now)]
        if live:
            return live
        return [max(stored)] if stored else []

    async def nearest_expiry(self, product: str) -> str:
        """The earliest live expiry with data (see :meth:`live_expiries`); 404 when there is no chain."""
        memo_key = f"api:nearest_expiry:{product}"
        memo = await self.cache.get(memo_key)
        if isinstance(memo, str):
            return memo
        expiries = await self.live_expiries(product)
        if not expiries:
            raise NotFoundError(f"No option chain stored for {product} yet", details={"product": product})
        await self.cache.set(memo_key, expiries[0], ttl=NEAREST_EXPIRY_TTL_S)
        return expiries[0]

    async def latest_chain_bytes(self, product: str, expiry: str | None) -> tuple[str, bytes]:
        """``(expiry, JSON bytes)`` of the newest enriched chain, exactly as cached (no re-encoding).

        On a cache miss the chain is read from storage and written back to the cache (TTL
        ``cache_ttl``), so the next request is served from memory.
        """
        expiry = expiry or await self.nearest_expiry(product)
        key = keys.latest_chain(product, expiry)
        data = await self.cache.get_raw(key)
        if data is None:
            chain = await self.reader.latest_chain(product, expiry)
            if chain is None:
                raise NotFoundError(
                    f"No option chain for {product} expiry {expiry}",
                    details={"product": product, "expiry": expiry},
                )
            data = await self.cache.set(key, chain, ttl=self.settings.cache_ttl)
        return expiry, data

    async def latest_chain(self, product: str, expiry: str | None) -> Record:
        """The newest enriched chain as a dict (datetimes may be ISO strings when it came from the cache)."""
        expiry = expiry or await self.nearest_expiry(product)
        cached = await self.cache.get(keys.latest_chain(product, expiry))
        if isinstance(cached, dict):
            return cached
        chain = await self.reader.latest_chain(product, expiry)
        if chain is None:
            raise NotFoundError(
                f"No option chain for {product} expiry {expiry}",
                details={"product": product, "expiry": expiry},
            )
        await self.cache.set(keys.latest_chain(product, expiry), chain, ttl=self.settings.cache_ttl)
        return chain
