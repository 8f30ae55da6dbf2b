"""Users and revoked tokens on SQLite (the ``users`` and ``revoked_tokens`` tables, auth's)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite

from deltastream.core.clock import utcnow
from deltastream.core.errors import ConflictError
from deltastream.storage.codec import from_us, to_us
from deltastream.storage.protocol import Record
from deltastream.storage.sqlite.base import SQLiteBase, each_handler, int_id, keyed_handler
from deltastream.storage.sqlite.upsert import KeyedTable
from deltastream.storage.sqlite.writer import BatchHandler

REVOKED = KeyedTable("revoked_tokens", ("jti", "expires_ts"), key_len=1, replace=False)

_USER_COLUMNS = "id, email, name, password_hash, created_ts, is_admin, token_version"


def _user(row: Any) -> Record:
    return {
        "id": str(row[0]),
        "email": row[1],
        "name": row[2],
        "password_hash": row[3],
        "created_at": from_us(row[4]),
        "is_admin": bool(row[5]),
        "token_version": int(row[6]),
    }


async def _create_user(conn: aiosqlite.Connection, row: tuple[Any, ...]) -> int:
    try:
        cursor = await conn.execute(
            "INSERT INTO users (email, email_lower, name, password_hash, created_ts) VALUES (?, ?, ?, ?, ?)",
            row,
        )
    except sqlite3.IntegrityError as exc:
        raise ConflictError("An account with this e-mail address already exists.") from exc
    return int(cursor.lastrowid or 0)


async def _update_user(conn: aiosqlite.Connection, op: tuple[str, tuple[Any, ...]]) -> int:
    """``op`` is ``(what, params)``: set_admin ``(flag, email)``, bump ``(email,)``, delete ``(email,)``."""
    what, params = op
    sql = {
        "set_admin": "UPDATE users SET is_admin = ?, token_version = token_version + 1 WHERE email_lower = ?",
        "bump": "UPDATE users SET token_version = token_version + 1 WHERE email_lower = ?",
        "delete": "DELETE FROM users WHERE email_lower = ?",
    }[what]
    cursor = await conn.execute(sql, params)
    return int(cursor.rowcount or 0)


USER_HANDLERS: dict[str, BatchHandler] = {
    "create_user": each_handler(_create_user),
    "update_user": each_handler(_update_user),
    "revoke": keyed_handler(REVOKED),
}


class SQLiteUserStore(SQLiteBase):
    async def create_user(self, email: str, password_hash: str, name: str) -> Record:
        created = utcnow()
        email = email.strip()
        row = (email, email.lower(), name, password_hash, to_us(created))
        user_id: int = await self._write("create_user", row)
        return {
            "id": str(user_id),
            "email": email,
            "name": name,
            "password_hash": password_hash,
            "created_at": from_us(to_us(created)),
            "is_admin": False,
            "token_version": 0,
        }

    async def set_admin(self, email: str, is_admin: bool) -> Record | None:
        email = email.strip().lower()
        if not await self._write("update_user", ("set_admin", (int(is_admin), email))):
            return None
        return await self.get_user_by_email(email)

    async def bump_token_version(self, email: str) -> Record | None:
        email = email.strip().lower()
        if not await self._write("update_user", ("bump", (email,))):
            return None
        return await self.get_user_by_email(email)

    async def delete_user(self, email: str) -> bool:
        return bool(await self._write("update_user", ("delete", (email.strip().lower(),))))

    async def get_user_by_email(self, email: str) -> Record | None:
        rows = list(
            await self._fetch(
                f"SELECT {_USER_COLUMNS} FROM users WHERE email_lower = ?", (email.strip().lower(),)
            )
        )
        return _user(rows[0]) if rows else None

    async def get_user(self, user_id: str) -> Record | None:
        row_id = int_id(user_id)
        if row_id is None:
            return None
        rows = list(await self._fetch(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (row_id,)))
        return _user(rows[0]) if rows else None

    async def revoke_token(self, jti: str, expires_at: datetime) -> bool:
        flags: list[bool] = await self._write("revoke", [(jti, to_us(expires_at))])
        return flags[0]
