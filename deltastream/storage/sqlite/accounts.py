"""Users, revoked tokens, dead letters, logs and alert rules on SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite

from deltastream.core.clock import utcnow
from deltastream.core.errors import ConflictError
from deltastream.storage.codec import decode, encode, from_us, normalize_level, required, to_us
from deltastream.storage.protocol import Record
from deltastream.storage.sqlite.base import SQLiteBase, each_handler, keyed_handler, where_range
from deltastream.storage.sqlite.upsert import KeyedTable
from deltastream.storage.sqlite.writer import BatchHandler

REVOKED = KeyedTable("revoked_tokens", ("jti", "expires_ts"), key_len=1, replace=False)

_USER_COLUMNS = "id, email, name, password_hash, created_ts, is_admin"
_DEAD_LETTER_COLUMNS = "id, replayed_ts, data"


def _int_id(value: str) -> int | None:
    """Row ids are exposed as decimal strings; anything else names no row."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _user(row: Any) -> Record:
    return {
        "id": str(row[0]),
        "email": row[1],
        "name": row[2],
        "password_hash": row[3],
        "created_at": from_us(row[4]),
        "is_admin": bool(row[5]),
    }


def _dead_letter(row: Any) -> Record:
    record = decode(row[2])
    record["id"] = str(row[0])
    record["replayed_at"] = None if row[1] is None else from_us(row[1])
    return record


async def _create_user(conn: aiosqlite.Connection, row: tuple[Any, ...]) -> int:
    try:
        cursor = await conn.execute(
            "INSERT INTO users (email, email_lower, name, password_hash, created_ts) VALUES (?, ?, ?, ?, ?)",
            row,
        )
    except sqlite3.IntegrityError as exc:
        raise ConflictError("An account with this e-mail address already exists.") from exc
    return int(cursor.lastrowid or 0)


async def _insert_returning_id(conn: aiosqlite.Connection, arg: tuple[str, tuple[Any, ...]]) -> int:
    sql, params = arg
    cursor = await conn.execute(sql, params)
    return int(cursor.lastrowid or 0)


async def _execute_rowcount(conn: aiosqlite.Connection, arg: tuple[str, tuple[Any, ...]]) -> int:
    sql, params = arg
    cursor = await conn.execute(sql, params)
    return int(cursor.rowcount)


async def _insert_logs(conn: aiosqlite.Connection, rows: list[tuple[Any, ...]]) -> int:
    cursor = await conn.executemany(
        "INSERT INTO logs (service, level, ts, message, data) VALUES (?, ?, ?, ?, ?)", rows
    )
    return int(cursor.rowcount)


ACCOUNT_HANDLERS: dict[str, BatchHandler] = {
    "create_user": each_handler(_create_user),
    "revoke": keyed_handler(REVOKED),
    "insert": each_handler(_insert_returning_id),
    "modify": each_handler(_execute_rowcount),
    "logs": each_handler(_insert_logs),
}


