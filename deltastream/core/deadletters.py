"""Recording dead letters: one shape for every context that rejects or gives up on a message.

A dead letter is ``{source, reason, error, payload, attempts, timestamp}`` plus where it came
from (``topic`` for bus messages, ``task`` for queued tasks) so that it can be replayed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from deltastream.core.clock import utcnow
from deltastream.core.logging import get_logger
from deltastream.core.metrics import DEAD_LETTERS_TOTAL

log = get_logger("deadletter")


class DeadLetterSink(Protocol):
    async def add_dead_letter(self, record: dict[str, Any]) -> str: ...


async def record_dead_letter(
    sink: DeadLetterSink,
    *,
    source: str,
    reason: str,
    error: str,
    payload: Any,
    attempts: int = 1,
    topic: str | None = None,
    task: str | None = None,
    at: datetime | None = None,
) -> str:
    """Store one dead letter, count it in ``deltastream_dead_letters_total{reason}``, return its id."""
    record = {
        "source": source,
        "reason": reason,
        "error": error[:2000],
        "payload": payload,
        "attempts": attempts,
        "topic": topic,
        "task": task,
        "timestamp": at or utcnow(),
    }
    dead_letter_id = await sink.add_dead_letter(record)
    DEAD_LETTERS_TOTAL.labels(reason=reason).inc()
    log.warning("dead_lettered", id=dead_letter_id, source=source, reason=reason, error=record["error"][:200])
    return dead_letter_id
