"""Storage context: the Repository protocol and its backends (SQLite embedded, MongoDB)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deltastream.storage.protocol import Record, Repository

if TYPE_CHECKING:
    from deltastream.settings import Settings

__all__ = ["Record", "Repository", "create_repository"]


def create_repository(settings: Settings) -> Repository:
    """MongoDB when ``DELTASTREAM_MONGO_URL`` is set, else SQLite at ``DELTASTREAM_SQLITE_PATH``."""
    if settings.mongo_url:
        from deltastream.storage.mongo import MongoRepository

        return MongoRepository(
            settings.mongo_url, database=settings.mongo_db, retention_seconds=settings.retention_seconds
        )
    from deltastream.storage.sqlite import SQLiteRepository

    return SQLiteRepository(settings.sqlite_path)
