"""Numbered schema migrations shared by both storage backends.

Each module ``mNNNN_<what>.py`` defines ``async def up(db: MigrationTarget) -> None`` and branches on
``db.backend`` inside. Modules are applied in name order at ``Repository.start()`` and recorded in
``schema_migrations`` (``name``, ``applied_at``); a recorded migration never runs again, so applying
is idempotent. Migrations only ever add: a released module is never edited, a new one is added.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import aiosqlite
    from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["MigrationTarget", "applied", "apply_pending", "discover"]

_MODULE = re.compile(r"^m\d{4}_[a-z0-9_]+$")

Up = Callable[["MigrationTarget"], Awaitable[None]]


@dataclass(frozen=True)
class MigrationTarget:
    """What a migration runs against: exactly one of ``sqlite`` / ``mongo`` is set, per ``backend``.

    ``retention_seconds`` sizes the MongoDB TTL indexes (SQLite purges periodically instead).
    The SQLite connection is in autocommit mode; the runner wraps each migration in a transaction.
    """

    backend: Literal["sqlite", "mongo"]
    sqlite: aiosqlite.Connection | None = None
    mongo: AsyncDatabase[Any] | None = None
    retention_seconds: float = 7 * 86400.0

    def require_sqlite(self) -> aiosqlite.Connection:
        if self.sqlite is None:
            raise ValueError("MigrationTarget(backend='sqlite') needs a connection")
        return self.sqlite

    def require_mongo(self) -> AsyncDatabase[Any]:
        if self.mongo is None:
            raise ValueError("MigrationTarget(backend='mongo') needs a database")
        return self.mongo


def discover() -> list[tuple[str, Up]]:
    """Every migration module of this package as ``(name, up)``, in application order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if _MODULE.match(m.name))
    return [(name, importlib.import_module(f"{__name__}.{name}").up) for name in names]


async def applied(db: MigrationTarget) -> list[str]:
    """Names recorded in ``schema_migrations``, in the order they were applied."""
    if db.backend == "sqlite":
        conn = db.require_sqlite()
        exists = await conn.execute_fetchall(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        )
        if not list(exists):
            return []
        rows = await conn.execute_fetchall("SELECT name FROM schema_migrations ORDER BY rowid")
        return [str(row[0]) for row in rows]
    cursor = db.require_mongo().schema_migrations.find({}, {"name": 1}).sort([("applied_at", 1), ("name", 1)])
    return [str(doc["name"]) async for doc in cursor]


async def apply_pending(db: MigrationTarget) -> list[str]:
    """Apply the migrations not yet recorded, in order; returns the names applied by this call."""
    if db.backend == "sqlite":
        await _ensure_sqlite_table(db.require_sqlite())
    done = set(await applied(db))
    newly: list[str] = []
    for name, up in discover():
        if name in done:
            continue
        if db.backend == "sqlite":
            ran = await _apply_sqlite(db, name, up)
        else:
            ran = await _apply_mongo(db, name, up)
        if ran:
            newly.append(name)
    return newly


async def _apply_sqlite(db: MigrationTarget, name: str, up: Up) -> bool:
    conn = db.require_sqlite()
    # IMMEDIATE takes the write lock first, so two processes starting together apply each migration once.
    await conn.execute("BEGIN IMMEDIATE")
    try:
        rows = await conn.execute_fetchall("SELECT 1 FROM schema_migrations WHERE name = ?", (name,))
        if rows:
            await conn.execute("ROLLBACK")
            return False
        await up(db)
        await conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
            (name, datetime.now(UTC).isoformat()),
        )
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    return True


async def _apply_mongo(db: MigrationTarget, name: str, up: Up) -> bool:
    # Mongo has no multi-collection DDL transaction: ``up`` must be idempotent (create_index is).
    await up(db)
    result = await db.require_mongo().schema_migrations.update_one(
        {"_id": name},
        {"$setOnInsert": {"name": name, "applied_at": datetime.now(UTC)}},
        upsert=True,
    )
    return result.upserted_id is not None


async def _ensure_sqlite_table(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
