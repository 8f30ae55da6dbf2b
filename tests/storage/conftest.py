"""Storage fixtures: a started repository per backend (fresh file / fresh database) and the
instants the tests write at. Payloads come from ``tests.factories``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from deltastream.storage.mongo import MongoRepository
from deltastream.storage.sqlite import SQLiteRepository
from deltastream.wiring import Backend

# Whole seconds, a minute in the past: exact on both backends (BSON dates hold milliseconds)
# and well inside the Mongo TTL, which expires anything older than the retention.
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)


# The expiry stored chains are written under unless a test names another.
EXPIRY = "2030-01-31"


def at(minutes_ago: float) -> datetime:
    return BASE - timedelta(minutes=minutes_ago)


@pytest.fixture
async def sqlite_repo(tmp_path: Path) -> AsyncIterator[SQLiteRepository]:
    repo = SQLiteRepository(tmp_path / "storage.db")
    await repo.start()
    try:
        yield repo
    finally:
        await repo.close()


@pytest.fixture
async def mongo_repo(mongo_url: str, mongo_db_name: str) -> AsyncIterator[MongoRepository]:
    repo = MongoRepository(mongo_url, database=mongo_db_name)
    await repo.start()
    try:
        yield repo
    finally:
        await repo.close()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
        await client.drop_database(mongo_db_name)
        await client.close()


@pytest.fixture(params=["sqlite", "mongo"])
def repo(request: pytest.FixtureRequest) -> Backend:
    fixture = "sqlite_repo" if request.param == "sqlite" else "mongo_repo"
    backend: Backend = request.getfixturevalue(fixture)
    return backend
