"""What the deadletters context stores: ``DeadLetterStore``, over the ``dead_letters`` table
(this context's own). Other contexts only add dead letters, through the kernel's
:class:`deltastream.core.deadletters.DeadLetterSink` port. The storage backends implement this
protocol structurally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from deltastream.storage import Record


class DeadLetterStore(Protocol):
    async def add_dead_letter(self, record: Record) -> str:
        """Store ``{source, reason, error, payload, attempts, timestamp}``; returns the new id (str)."""

    async def list_dead_letters(
        self, source: str | None = None, include_replayed: bool = False, limit: int = 100
    ) -> list[Record]:
        """Newest first; each has ``id`` and ``replayed_at`` (None until replayed)."""

    async def get_dead_letter(self, dead_letter_id: str) -> Record | None: ...

    async def mark_dead_letter_replayed(self, dead_letter_id: str, at: datetime) -> bool:
        """Set ``replayed_at``; False when no dead letter has that id (an unknown id is not an error)."""
