"""Market data on SQLite: ticks, enriched chains (JSON + summary columns), candles, surfaces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deltastream.storage.codec import (
    SUMMARY_FIELDS,
    chain_summary,
    decode,
    encode,
    from_us,
    required,
    to_us,
)
from deltastream.storage.protocol import Record, RecordLike
from deltastream.storage.sqlite.base import SQLiteBase, keyed_handler, where_range
from deltastream.storage.sqlite.upsert import KeyedTable, Row
from deltastream.storage.sqlite.writer import BatchHandler

TICKS = KeyedTable("underlying_ticks", ("product", "ts", "data"), key_len=2, replace=False)
CHAINS = KeyedTable(
    "option_chains", ("product", "expiry", "ts", *SUMMARY_FIELDS, "data"), key_len=3, replace=False
)
CANDLES = KeyedTable("ohlc", ("product", "window_minutes", "start_ts", "data"), key_len=3, replace=True)
SURFACES = KeyedTable("volatility_surfaces", ("product", "ts", "data"), key_len=2, replace=True)

MARKET_HANDLERS: dict[str, BatchHandler] = {
    "ticks": keyed_handler(TICKS),
    "chains": keyed_handler(CHAINS),
    "candles": keyed_handler(CANDLES),
    "surfaces": keyed_handler(SURFACES),
}

_SUMMARY_COLUMNS = ", ".join(("product", "expiry", "ts", *SUMMARY_FIELDS))

# Loose index scan over (product, expiry, ts): one index seek per distinct expiry, not per row.
_EXPIRIES_SQL = """
WITH RECURSIVE e(expiry) AS (
    SELECT (SELECT MIN(expiry) FROM option_chains WHERE product = :product)
    UNION ALL
    SELECT (SELECT MIN(expiry) FROM option_chains WHERE product = :product AND expiry > e.expiry)
    FROM e WHERE e.expiry IS NOT NULL
)
SELECT expiry FROM e
WHERE expiry IS NOT NULL
  AND (:since IS NULL OR EXISTS (
      SELECT 1 FROM option_chains c WHERE c.product = :product AND c.expiry = e.expiry AND c.ts >= :since))
"""


def _tick_row(tick: RecordLike) -> Row:
    return (required(tick, "product"), to_us(required(tick, "timestamp")), encode(tick))


def _chain_row(chain: RecordLike, data: bytes | None = None) -> Row:
    return (
        required(chain, "product"),
        required(chain, "expiry"),
        to_us(required(chain, "timestamp")),
        *chain_summary(chain),
        encode(chain) if data is None else data,
    )


class SQLiteMarketStore(SQLiteBase):
    async def _select_docs(
        self,
        table: str,
        filters: dict[str, Any],
        time_column: str,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        before: datetime | None = None,
    ) -> list[Record]:
        clauses = [f"{column} = ?" for column in filters]
        params: list[Any] = list(filters.values())
        where_range(clauses, params, time_column, start, end)
        if before is not None:
            clauses.append(f"{time_column} < ?")
            params.append(to_us(before))
        params.append(limit)
        sql = f"SELECT data FROM {table} WHERE {' AND '.join(clauses)} ORDER BY {time_column} DESC LIMIT ?"
        return [decode(row[0]) for row in await self._fetch(sql, params)]

    async def upsert_tick(self, tick: RecordLike) -> bool:
        flags: list[bool] = await self._write("ticks", [_tick_row(tick)])
        return flags[0]

    async def list_ticks(
        self, product: str, start: datetime | None = None, end: datetime | None = None, limit: int = 100
    ) -> list[Record]:
        return await self._select_docs("underlying_ticks", {"product": product}, "ts", start, end, limit)

    async def upsert_chain(self, chain: RecordLike, *, data: bytes | None = None) -> bool:
        flags: list[bool] = await self._write("chains", [_chain_row(chain, data)])
        return flags[0]

    async def list_chains(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 10,
    ) -> list[Record]:
        filters: dict[str, Any] = {"product": product}
        if expiry is not None:
            filters["expiry"] = expiry
        return await self._select_docs("option_chains", filters, "ts", start, end, limit)

    async def latest_chain(self, product: str, expiry: str) -> Record | None:
        rows = await self.list_chains(product, expiry, limit=1)
        return rows[0] if rows else None

    async def previous_chain(self, product: str, expiry: str, before: datetime) -> Record | None:
        rows = await self._select_docs(
            "option_chains", {"product": product, "expiry": expiry}, "ts", None, None, 1, before=before
        )
        return rows[0] if rows else None

    async def list_chain_summaries(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        clauses = ["product = ?"]
        params: list[Any] = [product]
        if expiry is not None:
            clauses.append("expiry = ?")
            params.append(expiry)
        where_range(clauses, params, "ts", start, end)
        params.append(limit)
        sql = (
            f"SELECT {_SUMMARY_COLUMNS} FROM option_chains WHERE {' AND '.join(clauses)} "
            "ORDER BY ts DESC LIMIT ?"
        )
        out: list[Record] = []
        for row in await self._fetch(sql, params):
            summary: Record = {"product": row[0], "expiry": row[1], "timestamp": from_us(row[2])}
            summary.update(zip(SUMMARY_FIELDS, row[3:], strict=True))
            out.append(summary)
        return out

    async def list_expiries(self, product: str, since: datetime | None = None) -> list[str]:
        params = {"product": product, "since": None if since is None else to_us(since)}
        return [str(row[0]) for row in await self._fetch(_EXPIRIES_SQL, params)]

    async def upsert_candle(self, candle: RecordLike) -> bool:
        row = (
            required(candle, "product"),
            int(required(candle, "window_minutes")),
            to_us(required(candle, "start_time")),
            encode(candle),
        )
        flags: list[bool] = await self._write("candles", [row])
        return flags[0]

    async def list_candles(
        self,
        product: str,
        window_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        filters = {"product": product, "window_minutes": int(window_minutes)}
        return await self._select_docs("ohlc", filters, "start_ts", start, end, limit)

    async def upsert_surface(self, surface: RecordLike) -> bool:
        row = (required(surface, "product"), to_us(required(surface, "timestamp")), encode(surface))
        flags: list[bool] = await self._write("surfaces", [row])
        return flags[0]

    async def latest_surface(self, product: str) -> Record | None:
        rows = await self._select_docs("volatility_surfaces", {"product": product}, "ts", None, None, 1)
        return rows[0] if rows else None
