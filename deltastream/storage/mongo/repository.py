"""``MongoRepository``: pymongo's ``AsyncMongoClient`` (not motor), upserts on idempotency keys.

Indexes (unique keys, query indexes, TTL retention) are created by the ``migrations`` package.
The TTL indexes expire ticks, chains, candles, surfaces and logs after ``retention_seconds``; on
start the repository aligns an existing TTL with the configured retention (``collMod``).
:meth:`purge_older_than` also deletes by age with ``delete_many``, so retention does not depend
on the TTL monitor (which runs only once a minute on a real server).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

import migrations
from deltastream.core.logging import get_logger
from deltastream.storage.mongo.alerts import MongoAlertStore
from deltastream.storage.mongo.base import Document
from deltastream.storage.mongo.dead_letters import MongoDeadLetterStore
from deltastream.storage.mongo.market import MongoMarketStore
from deltastream.storage.mongo.users import MongoUserStore

log = get_logger("storage")
# A newcomer with a wrong DELTASTREAM_MONGO_URL hears about it within 5 s, not 30.
CONNECT_TIMEOUT_MS = 5000

DEFAULT_RETENTION_SECONDS = 7 * 86400.0

# (collection, date field) deleted by age: the collections with a TTL index (created by migration
# 0001; spelled here too because runtime code never imports a migration), then revoked tokens
# once expired before the cutoff.
TTL_FIELDS: tuple[tuple[str, str], ...] = (
    ("underlying_ticks", "timestamp"),
    ("option_chains", "timestamp"),
    ("ohlc", "start_time"),
    ("volatility_surfaces", "timestamp"),
    ("logs", "timestamp"),
    ("alert_history", "timestamp"),  # migration 0003
)
PURGE_TARGETS: tuple[tuple[str, str], ...] = (*TTL_FIELDS, ("revoked_tokens", "expires_at"))


class MongoRepository(MongoMarketStore, MongoUserStore, MongoDeadLetterStore, MongoAlertStore):
    """Every context's repository protocol on one MongoDB database (``tz_aware`` client: datetimes are UTC)."""

    name = "mongo"

    def __init__(
        self, url: str, database: str = "deltastream", *, retention_seconds: float | None = None
    ) -> None:
        self.url = url
        self.database = database
        self.retention_seconds = retention_seconds or DEFAULT_RETENTION_SECONDS
        self._client: AsyncMongoClient[Document] | None = None
        self._db = None

    def _target(self) -> migrations.MigrationTarget:
        return migrations.MigrationTarget(
            backend="mongo", mongo=self.db, retention_seconds=self.retention_seconds
        )

    async def start(self) -> None:
        if self._client is not None:
            return
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            self.url, tz_aware=True, tzinfo=UTC, serverSelectionTimeoutMS=CONNECT_TIMEOUT_MS
        )
        try:
            await client.admin.command("ping")
            self._client, self._db = client, client[self.database]
            newly = await migrations.apply_pending(self._target())
            await self._align_ttl()
        except BaseException:
            self._client = self._db = None
            await client.close()
            raise
        if newly:
            log.info("migrations_applied", backend="mongo", database=self.database, applied=newly)

    async def close(self) -> None:
        client, self._client, self._db = self._client, None, None
        if client is not None:
            await client.close()

    async def ping(self) -> bool:
        if self._client is None:
            return False
        try:
            await self._client.admin.command("ping")
        except Exception:
            return False
        return True

    async def applied_migrations(self) -> list[str]:
        return await migrations.applied(self._target())

    async def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        cutoff = cutoff.astimezone(UTC) if cutoff.tzinfo else cutoff.replace(tzinfo=UTC)
        counts: dict[str, int] = {}
        for collection, field in PURGE_TARGETS:
            result = await self.db[collection].delete_many({field: {"$lt": cutoff}})
            counts[collection] = int(result.deleted_count)
        log.debug("retention_purged", backend="mongo", counts=counts)
        return counts

    async def ttl_indexes(self) -> dict[str, dict[str, Any]]:
        """``{collection: {"field", "expireAfterSeconds", "name"}}`` for every TTL index found."""
        found: dict[str, dict[str, Any]] = {}
        for collection in {name for name, _ in PURGE_TARGETS}:
            async for index in await self.db[collection].list_indexes():
                if "expireAfterSeconds" in index:
                    field = next(iter(index["key"]))
                    found[collection] = {
                        "field": field,
                        "expireAfterSeconds": int(index["expireAfterSeconds"]),
                        "name": index["name"],
                    }
        return found

    async def _align_ttl(self) -> None:
        """Make existing TTL indexes follow a retention changed since they were created."""
        wanted = int(self.retention_seconds)
        for collection, info in (await self.ttl_indexes()).items():
            if collection == "revoked_tokens" or info["expireAfterSeconds"] == wanted:
                continue
            try:
                await self.db.command(
                    "collMod", collection, index={"name": info["name"], "expireAfterSeconds": wanted}
                )
            except OperationFailure as exc:
                log.warning("ttl_align_failed", collection=collection, error=str(exc))
