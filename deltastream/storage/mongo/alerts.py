"""Alert rules and fired-alert history on MongoDB (the ``alerts`` and ``alert_history``
collections, the alerts context's)."""

from __future__ import annotations

from deltastream.core.clock import utcnow
from deltastream.storage.codec import required
from deltastream.storage.mongo.base import Document, MongoBase, object_id, to_document
from deltastream.storage.protocol import Record


def _record(doc: Document) -> Record:
    record = dict(doc)
    record["id"] = str(record.pop("_id"))
    return record


class MongoAlertStore(MongoBase):
    async def create_alert_rule(self, record: Record) -> str:
        doc = to_document({**record, "created_at": record.get("created_at") or utcnow()})
        doc.pop("id", None)
        required(doc, "user_id")
        result = await self.db.alerts.insert_one(doc)
        return str(result.inserted_id)

    async def get_alert_rule(self, rule_id: str) -> Record | None:
        oid = object_id(rule_id)
        doc = None if oid is None else await self.db.alerts.find_one({"_id": oid})
        return _record(doc) if doc else None

    async def list_alert_rules(self, user_id: str | None = None) -> list[Record]:
        query: Document = {} if user_id is None else {"user_id": user_id}
        return [_record(doc) async for doc in self.db.alerts.find(query).sort([("_id", 1)])]

    async def replace_alert_rule(self, rule_id: str, record: Record) -> bool:
        oid = object_id(rule_id)
        if oid is None:
            return False
        doc = to_document(record)
        doc.pop("id", None)
        result = await self.db.alerts.replace_one({"_id": oid}, doc)
        return result.matched_count > 0

    async def delete_alert_rule(self, rule_id: str) -> bool:
        oid = object_id(rule_id)
        if oid is None:
            return False
        result = await self.db.alerts.delete_one({"_id": oid})
        return result.deleted_count > 0

    async def add_alert_event(self, record: Record) -> str:
        doc = to_document({**record, "timestamp": record.get("timestamp") or utcnow()})
        required(doc, "user_id")
        required(doc, "rule_id")
        result = await self.db.alert_history.insert_one(doc)
        return str(result.inserted_id)

    async def list_alert_events(
        self, user_id: str, before: str | None = None, limit: int = 50
    ) -> list[Record]:
        query: Document = {"user_id": user_id}
        if before is not None:
            oid = object_id(before)
            if oid is None:
                return []
            query["_id"] = {"$lt": oid}
        cursor = self.db.alert_history.find(query).sort([("_id", -1)]).limit(limit)
        return [_record(doc) async for doc in cursor]