class SQLiteAccountStore(SQLiteBase):
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
        }

    async def get_user_by_email(self, email: str) -> Record | None:
        rows = list(
            await self._fetch(
                f"SELECT {_USER_COLUMNS} FROM users WHERE email_lower = ?", (email.strip().lower(),)
            )
        )
        return _user(rows[0]) if rows else None

    async def get_user(self, user_id: str) -> Record | None:
        row_id = _int_id(user_id)
        if row_id is None:
            return None
        rows = list(await self._fetch(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (row_id,)))
        return _user(rows[0]) if rows else None

    async def revoke_token(self, jti: str, expires_at: datetime) -> bool:
        flags: list[bool] = await self._write("revoke", [(jti, to_us(expires_at))])
        return flags[0]

    async def is_token_revoked(self, jti: str) -> bool:
        return bool(list(await self._fetch("SELECT 1 FROM revoked_tokens WHERE jti = ?", (jti,))))

    async def add_dead_letter(self, record: Record) -> str:
        stored = {**record, "timestamp": record.get("timestamp") or utcnow()}
        sql = "INSERT INTO dead_letters (source, ts, data) VALUES (?, ?, ?)"
        params = (str(required(stored, "source")), to_us(stored["timestamp"]), encode(stored))
        row_id: int = await self._write("insert", (sql, params))
        return str(row_id)

    async def list_dead_letters(
        self, source: str | None = None, include_replayed: bool = False, limit: int = 100
    ) -> list[Record]:
        clauses = ["1 = 1"]
        params: list[Any] = []
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        if not include_replayed:
            clauses.append("replayed_ts IS NULL")
        params.append(limit)
        sql = (
            f"SELECT {_DEAD_LETTER_COLUMNS} FROM dead_letters WHERE {' AND '.join(clauses)} "
            "ORDER BY ts DESC, id DESC LIMIT ?"
        )
        return [_dead_letter(row) for row in await self._fetch(sql, params)]

    async def get_dead_letter(self, dead_letter_id: str) -> Record | None:
        row_id = _int_id(dead_letter_id)
        if row_id is None:
            return None
        rows = list(
            await self._fetch(f"SELECT {_DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id = ?", (row_id,))
        )
        return _dead_letter(rows[0]) if rows else None

    async def mark_dead_letter_replayed(self, dead_letter_id: str, at: datetime) -> bool:
        row_id = _int_id(dead_letter_id)
        if row_id is None:
            return False
        changed: int = await self._write(
            "modify", ("UPDATE dead_letters SET replayed_ts = ? WHERE id = ?", (to_us(at), row_id))
        )
        return changed > 0

    async def count_dead_letters(self) -> int:
        rows = list(await self._fetch("SELECT COUNT(*) FROM dead_letters WHERE replayed_ts IS NULL"))
        return int(rows[0][0])

    async def insert_logs(self, records: list[Record]) -> int:
        if not records:
            return 0
        rows = []
        for record in records:
            stored = {
                **record,
                "level": normalize_level(str(required(record, "level"))),
                "timestamp": record.get("timestamp") or utcnow(),
            }
            rows.append(
                (
                    str(required(stored, "service")),
                    stored["level"],
                    to_us(stored["timestamp"]),
                    str(stored.get("message") or ""),
                    encode(stored),
                )
            )
        inserted: int = await self._write("logs", rows)
        return inserted

    async def query_logs(
        self,
        service: str,
        level: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        q: str | None = None,
        limit: int = 100,
    ) -> list[Record]:
        clauses = ["service = ?"]
        params: list[Any] = [service]
        if level is not None:
            clauses.append("level = ?")
            params.append(normalize_level(level))
        where_range(clauses, params, "ts", start, end)
        if q:
            # instr, not LIKE: the user's text is matched literally (no % or _ wildcards).
            clauses.append("instr(lower(message), ?) > 0")
            params.append(q.lower())
        params.append(limit)
        sql = f"SELECT data FROM logs WHERE {' AND '.join(clauses)} ORDER BY ts DESC, id DESC LIMIT ?"
        return [decode(row[0]) for row in await self._fetch(sql, params)]

    async def create_alert(self, rule: Record) -> Record:
        stored = {**rule, "created_at": rule.get("created_at") or utcnow()}
        params = (str(required(stored, "user_id")), to_us(stored["created_at"]), encode(stored))
        sql = "INSERT INTO alerts (user_id, created_ts, data) VALUES (?, ?, ?)"
        row_id: int = await self._write("insert", (sql, params))
        return {**decode(params[2]), "id": str(row_id)}

    async def list_alerts(self, user_id: str | None = None) -> list[Record]:
        if user_id is None:
            rows = await self._fetch("SELECT id, data FROM alerts ORDER BY id")
        else:
            rows = await self._fetch(
                "SELECT id, data FROM alerts WHERE user_id = ? ORDER BY id", (str(user_id),)
            )
        return [{**decode(row[1]), "id": str(row[0])} for row in rows]

    async def delete_alert(self, user_id: str, alert_id: str) -> bool:
        row_id = _int_id(alert_id)
        if row_id is None:
            return False
        deleted: int = await self._write(
            "modify", ("DELETE FROM alerts WHERE id = ? AND user_id = ?", (row_id, str(user_id)))
        )
        return deleted > 0
