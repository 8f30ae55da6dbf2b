"""Dead letters: list them, replay them (the service behind ``/api/dead-letters`` and the CLI).

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

from typing import Any

from deltastream.core.clock import utcnow
from deltastream.core.errors import ConflictError, NotFoundError, ValidationFailed
from deltastream.core.logging import get_logger
from deltastream.enrichment import keys
from deltastream.enrichment.dispatcher import MARKET_TOPICS, dispatch_message
from deltastream.enrichment.queue import borrowed_queue
from deltastream.storage import Record, Repository

log = get_logger("enrichment")


async def list_dead_letters(
    repo: Repository, source: str | None = None, include_replayed: bool = False, limit: int = 100
) -> list[Record]:
    """Dead letters newest first, each with ``id`` and ``replayed_at`` (None until replayed).

    ``source`` filters on the context that recorded them (``"enrichment"``, ``"feed"`` ...).
    """
    return await repo.list_dead_letters(source=source, include_replayed=include_replayed, limit=limit)


async def replay_dead_letter(runtime: Any, dead_letter_id: str) -> dict[str, Any]:
    """Replay one dead letter through ``runtime`` (its repo, bus and task queue).

    Returns ``{id, action: "task"|"dispatch"|"publish", target, accepted, new_dead_letter_ids,
    replayed_at}``. Raises :class:`NotFoundError` (404) for an unknown id, :class:`ConflictError`
    (409) if it was already replayed and :class:`ValidationFailed` (422) if it cannot be replayed.
    """
    record = await runtime.repo.get_dead_letter(dead_letter_id)
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
        if task not in keys.TASK_NAMES or not isinstance(payload, dict):
            raise ValidationFailed(
                f"Dead letter {dead_letter_id} names no replayable task", details={"task": task}
            )
        action, target = "task", task
        async with borrowed_queue(runtime) as queue:
            await queue.send(task, **payload)
    elif topic and isinstance(payload, dict):
        target = topic
        if topic in MARKET_TOPICS:
            action = "dispatch"
            async with borrowed_queue(runtime) as queue:
                outcome = await dispatch_message(queue, runtime.repo, topic, payload)
            accepted, new_ids = outcome.accepted, outcome.dead_letter_ids
        else:
            action = "publish"
            await runtime.bus.publish(topic, payload)
    else:
        raise ValidationFailed(
            f"Dead letter {dead_letter_id} has neither a task nor a topic with an object payload to replay"
        )
    replayed_at = utcnow()
    await runtime.repo.mark_dead_letter_replayed(dead_letter_id, replayed_at)
    log.info("dead_letter_replayed", id=dead_letter_id, action=action, target=target, accepted=accepted)
    return {
        "id": dead_letter_id,
        "action": action,
        "target": target,
        "accepted": accepted,
        "new_dead_letter_ids": list(new_ids),
        "replayed_at": replayed_at,
    }


async def replay_dead_letters(
    runtime: Any, source: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Replay every not-yet-replayed dead letter (oldest first), up to ``limit``.

    A record that cannot be replayed is reported with ``error`` instead of stopping the batch.
    """
    pending = await list_dead_letters(runtime.repo, source=source, include_replayed=False, limit=limit)
    outcomes: list[dict[str, Any]] = []
    for record in reversed(pending):
        try:
            outcomes.append(await replay_dead_letter(runtime, str(record["id"])))
        except (ConflictError, ValidationFailed, NotFoundError) as exc:
            outcomes.append({"id": str(record["id"]), "error": exc.message, "code": exc.code})
    return outcomes
