"""Market data on MongoDB: upserts on the idempotency keys, newest-first range queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from deltastream.storage.codec import SUMMARY_FIELDS, finite_or_none, required
from deltastream.storage.mongo.base import Document, MongoBase, time_range, to_document, to_ms
from deltastream.storage.protocol import Record, RecordLike

_DUPLICATE_KEY = 11000
_SUMMARY_PROJECTION: Document = {"_id": 0, "product": 1, "expiry": 1, "timestamp": 1} | {
    field: 1 for field in SUMMARY_FIELDS
}


def _tick_key(doc: Document) -> Document:
    return {"product": required(doc, "product"), "timestamp": required(doc, "timestamp")}


def _chain_key(doc: Document) -> Document:
    return {
        "product": required(doc, "product"),
        "expiry": required(doc, "expiry"),
        "timestamp": required(doc, "timestamp"),
    }


class MongoMarketStore(MongoBase):
    async def _insert_if_absent(self, collection: str, key: Document, doc: Document) -> bool:
        try:
            result = await self.db[collection].update_one(key, {"$setOnInsert": doc}, upsert=True)
        except DuplicateKeyError:  # a concurrent writer inserted the same key first
            return False
        return result.upserted_id is not None

    async def _replace(self, collection: str, key: Document, doc: Document) -> bool:
        # replace_one rather than $set: last write wins for the whole document (and nx-27017
        # stores a top-level datetime written by $set on an existing document as a string).
        try:
            result = await self.db[collection].replace_one(key, doc, upsert=True)
        except DuplicateKeyError:
            await self.db[collection].replace_one(key, doc)
            return False
        return result.upserted_id is not None

    async def upsert_tick(self, tick: RecordLike) -> bool:
        doc = to_document(tick)
        return await self._insert_if_absent("underlying_ticks", _tick_key(doc), doc)

    async def list_ticks(
        self, product: str, start: datetime | None = None, end: datetime | None = None, limit: int = 100
    ) -> list[Record]:
        query = {"product": product, **time_range("timestamp", start, end)}
        return await self._find("underlying_ticks", query, "timestamp", limit)

    async def upsert_chain(self, chain: RecordLike, *, data: bytes | None = None) -> bool:
        # Stored as a BSON document, so pre-encoded JSON (``data``) is of no use here.
        doc = to_document(chain)
        return await self._insert_if_absent("option_chains", _chain_key(doc), doc)

    async def list_chains(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 10,
    ) -> list[Record]:
        return await self._find(
            "option_chains", _chain_query(product, expiry, start, end), "timestamp", limit
        )

    async def latest_chain(self, product: str, expiry: str) -> Record | None:
        rows = await self.list_chains(product, expiry, limit=1)
        return rows[0] if rows else None

    async def previous_chain(self, product: str, expiry: str, before: datetime) -> Record | None:
        query = {"product": product, "expiry": expiry, "timestamp": {"$lt": to_ms(before)}}
        rows = await self._find("option_chains", query, "timestamp", 1)
        return rows[0] if rows else None

    async def list_chain_summaries(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        query = _chain_query(product, expiry, start, end)
        docs = await self._find("option_chains", query, "timestamp", limit, _SUMMARY_PROJECTION)
        return [
            {"product": doc["product"], "expiry": doc["expiry"], "timestamp": doc["timestamp"]}
            | {field: finite_or_none(doc.get(field)) for field in SUMMARY_FIELDS}
            for doc in docs
        ]

    async def list_expiries(self, product: str, since: datetime | None = None) -> list[str]:
        query: Document = {"product": product}
        if since is not None:
            query["timestamp"] = {"$gte": to_ms(since)}
        return sorted(str(expiry) for expiry in await self.db.option_chains.distinct("expiry", query))

    async def upsert_candle(self, candle: RecordLike) -> bool:
        doc = to_document(candle)
        doc["window_minutes"] = int(required(doc, "window_minutes"))
        key = {
            "product": required(doc, "product"),
            "window_minutes": doc["window_minutes"],
            "start_time": required(doc, "start_time"),
        }
        return await self._replace("ohlc", key, doc)

    async def list_candles(
        self,
        product: str,
        window_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        query = {
            "product": product,
            "window_minutes": int(window_minutes),
            **time_range("start_time", start, end),
        }
        return await self._find("ohlc", query, "start_time", limit)

    async def upsert_surface(self, surface: RecordLike) -> bool:
        doc = to_document(surface)
        key = {"product": required(doc, "product"), "timestamp": required(doc, "timestamp")}
        return await self._replace("volatility_surfaces", key, doc)

    async def latest_surface(self, product: str) -> Record | None:
        rows = await self._find("volatility_surfaces", {"product": product}, "timestamp", 1)
        return rows[0] if rows else None


def _chain_query(product: str, expiry: str | None, start: datetime | None, end: datetime | None) -> Document:
    query: dict[str, Any] = {"product": product}
    if expiry is not None:
        query["expiry"] = expiry
    query.update(time_range("timestamp", start, end))
    return query
