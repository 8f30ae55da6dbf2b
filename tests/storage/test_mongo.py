"""MongoDB-only behaviour: indexes from migrations (unique keys, TTL retention), idempotent migrations."""

from __future__ import annotations

from typing import Any

import pymongo
import pytest

import migrations
from deltastream.storage.mongo import MongoRepository
from tests.factories import enriched_chain

from .conftest import EXPIRY, at

RETENTION_S = 7 * 86400


async def _index_keys(repo: MongoRepository, collection: str) -> list[dict[str, Any]]:
    return [dict(index) async for index in await repo.db[collection].list_indexes()]


async def test_ttl_indexes_follow_the_retention(mongo_repo: MongoRepository) -> None:
    ttl = await mongo_repo.ttl_indexes()
    expected = {
        "underlying_ticks": "timestamp",
        "option_chains": "timestamp",
        "ohlc": "start_time",
        "volatility_surfaces": "timestamp",
        "logs": "timestamp",
    }
    for collection, field in expected.items():
        assert ttl[collection]["field"] == field
        assert ttl[collection]["expireAfterSeconds"] == RETENTION_S
    assert ttl["revoked_tokens"] == ttl["revoked_tokens"] | {"field": "expires_at", "expireAfterSeconds": 0}


async def test_unique_indexes_enforce_the_keys(mongo_repo: MongoRepository) -> None:
    users = await _index_keys(mongo_repo, "users")
    assert any(ix.get("unique") and list(ix["key"]) == ["email_lower"] for ix in users)
    chains = await _index_keys(mongo_repo, "option_chains")
    assert any(ix.get("unique") and list(ix["key"]) == ["product", "expiry", "timestamp"] for ix in chains)
    # The unique index, not only the upsert filter, stops a duplicate key.
    await mongo_repo.upsert_chain(enriched_chain(expiry=EXPIRY, timestamp=at(0)))
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        doc = enriched_chain(expiry=EXPIRY, timestamp=at(0))
        await mongo_repo.db.option_chains.insert_one({k: doc[k] for k in ("product", "expiry", "timestamp")})


async def test_migrations_are_idempotent(
    mongo_url: str, mongo_db_name: str, mongo_repo: MongoRepository
) -> None:
    applied = await mongo_repo.applied_migrations()
    assert applied == [name for name, _ in migrations.discover()]
    assert await migrations.apply_pending(mongo_repo._target()) == []
    second = MongoRepository(mongo_url, database=mongo_db_name)
    await second.start()
    try:
        assert await second.applied_migrations() == applied
        assert await mongo_repo.db.schema_migrations.count_documents({}) == len(applied)
    finally:
        await second.close()


async def test_ping_is_false_when_not_started(mongo_url: str) -> None:
    repo = MongoRepository(mongo_url, database="never_started")
    assert await repo.ping() is False
    with pytest.raises(RuntimeError):
        await repo.list_ticks("NIFTY")


async def test_ttl_uses_the_configured_retention(mongo_url: str, mongo_db_name: str) -> None:
    from deltastream.settings import Settings
    from deltastream.storage import create_repository

    settings = Settings(mongo_url=mongo_url, mongo_db=mongo_db_name, retention_days=0.5)
    repo = create_repository(settings)
    assert isinstance(repo, MongoRepository) and repo.retention_seconds == 43200
    await repo.start()
    try:
        ttl = await repo.ttl_indexes()
        assert ttl["option_chains"]["expireAfterSeconds"] == 43200
        assert ttl["underlying_ticks"]["expireAfterSeconds"] == 43200
    finally:
        await repo.db.client.drop_database(mongo_db_name)
        await repo.close()
