"""What storage promises every context, and the lifecycle the edge drives.

``storage`` is infrastructure, not a context: it holds no business rule. Each context that owns
data declares its own narrow repository protocol (``deltastream.<ctx>.repository``) over its own
tables; the backends implement every one of them structurally, and a contract suite runs the
same tests against each backend.

Conventions shared by every method and every backend:
- Datetimes go in and come out as timezone-aware UTC ``datetime`` objects.
- Records are plain ``dict``s. Chains, surfaces and payloads are stored whole (JSON documents).
- Listing methods return newest first and honour ``start <= timestamp <= end`` (both optional,
  inclusive) and ``limit`` (caller-validated, 1..1000).
- Upserts on the idempotency keys make redelivery harmless: the same key stored twice is one row.
  ``upsert_*`` returns True when the key was new. Ticks and chains keep the first write (a
  redelivery is a no-op); candles and surfaces keep the last one (a candle grows until it closes).
- Top-level fields ``timestamp``, ``processed_at``, ``enriched_at``, ``start_time``, ``end_time``,
  ``created_at``, ``replayed_at``, ``expires_at`` come back as datetimes; nested values come back
  as JSON (datetimes as ISO strings, NaN as None). MongoDB keeps milliseconds (BSON dates):
  timestamps are truncated to the millisecond there, keys and query bounds alike.
- Writes are visible to reads as soon as the awaited call returns. On SQLite, concurrent writes
  from many coroutines share one transaction, so keep several in flight for throughput.
- Nothing outside ``storage/`` opens the database directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

Record = dict[str, Any]
# What a write accepts: any mapping, so a typed payload (``enrichment.events``) goes in as built.
RecordLike = Mapping[str, Any]


class Storage(Protocol):
    """The lifecycle and health of a backend, driven by the composition root."""

    @property
    def name(self) -> str:  # "sqlite" | "mongo"
        ...

    async def start(self) -> None:
        """Connect and apply pending migrations (idempotent)."""

    async def close(self) -> None:
        """Flush pending writes and disconnect."""

    async def ping(self) -> bool: ...

    async def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in ``schema_migrations``, in order applied."""


class Purgeable(Protocol):
    """Retention: what :class:`deltastream.storage.retention.RetentionComponent` calls."""

    async def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        """Delete ticks, chains, candles, surfaces and logs older than ``cutoff`` (and revoked tokens
        that expired before it); returns counts per table. Users, alerts and dead letters are kept.
        Mongo also has TTL indexes; SQLite relies on this (``RetentionComponent`` calls it
        periodically) and then returns the freed pages to the file system."""
