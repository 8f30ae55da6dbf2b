"""Dead letters: list them, replay them (the service behind ``/api/dead-letters`` and the CLI).

Every context records its rejects through the kernel's ``record_dead_letter``; this is their one
home for reading and replaying them.

A dead letter is replayed the way it was lost:

- ``task`` set (a task that failed every retry, or could not be enqueued): the task is sent
  again with the stored kwargs (``payload``);
- ``topic`` is a market topic (a message rejected by the dispatcher or the feed): it goes
  through the dispatcher again, so it is re-validated; if it is still invalid a *new* dead
  letter records that, and the outcome says ``accepted: false``;
- any other ``topic``: the payload is published on it again.

The record is then marked replayed. Replays are safe to repeat (every write is idempotent), but
a record already marked replayed is refused with 409 so that two operators do not both act.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from deltastream.core.clock import utcnow
from deltastream.core.errors import ConflictError, NotFoundError, ValidationFailed
from deltastream.core.logging import get_logger
from deltastream.deadletters.repository import DeadLetterStore
from deltastream.storage import Record

log = get_logger("deadletters")


class Replayer(Protocol):
    """How a dead letter goes back into the pipeline (``enrichment.service.Replays``)."""

    def is_task(self, name: str) -> bool: ...

    def is_market_topic(self, topic: str) -> bool: ...

    async def resend_task(self, task: str, kwargs: dict[str, Any]) -> None: ...

    async def redispatch(self, topic: str, payload: Mapping[str, Any]) -> tuple[bool, tuple[str, ...]]: ...


Publish = Callable[[str, dict[str, Any]], Awaitable[Any]]


class DeadLetters:
    """List and replay dead letters; built by the composition root with its collaborators."""

    def __init__(self, store: DeadLetterStore, replayer: Replayer, publish: Publish) -> None:
        self.store = store
        self._replayer = replayer
        self._publish = publish

    async def list_dead_letters(
        self, source: str | None = None, include_replayed: bool = False, limit: int = 100
    ) -> list[Record]:
        """Dead letters newest first, each with ``id`` and ``replayed_at`` (None until replayed).

        ``source`` filters on the context that recorded them (``"enrichment"``, ``"feed"`` ...).
        """
        return await self.store.list_dead_letters(
            source=source, include_replayed=include_replayed, limit=limit
        )

    async def replay(self, dead_letter_id: str) -> dict[str, Any]:
        """Replay one dead letter.

        Returns ``{id, action: "task"|"dispatch"|"publish", target, accepted, new_dead_letter_ids,
        replayed_at}``. Raises :class:`NotFoundError` (404) for an unknown id, :class:`ConflictError`
        (409) if it was already replayed and :class:`ValidationFailed` (422) if it cannot be replayed.
        """
        record = await self.store.get_dead_letter(dead_letter_id)
        if record is None:
            raise NotFoundError(f"Dead letter {dead_letter_id} not found")
        if record.get("replayed_at") is not None:
            raise ConflictError(
                f"Dead letter {dead_letter_id} was already replayed",
                details={"replayed_at": record["replayed_at"]},
            )
        task, topic, payload = record.get("task"), record.get("topic"), record.get("payload")
        accepted = True
        new_ids: tuple[str, ...] = ()
        if task:
            if not self._replayer.is_task(task) or not isinstance(payload, dict):
                raise ValidationFailed(
                    f"Dead letter {dead_letter_id} names no replayable task", details={"task": task}
                )
            action, target = "task", task
            await self._replayer.resend_task(task, payload)
        elif topic and isinstance(payload, dict):
            target = topic
            if self._replayer.is_market_topic(topic):
                action = "dispatch"
                accepted, new_ids = await self._replayer.redispatch(topic, payload)
            else:
                action = "publish"
                await self._publish(topic, payload)
        else:
            raise ValidationFailed(
                f"Dead letter {dead_letter_id} has neither a task nor a topic with an object payload to replay"
            )
        replayed_at = utcnow()
        await self.store.mark_dead_letter_replayed(dead_letter_id, replayed_at)
        log.info("dead_letter_replayed", id=dead_letter_id, action=action, target=target, accepted=accepted)
        return {
            "id": dead_letter_id,
            "action": action,
            "target": target,
            "accepted": accepted,
            "new_dead_letter_ids": list(new_ids),
            "replayed_at": replayed_at,
        }

    async def replay_all(self, source: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Replay every not-yet-replayed dead letter (oldest first), up to ``limit``.

        A record that cannot be replayed is reported with ``error`` instead of stopping the batch.
        """
        pending = await self.list_dead_letters(source=source, include_replayed=False, limit=limit)
        outcomes: list[dict[str, Any]] = []
        for record in reversed(pending):
            try:
                outcomes.append(await self.replay(str(record["id"])))
            except (ConflictError, ValidationFailed, NotFoundError) as exc:
                outcomes.append({"id": str(record["id"]), "error": exc.message, "code": exc.code})
        return outcomes
