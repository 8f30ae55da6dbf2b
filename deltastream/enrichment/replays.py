"""Replays: how the deadletters context sends a dead letter back into the pipeline.

Built by the composition root and handed to :class:`deltastream.deadletters.service.DeadLetters`
(which types it by its own ``Replayer`` protocol), so deadletters never imports enrichment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deltastream.core.deadletters import DeadLetterSink
from deltastream.enrichment import keys
from deltastream.enrichment.events import MARKET_TOPICS
from deltastream.enrichment.queue import TaskQueue
from deltastream.enrichment.service import dispatch_message


class Replays:
    """What the deadletters context replays through: a task sent again, or a market message
    dispatched again (re-validated, so a still-invalid one becomes a new dead letter).

    Each call borrows the process's task queue for its duration (see :class:`TaskQueue`).
    """

    def __init__(self, queue: TaskQueue, dead_letters: DeadLetterSink) -> None:
        self._queue = queue
        self._dead_letters = dead_letters

    @staticmethod
    def is_task(name: str) -> bool:
        return name in keys.TASK_NAMES

    @staticmethod
    def is_market_topic(topic: str) -> bool:
        return topic in MARKET_TOPICS

    async def resend_task(self, task: str, kwargs: dict[str, Any]) -> None:
        async with self._queue.borrowed() as queue:
            await queue.send(task, **kwargs)

    async def redispatch(self, topic: str, payload: Mapping[str, Any]) -> tuple[bool, tuple[str, ...]]:
        """``(accepted, new dead letter ids)`` of one market message sent through the dispatcher."""
        async with self._queue.borrowed() as queue:
            outcome = await dispatch_message(queue, self._dead_letters, topic, payload)
        return outcome.accepted, outcome.dead_letter_ids
