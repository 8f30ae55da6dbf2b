"""Initial schema: the tables/collections and indexes of SPEC.md §6.

SQLite: time columns (``ts``, ``start_ts``, ...) are integer microseconds since the epoch (UTC);
whole records are JSON blobs; chains also carry scalar summary columns so history endpoints need
not parse JSON. Each time-ranged table has a plain index on its time column for the retention purge.

MongoDB: unique indexes on the idempotency keys, query indexes, a unique lower-cased e-mail, and
TTL indexes (``expireAfterSeconds`` = the retention) on the time field of every purged collection.
"""

from __future__ import annotations

from typing import Any

from migrations import MigrationTarget

SQLITE_DDL: tuple[str, ...] = (
    """CREATE TABLE underlying_ticks (
        id INTEGER PRIMARY KEY,
        product TEXT NOT NULL,
        ts INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
    "CREATE UNIQUE INDEX ux_underlying_ticks_key ON underlying_ticks (product, ts DESC)",
    "CREATE INDEX ix_underlying_ticks_ts ON underlying_ticks (ts)",
    """CREATE TABLE option_chains (
        id INTEGER PRIMARY KEY,
        product TEXT NOT NULL,
        expiry TEXT NOT NULL,
        ts INTEGER NOT NULL,
        spot_price REAL,
        pcr_oi REAL,
        pcr_volume REAL,
        atm_strike REAL,
        atm_iv REAL,
        atm_straddle_price REAL,
        max_pain_strike REAL,
        data BLOB NOT NULL
    )""",
    "CREATE UNIQUE INDEX ux_option_chains_key ON option_chains (product, expiry, ts DESC)",
    "CREATE INDEX ix_option_chains_product_ts ON option_chains (product, ts DESC)",
    "CREATE INDEX ix_option_chains_ts ON option_chains (ts)",
    """CREATE TABLE ohlc (
        id INTEGER PRIMARY KEY,
        product TEXT NOT NULL,
        window_minutes INTEGER NOT NULL,
        start_ts INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
    "CREATE UNIQUE INDEX ux_ohlc_key ON ohlc (product, window_minutes, start_ts DESC)",
    "CREATE INDEX ix_ohlc_start_ts ON ohlc (start_ts)",
    """CREATE TABLE volatility_surfaces (
        id INTEGER PRIMARY KEY,
        product TEXT NOT NULL,
        ts INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
    "CREATE UNIQUE INDEX ux_volatility_surfaces_key ON volatility_surfaces (product, ts DESC)",
    "CREATE INDEX ix_volatility_surfaces_ts ON volatility_surfaces (ts)",
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        email_lower TEXT NOT NULL,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        is_admin INTEGER NOT NULL DEFAULT 0,
        created_ts INTEGER NOT NULL
    )""",
    "CREATE UNIQUE INDEX ux_users_email ON users (email_lower)",
    """CREATE TABLE revoked_tokens (
        jti TEXT PRIMARY KEY,
        expires_ts INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX ix_revoked_tokens_expires_ts ON revoked_tokens (expires_ts)",
    """CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        ts INTEGER NOT NULL,
        replayed_ts INTEGER,
        data BLOB NOT NULL
    )""",
    "CREATE INDEX ix_dead_letters_ts ON dead_letters (ts DESC)",
    "CREATE INDEX ix_dead_letters_source_ts ON dead_letters (source, ts DESC)",
    """CREATE TABLE logs (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL,
        level TEXT NOT NULL,
        ts INTEGER NOT NULL,
        message TEXT NOT NULL,
        data BLOB NOT NULL
    )""",
    "CREATE INDEX ix_logs_service_level_ts ON logs (service, level, ts DESC)",
    "CREATE INDEX ix_logs_service_ts ON logs (service, ts DESC)",
    "CREATE INDEX ix_logs_ts ON logs (ts)",
    """CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_ts INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
    "CREATE INDEX ix_alerts_user_id ON alerts (user_id)",
)

# (collection, keys, options); TTL indexes are added below with the retention as expireAfterSeconds.
MONGO_INDEXES: tuple[tuple[str, list[tuple[str, int]], dict[str, Any]], ...] = (
    ("underlying_ticks", [("product", 1), ("timestamp", -1)], {"unique": True}),
    ("option_chains", [("product", 1), ("expiry", 1), ("timestamp", -1)], {"unique": True}),
    ("option_chains", [("product", 1), ("timestamp", -1)], {}),
    ("ohlc", [("product", 1), ("window_minutes", 1), ("start_time", -1)], {"unique": True}),
    ("volatility_surfaces", [("product", 1), ("timestamp", -1)], {"unique": True}),
    ("users", [("email_lower", 1)], {"unique": True}),
    ("revoked_tokens", [("jti", 1)], {"unique": True}),
    ("dead_letters", [("timestamp", -1)], {}),
    ("dead_letters", [("source", 1), ("timestamp", -1)], {}),
    ("logs", [("service", 1), ("level", 1), ("timestamp", -1)], {}),
    ("logs", [("service", 1), ("timestamp", -1)], {}),
    ("alerts", [("user_id", 1)], {}),
)

# (collection, date field) purged by age: their TTL equals the retention.
MONGO_TTL_FIELDS: tuple[tuple[str, str], ...] = (
    ("underlying_ticks", "timestamp"),
    ("option_chains", "timestamp"),
    ("ohlc", "start_time"),
    ("volatility_surfaces", "timestamp"),
    ("logs", "timestamp"),
)


async def up(db: MigrationTarget) -> None:
    if db.backend == "sqlite":
        conn = db.require_sqlite()
        for statement in SQLITE_DDL:
            await conn.execute(statement)
        return
    mongo = db.require_mongo()
    for collection, keys, options in MONGO_INDEXES:
        await mongo[collection].create_index(keys, **options)
    for collection, field in MONGO_TTL_FIELDS:
        await mongo[collection].create_index(
            [(field, 1)], expireAfterSeconds=int(db.retention_seconds), name=f"ttl_{field}"
        )
    # A revoked token is forgotten once it has expired anyway.
    await mongo.revoked_tokens.create_index([("expires_at", 1)], expireAfterSeconds=0, name="ttl_expires_at")
