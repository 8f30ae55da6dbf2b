"""Dead letters on SQLite (the ``dead_letters`` table, the deadletters context's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from deltastream.core.clock import utcnow
from deltastream.storage.codec import decode, encode, from_us, required, to_us
from deltastream.storage.protocol import Record
from deltastream.storage.sqlite.base import SQLiteBase, each_handler, int_id
from deltastream.storage.sqlite.writer import BatchHandler

_DEAD_LETTER_COLUMNS = "id, replayed_ts, data"


def _dead_letter(row: Any) -> Record:
    record = decode(row[2])
    record["id"] = str(row[0])
    record["replayed_at"] = None if row[1] is None else from_us(row[1])
    return record


async def _insert_returning_id(conn: aiosqlite.Connection, arg: tuple[str, tuple[Any, ...]]) -> int:
    sql, params = arg
    cursor = await conn.execute(sql, params)
    return int(cursor.lastrowid or 0)


async def _execute_rowcount(conn: aiosqlite.Connection, arg: tuple[str, tuple[Any, ...]]) -> int:
    sql, params = arg
    cursor = await conn.execute(sql, params)
    return int(cursor.rowcount)


DEAD_LETTER_HANDLERS: dict[str, BatchHandler] = {
    "insert": each_handler(_insert_returning_id),
    "modify": each_handler(_execute_rowcount),
}


class SQLiteDeadLetterStore(SQLiteBase):
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
        row_id = int_id(dead_letter_id)
        if row_id is None:
            return None
        rows = list(
            await self._fetch(f"SELECT {_DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id = ?", (row_id,))
        )
        return _dead_letter(rows[0]) if rows else None

    async def mark_dead_letter_replayed(self, dead_letter_id: str, at: datetime) -> bool:
        row_id = int_id(dead_letter_id)
        if row_id is None:
            return False
        changed: int = await self._write(
            "modify", ("UPDATE dead_letters SET replayed_ts = ? WHERE id = ?", (to_us(at), row_id))
        )
        return changed > 0
