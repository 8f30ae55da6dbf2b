"""``SQLiteRepository``: the embedded backend (aiosqlite, WAL, one batching writer, a read connection).

- Pragmas: WAL with ``synchronous=NORMAL`` (durable across process crashes, may lose the last
  commits on power loss), ``auto_vacuum=INCREMENTAL`` fixed at creation so purged pages can be
  returned to the file system, and a ``journal_size_limit`` so the WAL shrinks after checkpoints.
- Writes go through :class:`SQLiteWriter` (batched transactions); reads use their own connection
  and, thanks to WAL, never wait for the writer. A caller sees its write once ``upsert_*`` returns.
- Retention: :meth:`purge_older_than` deletes in chunks (the feed keeps writing in between), then
  frees the pages (``incremental_vacuum``) and truncates the WAL (``wal_checkpoint(TRUNCATE)``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiosqlite

import migrations
from deltastream.core.logging import get_logger
from deltastream.storage.codec import to_us
from deltastream.storage.sqlite.alerts import SQLiteAlertStore
from deltastream.storage.sqlite.base import each_handler
from deltastream.storage.sqlite.dead_letters import DEAD_LETTER_HANDLERS, SQLiteDeadLetterStore
from deltastream.storage.sqlite.market import MARKET_HANDLERS, SQLiteMarketStore
from deltastream.storage.sqlite.users import USER_HANDLERS, SQLiteUserStore
from deltastream.storage.sqlite.writer import SQLiteWriter

log = get_logger("storage")

# (table, time column, primary key) deleted by age; revoked tokens go once expired before the cutoff.
PURGE_TARGETS: tuple[tuple[str, str, str], ...] = (
    ("underlying_ticks", "ts", "id"),
    ("option_chains", "ts", "id"),
    ("ohlc", "start_ts", "id"),
    ("volatility_surfaces", "ts", "id"),
    ("logs", "ts", "id"),
    ("alert_history", "ts", "id"),
    ("revoked_tokens", "expires_ts", "jti"),
)
PURGE_CHUNK = 2000
VACUUM_STEP_PAGES = 4096  # 16 MiB of 4 KiB pages per step, so queued writes wait briefly

# Every write kind whose lone operation is one statement.
AUTOCOMMIT_KINDS = frozenset(
    {"ticks", "chains", "candles", "surfaces", "revoke", "create_user", "insert", "modify", "purge"}
)

_WRITER_PRAGMAS: tuple[str, ...] = (
    # auto_vacuum only takes effect before the first table exists, so it comes first.
    "PRAGMA auto_vacuum = INCREMENTAL",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_size_limit = 67108864",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA cache_size = -16000",
)
_READER_PRAGMAS: tuple[str, ...] = (
    "PRAGMA busy_timeout = 10000",
    "PRAGMA query_only = 1",
    "PRAGMA cache_size = -16000",
)


async def _purge_chunk(conn: aiosqlite.Connection, arg: tuple[str, str, str, int, int]) -> int:
    table, column, key, cutoff_us, chunk = arg
    cursor = await conn.execute(
        f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {column} < ? LIMIT ?)",
        (cutoff_us, chunk),
    )
    return int(cursor.rowcount)


async def _vacuum_step(conn: aiosqlite.Connection) -> int:
    """Return up to VACUUM_STEP_PAGES free pages to the file system; returns the pages still free.

    ``executescript`` because it steps the pragma to completion: a plain ``execute`` steps once,
    and the pragma frees one page per step (it declares no result columns, so sqlite3 does not
    fetch its rows).
    """
    await conn.executescript(f"PRAGMA incremental_vacuum({VACUUM_STEP_PAGES});")
    return int(next(iter(await conn.execute_fetchall("PRAGMA freelist_count")))[0])


async def _ensure_incremental_vacuum(conn: aiosqlite.Connection) -> None:
    """A file created elsewhere without auto_vacuum needs one full VACUUM to switch modes."""
    mode = next(iter(await conn.execute_fetchall("PRAGMA auto_vacuum")))[0]
    if mode != 2:
        log.warning("sqlite_vacuum_to_incremental", from_mode=mode)
        await conn.execute("VACUUM")


async def _checkpoint(conn: aiosqlite.Connection) -> int:
    """Copy the WAL into the database and truncate it to zero bytes; returns 1 if readers blocked it."""
    return int(next(iter(await conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")))[0])


class SQLiteRepository(SQLiteMarketStore, SQLiteUserStore, SQLiteDeadLetterStore, SQLiteAlertStore):
    """Every context's repository protocol on one SQLite file. ``path`` may be ``":memory:"`` (tests only)."""

    name = "sqlite"

    def __init__(self, path: str | Path, *, max_batch: int = 256) -> None:
        self.path = str(path)
        self._max_batch = max_batch
        self._conn: aiosqlite.Connection | None = None
        self._writer = None
        self._reader = None

    async def start(self) -> None:
        if self._writer is not None:
            return
        in_memory = self.path == ":memory:"
        if not in_memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            for pragma in _WRITER_PRAGMAS:
                await conn.execute(pragma)
            await _ensure_incremental_vacuum(conn)
            newly = await migrations.apply_pending(migrations.MigrationTarget(backend="sqlite", sqlite=conn))
            reader = conn
            if not in_memory:
                reader = await aiosqlite.connect(self.path, isolation_level=None)
                for pragma in _READER_PRAGMAS:
                    await reader.execute(pragma)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._reader = reader
        self._writer = SQLiteWriter(
            conn,
            {**MARKET_HANDLERS, **USER_HANDLERS, **DEAD_LETTER_HANDLERS, "purge": each_handler(_purge_chunk)},
            max_batch=self._max_batch,
            autocommit_kinds=AUTOCOMMIT_KINDS,
        )
        self._writer.start()
        if newly:
            log.info("migrations_applied", backend="sqlite", path=self.path, applied=newly)

    async def close(self) -> None:
        writer, conn, reader = self._writer, self._conn, self._reader
        self._writer = self._conn = self._reader = None
        if writer is not None:
            await writer.close()
        if reader is not None and reader is not conn:
            await reader.close()
        if conn is not None:
            await conn.close()

    async def ping(self) -> bool:
        try:
            return bool(list(await self._fetch("SELECT 1")))
        except Exception:
            return False

    async def applied_migrations(self) -> list[str]:
        if self._reader is None:
            raise RuntimeError("SQLiteRepository is not started")
        return await migrations.applied(migrations.MigrationTarget(backend="sqlite", sqlite=self._reader))

    async def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        cutoff_us = to_us(cutoff)
        counts: dict[str, int] = {}
        for table, column, key in PURGE_TARGETS:
            total = 0
            while True:
                deleted: int = await self._write("purge", (table, column, key, cutoff_us, PURGE_CHUNK))
                total += deleted
                if deleted < PURGE_CHUNK:
                    break
            counts[table] = total
        still_free = await self.writer.maintenance(_vacuum_step)
        while still_free > 0:
            previous, still_free = still_free, await self.writer.maintenance(_vacuum_step)
            if still_free >= previous:
                break
        busy = await self.writer.maintenance(_checkpoint)
        log.debug(
            "retention_purged", backend="sqlite", counts=counts, free_pages=still_free, checkpoint_busy=busy
        )
        return counts

    async def stats(self) -> dict[str, int]:
        """Writer counters and page usage, for diagnostics and the retention tests."""
        pages = next(iter(await self._fetch("PRAGMA page_count")))[0]
        free = next(iter(await self._fetch("PRAGMA freelist_count")))[0]
        return {
            "batches": self.writer.batches,
            "operations": self.writer.operations,
            "page_count": int(pages),
            "freelist_count": int(free),
        }
