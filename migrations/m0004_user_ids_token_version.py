"""Users: ids never reused, and a per-user token version (issue 18, items 2-3).

SQLite: ``users.id`` becomes ``INTEGER PRIMARY KEY AUTOINCREMENT`` (a plain rowid key reuses the
largest id once that row is deleted, so a deleted user's token named the next account), and
``token_version`` is added. The table is rebuilt from its own stored ``CREATE TABLE`` text, so any
column another migration added survives, and its indexes are recreated. MongoDB ids are ObjectIds,
never reused; existing users get ``token_version: 0`` (idempotent).
"""

from __future__ import annotations

import re

from migrations import MigrationTarget

_PK = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b(?!\s+AUTOINCREMENT)", re.IGNORECASE)


async def up(db: MigrationTarget) -> None:
    if db.backend == "mongo":
        await db.require_mongo().users.update_many(
            {"token_version": {"$exists": False}}, {"$set": {"token_version": 0}}
        )
        return
    conn = db.require_sqlite()
    rows = list(
        await conn.execute_fetchall("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
    )
    table_sql = str(rows[0][0])
    if _PK.search(table_sql):
        indexes = [
            str(r[0])
            for r in await conn.execute_fetchall(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL"
            )
        ]
        rebuilt = _PK.sub("id INTEGER PRIMARY KEY AUTOINCREMENT", table_sql, count=1)
        rebuilt = re.sub(r"^CREATE TABLE\s+\"?users\"?", "CREATE TABLE users_m0004", rebuilt, count=1)
        await conn.execute(rebuilt)
        await conn.execute("INSERT INTO users_m0004 SELECT * FROM users")
        await conn.execute("DROP TABLE users")
        await conn.execute("ALTER TABLE users_m0004 RENAME TO users")
        for statement in indexes:
            await conn.execute(statement)
    columns = {str(r[1]) for r in await conn.execute_fetchall("PRAGMA table_info(users)")}
    if "token_version" not in columns:
        await conn.execute("ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0")
