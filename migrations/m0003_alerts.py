"""Alerts: the fired-alert history (``alert_history``), beside the rules table ``alerts`` of m0001.

m0001 already created ``alerts (id, user_id, created_ts, data)`` with an index on ``user_id``; the
rules live there unchanged (the rule is the JSON ``data`` blob). This migration only adds.

SQLite: ``alert_history`` with integer microsecond ``ts``, paged newest first by ``id`` per user,
and a plain index on ``ts`` for the retention purge. MongoDB: the same query index and a TTL index
on ``timestamp`` (``expireAfterSeconds`` = the retention), so history is covered by retention.
Independent of any other migration after m0001 (m0002 may or may not exist).
"""

from __future__ import annotations

from migrations import MigrationTarget

SQLITE_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS alert_history (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ix_alert_history_user_id ON alert_history (user_id, id DESC)",
    "CREATE INDEX IF NOT EXISTS ix_alert_history_ts ON alert_history (ts)",
)


async def up(db: MigrationTarget) -> None:
    if db.backend == "sqlite":
        conn = db.require_sqlite()
        for statement in SQLITE_DDL:
            await conn.execute(statement)
        return
    mongo = db.require_mongo()
    await mongo.alert_history.create_index([("user_id", 1)])
    await mongo.alert_history.create_index(
        [("timestamp", 1)], expireAfterSeconds=int(db.retention_seconds), name="ttl_timestamp"
    )
