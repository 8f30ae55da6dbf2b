"""SQLite-only behaviour: pragmas, the batching writer under concurrency, bounded disk, migrations."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

import migrations
from deltastream.core.errors import ConflictError
from deltastream.core.jsonx import dumps, loads
from deltastream.storage.sqlite import SQLiteRepository
from deltastream.storage.sqlite.market import _tick_row
from tests.factories import candle, enriched_chain, enriched_tick

from .conftest import BASE, EXPIRY, at

REPO_ROOT = Path(__file__).resolve().parents[2]


async def _pragma(repo: SQLiteRepository, name: str) -> Any:
    async def read(conn: aiosqlite.Connection) -> Any:
        return next(iter(await conn.execute_fetchall(f"PRAGMA {name}")))[0]

    return await repo.writer.maintenance(read)


def _disk_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def test_wal_normal_sync_and_incremental_vacuum(sqlite_repo: SQLiteRepository) -> None:
    assert await _pragma(sqlite_repo, "journal_mode") == "wal"
    assert await _pragma(sqlite_repo, "synchronous") == 1  # NORMAL
    assert await _pragma(sqlite_repo, "auto_vacuum") == 2  # INCREMENTAL
    async with aiosqlite.connect(sqlite_repo.path) as other:  # WAL is a property of the file
        assert next(iter(await other.execute_fetchall("PRAGMA journal_mode")))[0] == "wal"


async def test_existing_file_is_switched_to_incremental_vacuum(tmp_path: Path) -> None:
    path = tmp_path / "legacy.db"
    with closing(sqlite3.connect(path)) as legacy:
        legacy.execute("CREATE TABLE unrelated (x)")
        legacy.commit()
    repo = SQLiteRepository(path)
    await repo.start()
    try:
        assert await _pragma(repo, "auto_vacuum") == 2
    finally:
        await repo.close()


async def test_concurrent_writers_all_land_in_batches(sqlite_repo: SQLiteRepository) -> None:
    chains = [enriched_chain(expiry=EXPIRY, timestamp=at(0) - timedelta(seconds=i)) for i in range(200)]
    ticks = [enriched_tick(timestamp=at(0) - timedelta(seconds=i)) for i in range(200)]
    results = await asyncio.gather(
        *(sqlite_repo.upsert_chain(c) for c in chains),
        *(sqlite_repo.upsert_tick(t) for t in ticks),
        *(
            sqlite_repo.add_dead_letter({"source": "feed", "reason": "r", "error": "e", "payload": {"i": i}})
            for i in range(50)
        ),
    )
    assert results[:400] == [True] * 400 and len(set(results[400:])) == 50
    assert len(await sqlite_repo.list_chains("NIFTY", limit=1000)) == 200
    assert len(await sqlite_repo.list_ticks("NIFTY", limit=1000)) == 200
    stats = await sqlite_repo.stats()
    assert stats["operations"] == 450
    assert stats["batches"] < 50  # queued writes share transactions instead of one commit each

    again = await asyncio.gather(*(sqlite_repo.upsert_chain(c) for c in chains))
    assert again == [False] * 200
    assert len(await sqlite_repo.list_chains("NIFTY", limit=1000)) == 200


async def test_upsert_chain_stores_pre_encoded_json(sqlite_repo: SQLiteRepository) -> None:
    chain = enriched_chain(expiry=EXPIRY, timestamp=at(0))
    assert await sqlite_repo.upsert_chain(chain, data=dumps(chain)) is True
    assert await sqlite_repo.upsert_chain(chain, data=dumps(chain)) is False
    stored = await sqlite_repo.latest_chain("NIFTY", chain["expiry"])
    assert stored is not None and stored["timestamp"] == chain["timestamp"]
    assert stored["calls"] == loads(dumps(chain["calls"]))
    summaries = await sqlite_repo.list_chain_summaries("NIFTY")
    assert [s["pcr_oi"] for s in summaries] == [chain["pcr_oi"]]


async def test_concurrent_upserts_over_existing_keys(sqlite_repo: SQLiteRepository) -> None:
    await sqlite_repo.upsert_candle(candle(window_minutes=5, start_time=at(1), close=1.0))
    results = await asyncio.gather(
        *(sqlite_repo.upsert_candle(candle(window_minutes=5, start_time=at(i), close=2.0)) for i in range(5)),
        sqlite_repo.upsert_candle(candle(window_minutes=5, start_time=at(3), close=3.0)),
    )
    assert results == [True, False, True, True, True, False]
    closes = {c["start_time"]: c["close"] for c in await sqlite_repo.list_candles("NIFTY", 5)}
    assert closes == {at(0): 2.0, at(1): 2.0, at(2): 2.0, at(3): 3.0, at(4): 2.0}  # last write wins


async def test_a_failing_write_fails_only_its_caller(sqlite_repo: SQLiteRepository) -> None:
    outcomes = await asyncio.gather(
        sqlite_repo.create_user("same@example.com", "h", "First"),
        sqlite_repo.upsert_tick(enriched_tick(timestamp=at(0))),
        sqlite_repo.create_user("SAME@example.com", "h", "Second"),
        sqlite_repo.create_user("other@example.com", "h", "Other"),
        return_exceptions=True,
    )
    assert isinstance(outcomes[2], ConflictError)
    assert outcomes[1] is True
    assert outcomes[0]["name"] == "First" and outcomes[3]["name"] == "Other"
    assert await sqlite_repo.get_user_by_email("other@example.com") is not None
    assert len(await sqlite_repo.list_ticks("NIFTY")) == 1


async def test_a_failed_batch_write_leaves_the_writer_usable(sqlite_repo: SQLiteRepository) -> None:
    bad = enriched_tick(product=("not a string",), timestamp=at(1))  # hashable, but SQLite cannot bind it

    def two_rows(good: dict) -> list:
        return [_tick_row(good), _tick_row(bad)]

    with pytest.raises(sqlite3.Error):
        await sqlite_repo.writer.submit(
            "ticks", two_rows(enriched_tick(timestamp=at(2)))
        )  # alone in its batch
    outcomes = await asyncio.gather(
        sqlite_repo.writer.submit("ticks", two_rows(enriched_tick(timestamp=at(3)))),
        sqlite_repo.upsert_tick(enriched_tick(timestamp=at(4))),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], sqlite3.Error) and outcomes[1] is True
    assert await sqlite_repo.upsert_tick(enriched_tick(timestamp=at(0))) is True
    # The failed batches were rolled back whole: their good rows are absent too.
    assert [t["timestamp"] for t in await sqlite_repo.list_ticks("NIFTY")] == [at(0), at(4)]


async def test_data_survives_restart_and_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "restart.db"
    first = SQLiteRepository(path)
    await first.start()
    await first.upsert_chain(enriched_chain(expiry=EXPIRY, timestamp=at(0)))
    applied = await first.applied_migrations()
    await first.close()

    second = SQLiteRepository(path)
    await second.start()
    try:
        assert await second.applied_migrations() == applied == [name for name, _ in migrations.discover()]
        assert len(await second.list_chains("NIFTY")) == 1
    finally:
        await second.close()
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        target = migrations.MigrationTarget(backend="sqlite", sqlite=conn)
        assert await migrations.apply_pending(target) == []
        rows = list(await conn.execute_fetchall("SELECT name, applied_at FROM schema_migrations"))
    assert [row[0] for row in rows] == applied
    assert all(row[1] for row in rows)


async def test_in_memory_database(tmp_path: Path) -> None:
    repo = SQLiteRepository(":memory:")
    await repo.start()
    try:
        assert await repo.upsert_tick(enriched_tick(timestamp=at(0))) is True
        assert len(await repo.list_ticks("NIFTY")) == 1
    finally:
        await repo.close()


async def test_closed_repository_refuses_writes(tmp_path: Path) -> None:
    repo = SQLiteRepository(tmp_path / "closed.db")
    await repo.start()
    await repo.close()
    with pytest.raises(RuntimeError):
        await repo.upsert_tick(enriched_tick(timestamp=at(0)))


async def test_retention_keeps_disk_bounded(tmp_path: Path) -> None:
    """A continuous feed with periodic purges: the file stops growing once retention kicks in."""
    path = tmp_path / "bounded.db"
    repo = SQLiteRepository(path)
    await repo.start()
    after_purge: list[int] = []
    peaks: list[int] = []
    try:
        for cycle in range(6):
            window_start = BASE + timedelta(hours=cycle)
            chains = [
                enriched_chain(expiry=EXPIRY, timestamp=window_start + timedelta(seconds=i), n_strikes=21)
                for i in range(250)
            ]
            assert sum(await asyncio.gather(*(repo.upsert_chain(c) for c in chains))) == 250
            peaks.append(_disk_bytes(path))
            # Keep only the current window, like retention does with a continuous feed.
            counts = await repo.purge_older_than(window_start)
            assert counts["option_chains"] == (250 if cycle else 0)
            after_purge.append(_disk_bytes(path))
        stats = await repo.stats()
    finally:
        await repo.close()

    assert len(await _count_rows(path)) == 250
    assert stats["freelist_count"] < 50  # purged pages went back to the file system
    # Steady state: neither the post-purge size nor the peak size keeps growing.
    assert max(after_purge[2:]) <= after_purge[1] * 1.25 + 256 * 1024, after_purge
    assert max(peaks[2:]) <= peaks[1] * 1.25 + 256 * 1024, peaks
    # Without the purge six windows would be stored; the file holds about one or two.
    assert after_purge[-1] < 3 * after_purge[0], after_purge


async def _count_rows(path: Path) -> list[Any]:
    async with aiosqlite.connect(path) as conn:
        return list(await conn.execute_fetchall("SELECT id FROM option_chains"))


def test_migrate_cli(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTASTREAM_")}
    env["DELTASTREAM_SQLITE_PATH"] = str(db)
    for _ in range(2):  # the second run applies nothing new and lists the same migrations
        done = subprocess.run(
            [sys.executable, "-m", "deltastream", "migrate"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        lines = [line for line in done.stdout.splitlines() if line.startswith("applied ")]
        assert lines == [f"applied {name}" for name, _ in migrations.discover()]
    assert db.exists()
