"""Users and revoked tokens on MongoDB (the ``users`` and ``revoked_tokens`` collections, auth's)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from deltastream.core.clock import utcnow
from deltastream.core.errors import ConflictError
from deltastream.storage.mongo.base import Document, MongoBase, object_id, to_ms
from deltastream.storage.protocol import Record


def _user(doc: Document) -> Record:
    return {
        "id": str(doc["_id"]),
        "email": doc["email"],
        "name": doc["name"],
        "password_hash": doc["password_hash"],
        "created_at": doc["created_at"],
        "is_admin": bool(doc.get("is_admin", False)),
        "token_version": int(doc.get("token_version", 0)),
    }


class MongoUserStore(MongoBase):
    async def create_user(self, email: str, password_hash: str, name: str) -> Record:
        email = email.strip()
        doc: Document = {
            "email": email,
            "email_lower": email.lower(),
            "name": name,
            "password_hash": password_hash,
            "created_at": to_ms(utcnow()),
            "is_admin": False,
            "token_version": 0,
        }
        try:
            result = await self.db.users.insert_one(doc)
        except DuplicateKeyError as exc:
            raise ConflictError("An account with this e-mail address already exists.") from exc
        return _user({**doc, "_id": result.inserted_id})

    async def set_admin(self, email: str, is_admin: bool) -> Record | None:
        return await self._update(email, {"$set": {"is_admin": is_admin}, "$inc": {"token_version": 1}})

    async def bump_token_version(self, email: str) -> Record | None:
        return await self._update(email, {"$inc": {"token_version": 1}})

    async def _update(self, email: str, change: Document) -> Record | None:
        doc = await self.db.users.find_one_and_update(
            {"email_lower": email.strip().lower()}, change, return_document=ReturnDocument.AFTER
        )
        return _user(doc) if doc else None

    async def delete_user(self, email: str) -> bool:
        result = await self.db.users.delete_one({"email_lower": email.strip().lower()})
        return result.deleted_count > 0

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
