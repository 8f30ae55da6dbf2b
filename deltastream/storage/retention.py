"""Retention: a component that purges rows older than ``settings.retention_seconds`` periodically.

SQLite has no TTL, so this is what keeps its disk use bounded under a continuous feed (the purge
also vacuums freed pages and truncates the WAL). On MongoDB the TTL indexes already expire data;
the purge there is a cheap, indexed ``delete_many`` that makes retention exact and prompt.
Registered for the roles that write (feed, worker); running it in several processes is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from deltastream.core.clock import utcnow
from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger
from deltastream.settings import Settings
from deltastream.storage.protocol import Purgeable

log = get_logger("storage")


class RetentionComponent:
    """Runs ``repo.purge_older_than(now - retention)`` at start and then every ``purge_interval`` s."""

    name = "retention"

    def __init__(self, settings: Settings, repo: Purgeable, supervisor: Supervisor) -> None:
        self.retention_s = settings.retention_seconds
        self.interval_s = settings.purge_interval
        self.last_counts: dict[str, int] | None = None
        self.runs = 0
        self._repo = repo
        self._supervisor = supervisor
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = self._supervisor.spawn(self._loop(), name="storage-retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def purge_once(self) -> dict[str, int]:
        """Delete what is older than the retention now; returns the counts per table."""
        cutoff = utcnow() - timedelta(seconds=self.retention_s)
        counts = await self._repo.purge_older_than(cutoff)
        self.last_counts = counts
        self.runs += 1
        return counts

    async def _loop(self) -> None:
        while True:
            try:
                await self.purge_once()
            except Exception as exc:  # a failed purge is retried next interval; it must not stop the role
                log.error("retention_purge_failed", error=repr(exc))
            await asyncio.sleep(self.interval_s)
