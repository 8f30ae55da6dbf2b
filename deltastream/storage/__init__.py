"""Storage infrastructure: the SQLite (embedded) and MongoDB backends, and retention.

:func:`create_repository` returns one backend object that implements every context's repository
protocol (``auth.repository.UserStore``, ``enrichment.repository.MarketWriter``,
``marketdata.repository.MarketReader``, ``deadletters.repository.DeadLetterStore``) plus the
:class:`Storage` lifecycle; the composition root hands each context that object typed as the
context's own protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deltastream.storage.protocol import Purgeable, Record, RecordLike, Storage

if TYPE_CHECKING:
    from deltastream.settings import Settings
    from deltastream.storage.mongo import MongoRepository
    from deltastream.storage.sqlite import SQLiteRepository

__all__ = ["Purgeable", "Record", "RecordLike", "Storage", "create_repository"]


def create_repository(settings: Settings) -> SQLiteRepository | MongoRepository:
    """MongoDB when ``DELTASTREAM_MONGO_URL`` is set, else SQLite at ``DELTASTREAM_SQLITE_PATH``."""
    if settings.mongo_url:
        from deltastream.storage.mongo import MongoRepository

        return MongoRepository(
            settings.mongo_url, database=settings.mongo_db, retention_seconds=settings.retention_seconds
        )
    from deltastream.storage.sqlite import SQLiteRepository

    return SQLiteRepository(settings.sqlite_path)
