"""What enrichment stores: ``MarketWriter``.

Enrichment owns the market tables (``underlying_ticks``, ``option_chains``, ``ohlc``,
``volatility_surfaces``): it is their only writer. The marketdata context reads them through its
own ``MarketReader``. The storage backends implement this protocol structurally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from deltastream.storage import RecordLike


class MarketWriter(Protocol):
    async def upsert_tick(self, tick: RecordLike) -> bool:
        """Store ``{product, price, timestamp, tick_id?, volume?, change?, change_pct?, ...}``.
        Key (product, timestamp); True when the key was new (a redelivery is a no-op)."""

    async def upsert_chain(self, chain: RecordLike, *, data: bytes | None = None) -> bool:
        """Store a whole enriched chain, key (product, expiry, timestamp).

        ``data``, when given, must be ``jsonx.dumps(chain)``: a caller that already encoded the
        chain (to cache it too) passes the bytes so a backend storing JSON need not encode again.
        Backends that store documents ignore it.
        """

    async def upsert_candle(self, candle: RecordLike) -> bool:
        """Key (product, window_minutes, start_time); the last write wins (a candle grows)."""

    async def upsert_surface(self, surface: RecordLike) -> bool:
        """Key (product, timestamp); the last write wins."""

    async def previous_chain(self, product: str, expiry: str, before: datetime) -> dict[str, Any] | None:
        """The newest stored chain of (product, expiry) strictly older than ``before``."""

    async def latest_chain(self, product: str, expiry: str) -> dict[str, Any] | None: ...

    async def list_expiries(self, product: str, since: datetime | None = None) -> list[str]:
        """Distinct expiries with at least one stored chain (optionally newer than ``since``), ascending."""
