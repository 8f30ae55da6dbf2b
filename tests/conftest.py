"""Shared fixtures: real Redis, a Mongo wire server, temporary SQLite files, settings.

Plugins: ``tests.fixtures.servers`` (Redis, MongoDB), ``tests.fixtures.runtimes`` (enrichment
runtimes) and ``tests.fixtures.api`` (the in-process ``api``). Payload factories: ``tests.factories``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deltastream.settings import Settings

pytest_plugins = ["tests.fixtures.servers", "tests.fixtures.runtimes", "tests.fixtures.api"]


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "deltastream.db"


@pytest.fixture
def settings(sqlite_path: Path) -> Settings:
    """Embedded settings on a temporary SQLite file, a fixed feed seed and a fast feed."""
    return Settings(
        env="test",
        sqlite_path=sqlite_path,
        feed_seed=7,
        feed_interval=0.05,
        redis_url=None,
        mongo_url=None,
        log_format="json",
        log_level="WARNING",
    )
