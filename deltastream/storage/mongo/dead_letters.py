"""Dead letters on MongoDB (the ``dead_letters`` collection, the deadletters context's)."""

from __future__ import annotations

from datetime import datetime

from deltastream.core.clock import utcnow
from deltastream.storage.codec import required
from deltastream.storage.mongo.base import Document, MongoBase, object_id, to_document, to_ms
from deltastream.storage.protocol import Record

# Null or missing. Spelled with $eq because nx-27017 miscounts {"field": None} in count_documents.
_NOT_REPLAYED: Document = {"$eq": None}


def _dead_letter(doc: Document) -> Record:
    record = dict(doc)
    record["id"] = str(record.pop("_id"))
    record.setdefault("replayed_at", None)
    return record


class MongoDeadLetterStore(MongoBase):
    async def add_dead_letter(self, record: Record) -> str:
        doc = to_document({**record, "timestamp": record.get("timestamp") or utcnow()})
        required(doc, "source")
        doc["replayed_at"] = None
        result = await self.db.dead_letters.insert_one(doc)
        return str(result.inserted_id)

    async def list_dead_letters(
        self, source: str | None = None, include_replayed: bool = False, limit: int = 100
    ) -> list[Record]:
        query: Document = {}
        if source is not None:
            query["source"] = source
        if not include_replayed:
            query["replayed_at"] = _NOT_REPLAYED
        cursor = self.db.dead_letters.find(query).sort([("timestamp", -1), ("_id", -1)]).limit(limit)
        return [_dead_letter(doc) async for doc in cursor]

    async def get_dead_letter(self, dead_letter_id: str) -> Record | None:
        oid = object_id(dead_letter_id)
        doc = None if oid is None else await self.db.dead_letters.find_one({"_id": oid})
        return _dead_letter(doc) if doc else None

    async def mark_dead_letter_replayed(self, dead_letter_id: str, at: datetime) -> bool:
        oid = object_id(dead_letter_id)
        if oid is None:
            return False
        doc = await self.db.dead_letters.find_one({"_id": oid})
        if doc is None:
            return False
        # A whole-document replace, not $set: see MongoMarketStore._replace about nx-27017.
        doc["replayed_at"] = to_ms(at)
        result = await self.db.dead_letters.replace_one({"_id": oid}, doc)
        return result.matched_count > 0
