"""Users, revoked tokens, dead letters, logs and alert rules on MongoDB (ids are ObjectId hex)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from deltastream.core.clock import utcnow
from deltastream.core.errors import ConflictError
from deltastream.storage.codec import normalize_level, required
from deltastream.storage.mongo.base import Document, MongoBase, object_id, time_range, to_document, to_ms
from deltastream.storage.protocol import Record

# Null or missing. Spelled with $eq because nx-27017 miscounts {"field": None} in count_documents.
_NOT_REPLAYED: Document = {"$eq": None}


def _user(doc: Document) -> Record:
    return {
        "id": str(doc["_id"]),
        "email": doc["email"],
        "name": doc["name"],
        "password_hash": doc["password_hash"],
        "created_at": doc["created_at"],
        "is_admin": bool(doc.get("is_admin", False)),
    }


def _with_id(doc: Document) -> Record:
    record = dict(doc)
    record["id"] = str(record.pop("_id"))
    return record


def _dead_letter(doc: Document) -> Record:
    record = _with_id(doc)
    record.setdefault("replayed_at", None)
    return record


class MongoAccountStore(MongoBase):
    async def create_user(self, email: str, password_hash: str, name: str) -> Record:
        email = email.strip()
        doc: Document = {
            "email": email,
            "email_lower": email.lower(),
            "name": name,
            "password_hash": password_hash,
            "created_at": to_ms(utcnow()),
            "is_admin": False,
        }
        try:
            result = await self.db.users.insert_one(doc)
        except DuplicateKeyError as exc:
            raise ConflictError("An account with this e-mail address already exists.") from exc
        return _user({**doc, "_id": result.inserted_id})

    async def get_user_by_email(self, email: str) -> Record | None:
        doc = await self.db.users.find_one({"email_lower": email.strip().lower()})
        return _user(doc) if doc else None

    async def get_user(self, user_id: str) -> Record | None:
        oid = object_id(user_id)
        doc = None if oid is None else await self.db.users.find_one({"_id": oid})
        return _user(doc) if doc else None

    async def revoke_token(self, jti: str, expires_at: datetime) -> bool:
        try:
            result = await self.db.revoked_tokens.update_one(
                {"jti": jti}, {"$setOnInsert": {"jti": jti, "expires_at": to_ms(expires_at)}}, upsert=True
            )
        except DuplicateKeyError:
            return False
        return result.upserted_id is not None

    async def is_token_revoked(self, jti: str) -> bool:
        return await self.db.revoked_tokens.find_one({"jti": jti}, {"_id": 1}) is not None

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

    async def count_dead_letters(self) -> int:
        return int(await self.db.dead_letters.count_documents({"replayed_at": _NOT_REPLAYED}))

    async def insert_logs(self, records: list[Record]) -> int:
        if not records:
            return 0
        docs = []
        for record in records:
            doc = to_document({**record, "timestamp": record.get("timestamp") or utcnow()})
            required(doc, "service")
            doc["level"] = normalize_level(str(required(doc, "level")))
            doc["message"] = str(doc.get("message") or "")
            docs.append(doc)
        result = await self.db.logs.insert_many(docs, ordered=False)
        return len(result.inserted_ids)

    async def query_logs(
        self,
        service: str,
        level: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        q: str | None = None,
        limit: int = 100,
    ) -> list[Record]:
        query: dict[str, Any] = {"service": service, **time_range("timestamp", start, end)}
        if level is not None:
            query["level"] = normalize_level(level)
        if q:
            # Escaped, so the user's text is matched literally and cannot inject a pattern.
            query["message"] = {"$regex": re.escape(q), "$options": "i"}
        cursor = self.db.logs.find(query, {"_id": 0}).sort([("timestamp", -1), ("_id", -1)]).limit(limit)
        return [doc async for doc in cursor]

    async def create_alert(self, rule: Record) -> Record:
        doc = to_document(
            {
                **rule,
                "user_id": str(required(rule, "user_id")),
                "created_at": rule.get("created_at") or utcnow(),
            }
        )
        result = await self.db.alerts.insert_one(doc)
        return _with_id({**doc, "_id": result.inserted_id})

    async def list_alerts(self, user_id: str | None = None) -> list[Record]:
        query: Document = {} if user_id is None else {"user_id": str(user_id)}
        return [_with_id(doc) async for doc in self.db.alerts.find(query).sort([("_id", 1)])]

    async def delete_alert(self, user_id: str, alert_id: str) -> bool:
        oid = object_id(alert_id)
        if oid is None:
            return False
        result = await self.db.alerts.delete_one({"_id": oid, "user_id": str(user_id)})
        return result.deleted_count > 0
