"""What the MongoDB repository parts share: the database handle and document conversion.

BSON dates have millisecond precision, so every datetime is truncated to the millisecond on the
way in, in documents and in query bounds alike: keys stay consistent (the same timestamp always
maps to the same key) and ``previous_chain(before=t)`` never returns the chain stored at ``t``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.asynchronous.database import AsyncDatabase

from deltastream.storage.codec import DATETIME_FIELDS, normalize, to_utc
from deltastream.storage.protocol import RecordLike

Document = dict[str, Any]


def to_ms(value: datetime | str) -> datetime:
    """An aware UTC datetime truncated to what a BSON date can hold."""
    ts = to_utc(value)
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


def to_document(record: RecordLike) -> Document:
    """The stored form: the JSON-normalised record with its top-level datetimes as BSON dates."""
    doc = normalize(record)
    doc.pop("_id", None)
    for key in DATETIME_FIELDS.intersection(doc):
        if isinstance(doc[key], datetime):
            doc[key] = to_ms(doc[key])
    return doc


def object_id(value: str) -> ObjectId | None:
    """The ObjectId an exposed id names, or None when it is not one (so it matches nothing)."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def time_range(field: str, start: datetime | None, end: datetime | None) -> Document:
    """A filter fragment for the inclusive ``start <= field <= end`` bounds that are given."""
    bounds: Document = {}
    if start is not None:
        bounds["$gte"] = to_ms(start)
    if end is not None:
        bounds["$lte"] = to_ms(end)
    return {field: bounds} if bounds else {}


class MongoBase:
    """State set by ``MongoRepository.start()``."""

    _db: AsyncDatabase[Document] | None = None

    @property
    def db(self) -> AsyncDatabase[Document]:
        if self._db is None:
            raise RuntimeError("MongoRepository is not started")
        return self._db

    async def _find(
        self,
        collection: str,
        query: Document,
        sort_field: str,
        limit: int,
        projection: Document | None = None,
    ) -> list[Document]:
        cursor = (
            self.db[collection].find(query, projection or {"_id": 0}).sort([(sort_field, -1)]).limit(limit)
        )
        return [doc async for doc in cursor]
