"""What marketdata reads from storage: ``MarketReader``.

The tables (``underlying_ticks``, ``option_chains``, ``ohlc``, ``volatility_surfaces``) belong to
the enrichment context, which writes them (``enrichment.repository.MarketWriter``); this context
only reads them. The storage backends implement this protocol structurally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from deltastream.storage import Record


class MarketReader(Protocol):
    async def list_ticks(
        self, product: str, start: datetime | None = None, end: datetime | None = None, limit: int = 100
    ) -> list[Record]: ...

    async def list_chains(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 10,
    ) -> list[Record]: ...

    async def latest_chain(self, product: str, expiry: str) -> Record | None: ...

    async def list_expiries(self, product: str, since: datetime | None = None) -> list[str]:
        """Distinct expiries with at least one stored chain (optionally newer than ``since``), ascending."""

    async def list_candles(
        self,
        product: str,
        window_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        """Newest ``start_time`` first; the range filters on ``start_time``."""

    async def list_chain_summaries(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        """Scalar fields only, for history endpoints: ``product, expiry, timestamp, spot_price,
        pcr_oi, pcr_volume, atm_strike, atm_iv, atm_straddle_price, max_pain_strike``."""

    async def latest_surface(self, product: str) -> Record | None: ...
