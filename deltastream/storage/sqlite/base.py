"""What the SQLite repository parts share: the writer, the read connection and query helpers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from deltastream.storage.codec import to_us
from deltastream.storage.sqlite.upsert import KeyedTable, Row, upsert_rows
from deltastream.storage.sqlite.writer import BatchHandler, SQLiteWriter


class SQLiteBase:
    """State set by ``SQLiteRepository.start()``; the parts only read through ``_fetch``."""

    _writer: SQLiteWriter | None = None
    _reader: aiosqlite.Connection | None = None

    @property
    def writer(self) -> SQLiteWriter:
        if self._writer is None:
            raise RuntimeError("SQLiteRepository is not started")
        return self._writer

    async def _fetch(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> Iterable[aiosqlite.Row]:
        if self._reader is None:
            raise RuntimeError("SQLiteRepository is not started")
        return await self._reader.execute_fetchall(sql, params)

    async def _write(self, kind: str, arg: Any) -> Any:
        return await self.writer.submit(kind, arg)


def keyed_handler(spec: KeyedTable) -> BatchHandler:
    """A writer handler whose operations are lists of rows for ``spec``; results are per-row flags."""

    async def handle(conn: aiosqlite.Connection, batches: list[list[Row]]) -> list[Any]:
        return list(await upsert_rows(conn, spec, batches))

    return handle


def each_handler(fn: Any) -> BatchHandler:
    """A writer handler that runs ``fn(conn, arg)`` for each operation of the group in turn."""

    async def handle(conn: aiosqlite.Connection, args: list[Any]) -> list[Any]:
        return [await fn(conn, arg) for arg in args]

    return handle


def where_range(
    clauses: list[str], params: list[Any], column: str, start: datetime | None, end: datetime | None
) -> None:
    """Append the inclusive ``start <= column <= end`` bounds that are given."""
    if start is not None:
        clauses.append(f"{column} >= ?")
        params.append(to_us(start))
    if end is not None:
        clauses.append(f"{column} <= ?")
        params.append(to_us(end))


def int_id(value: str) -> int | None:
    """Row ids are exposed as decimal strings; anything else names no row."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
