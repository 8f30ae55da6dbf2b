"""The async Repository protocol. Every backend implements all of it and passes one contract suite.

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
- A context touches only its own tables through this protocol; nothing outside ``storage/`` opens
  the database directly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

Record = dict[str, Any]


@runtime_checkable
class Repository(Protocol):
    name: str  # "sqlite" | "mongo"

    # lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect and apply pending migrations (idempotent)."""

    async def close(self) -> None:
        """Flush pending writes and disconnect."""

    async def ping(self) -> bool: ...

    async def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in ``schema_migrations``, in order applied."""

    # underlying ticks: key (product, timestamp) ------------------------------------------------
    async def upsert_tick(self, tick: Record) -> bool:
        """Store ``{product, price, timestamp, tick_id?, volume?, change?, change_pct?, ...}``."""

    async def upsert_ticks(self, ticks: list[Record]) -> int:
        """Batch form of :meth:`upsert_tick`; returns how many keys were new."""

    async def list_ticks(
        self, product: str, start: datetime | None = None, end: datetime | None = None, limit: int = 100
    ) -> list[Record]: ...

    async def latest_tick(self, product: str) -> Record | None: ...

    # enriched option chains: key (product, expiry, timestamp) -----------------------------------
    async def upsert_chain(self, chain: Record, *, data: bytes | None = None) -> bool:
        """Store a whole enriched chain (``product``, ``expiry`` "YYYY-MM-DD", ``timestamp``...).

        ``data``, when given, must be ``jsonx.dumps(chain)``: a caller that already encoded the
        chain (to cache it too) passes the bytes so a backend storing JSON need not encode again.
        Backends that store documents ignore it.
        """

    async def list_chains(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 10,
    ) -> list[Record]: ...

    async def latest_chain(self, product: str, expiry: str) -> Record | None: ...

    async def previous_chain(self, product: str, expiry: str, before: datetime) -> Record | None:
        """The newest stored chain of (product, expiry) strictly older than ``before``."""

    async def list_chain_summaries(
        self,
        product: str,
        expiry: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        """Scalar fields only, for history endpoints: ``product, expiry, timestamp, spot_price,
        pcr_oi, pcr_volume, atm_strike, atm_iv, atm_straddle_price, max_pain_strike``."""

    async def list_expiries(self, product: str, since: datetime | None = None) -> list[str]:
        """Distinct expiries with at least one stored chain (optionally newer than ``since``), ascending."""

    # OHLC candles: key (product, window_minutes, start_time) -------------------------------------
    async def upsert_candle(self, candle: Record) -> bool: ...

    async def list_candles(
        self,
        product: str,
        window_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Record]:
        """Newest ``start_time`` first; the range filters on ``start_time``."""

    # volatility surfaces: key (product, timestamp) -----------------------------------------------
    async def upsert_surface(self, surface: Record) -> bool: ...

    async def latest_surface(self, product: str) -> Record | None: ...

    async def list_surfaces(
        self, product: str, start: datetime | None = None, end: datetime | None = None, limit: int = 10
    ) -> list[Record]: ...

    # users: unique email (case-insensitive) -------------------------------------------------------
    async def create_user(self, email: str, password_hash: str, name: str) -> Record:
        """Returns ``{id, email, name, password_hash, created_at, is_admin}``; ``id`` is a str.
        Raises :class:`deltastream.core.errors.ConflictError` if the e-mail exists."""

    async def get_user_by_email(self, email: str) -> Record | None: ...

    async def get_user(self, user_id: str) -> Record | None: ...

    async def revoke_token(self, jti: str, expires_at: datetime) -> bool:
        """Record a used/revoked token id; returns False if it was already revoked (rotation)."""

    async def is_token_revoked(self, jti: str) -> bool: ...

    # dead letters -----------------------------------------------------------------------------------
    async def add_dead_letter(self, record: Record) -> str:
        """Store ``{source, reason, error, payload, attempts, timestamp}``; returns the new id (str)."""

    async def list_dead_letters(
        self, source: str | None = None, include_replayed: bool = False, limit: int = 100
    ) -> list[Record]:
        """Newest first; each has ``id`` and ``replayed_at`` (None until replayed)."""

    async def get_dead_letter(self, dead_letter_id: str) -> Record | None: ...

    async def mark_dead_letter_replayed(self, dead_letter_id: str, at: datetime) -> bool:
        """Set ``replayed_at``; False when no dead letter has that id (an unknown id is not an error)."""

    async def count_dead_letters(self) -> int:
        """How many dead letters are waiting (not yet replayed), as listed by default."""

    # logs: (service, level, timestamp) -----------------------------------------------------------
    async def insert_logs(self, records: list[Record]) -> int:
        """Store ``{service, level, message, timestamp, request_id?, extra?}`` records; returns how many.

        ``level`` is stored upper-case; a missing ``timestamp`` means now."""

    async def query_logs(
        self,
        service: str,
        level: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        q: str | None = None,
        limit: int = 100,
    ) -> list[Record]:
        """Newest first; ``level`` matches case-insensitively; ``q`` is a literal, case-insensitive
        substring of ``message`` (no wildcards or patterns)."""

    # alert rules -------------------------------------------------------------------------------
    async def create_alert(self, rule: Record) -> Record:
        """Store ``{user_id, product, metric, op, threshold, expiry?, cooldown_s?}``; returns it with ``id``."""

    async def list_alerts(self, user_id: str | None = None) -> list[Record]:
        """Oldest first; every user's rules when ``user_id`` is None (for the evaluator)."""

    async def delete_alert(self, user_id: str, alert_id: str) -> bool:
        """Delete one of ``user_id``'s rules; False if it does not exist or belongs to someone else."""

    # retention ---------------------------------------------------------------------------------------
    async def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        """Delete ticks, chains, candles, surfaces and logs older than ``cutoff`` (and revoked tokens
        that expired before it); returns counts per table. Users, alerts and dead letters are kept.
        Mongo also has TTL indexes; SQLite relies on this (``RetentionComponent`` calls it
        periodically) and then returns the freed pages to the file system."""
