"""SQLite backend (embedded default)."""

from deltastream.storage.sqlite.repository import SQLiteRepository

__all__ = ["SQLiteRepository"]
