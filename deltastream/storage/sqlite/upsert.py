"""Idempotent batch upserts on a unique key, reporting per row whether the key was new.

The fast path is one ``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING``: when every row
lands (the usual case for a live feed) all keys were new. Otherwise the savepoint is rolled back,
the existing keys are looked up, and the rows are written again with the table's conflict policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import aiosqlite

Row = tuple[Any, ...]

# Row-value lookups bind key_len parameters per key; stay far below SQLite's 32766-variable limit.
_LOOKUP_CHUNK = 250


@dataclass(frozen=True)
class KeyedTable:
    """A table written by key: ``columns`` start with the ``key_len`` key columns.

    ``replace`` picks the conflict policy: True = last write wins (candles that grow, surfaces),
    False = first write wins (ticks, chains, revoked tokens: a redelivery is a no-op).
    """

    table: str
    columns: tuple[str, ...]
    key_len: int
    replace: bool

    @property
    def key(self) -> tuple[str, ...]:
        return self.columns[: self.key_len]

    @cached_property
    def insert_sql(self) -> str:
        names = ", ".join(self.columns)
        marks = ", ".join("?" for _ in self.columns)
        return f"INSERT INTO {self.table} ({names}) VALUES ({marks}) ON CONFLICT ({', '.join(self.key)}) DO NOTHING"

    @cached_property
    def upsert_sql(self) -> str:
        if not self.replace:
            return self.insert_sql
        updates = ", ".join(f"{col} = excluded.{col}" for col in self.columns[self.key_len :])
        return self.insert_sql.replace("DO NOTHING", f"DO UPDATE SET {updates}")

    def lookup_sql(self, count: int) -> str:
        key = ", ".join(self.key)
        one = "(" + ", ".join("?" for _ in self.key) + ")"
        return f"SELECT {key} FROM {self.table} WHERE ({key}) IN (VALUES {', '.join([one] * count)})"


async def upsert_rows(
    conn: aiosqlite.Connection, spec: KeyedTable, batches: list[list[Row]]
) -> list[list[bool]]:
    """Write every row of every batch; returns, per batch and row, True when its key was new.

    A key repeated inside the call counts as new once (its first occurrence); the stored row is the
    first (``replace=False``) or last (``replace=True``) occurrence.
    """
    unique: dict[Row, Row] = {}
    first_seen: list[list[bool]] = []
    for rows in batches:
        flags: list[bool] = []
        for row in rows:
            key = row[: spec.key_len]
            if key in unique:
                flags.append(False)
                if spec.replace:
                    unique[key] = row
            else:
                unique[key] = row
                flags.append(True)
        first_seen.append(flags)
    if not unique:
        return first_seen

    if len(unique) == 1:
        # One row: its own rowcount says whether it was new, without a savepoint round trip.
        (row,) = unique.values()
        cursor = await conn.execute(spec.insert_sql, row)
        if cursor.rowcount == 1:
            return first_seen
        if spec.replace:
            await conn.execute(spec.upsert_sql, row)
        return [[False] * len(rows) for rows in batches]

    await conn.execute("SAVEPOINT upsert_rows")
    cursor = await conn.executemany(spec.insert_sql, list(unique.values()))
    if cursor.rowcount == len(unique):
        await conn.execute("RELEASE upsert_rows")
        return first_seen
    await conn.execute("ROLLBACK TO upsert_rows")
    existing = await _existing_keys(conn, spec, list(unique))
    await conn.executemany(spec.upsert_sql, list(unique.values()))
    await conn.execute("RELEASE upsert_rows")
    return [
        [flag and row[: spec.key_len] not in existing for flag, row in zip(flags, rows, strict=True)]
        for flags, rows in zip(first_seen, batches, strict=True)
    ]


async def _existing_keys(conn: aiosqlite.Connection, spec: KeyedTable, keys: list[Row]) -> set[Row]:
    found: set[Row] = set()
    for i in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[i : i + _LOOKUP_CHUNK]
        params = [value for key in chunk for value in key]
        rows = await conn.execute_fetchall(spec.lookup_sql(len(chunk)), params)
        found.update(tuple(row) for row in rows)
    return found
