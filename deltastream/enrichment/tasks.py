"""The taskiq tasks: thin wrappers that run a service use case with retries, then dead-letter it.

Tasks are plain functions registered on a broker built at run time (:func:`register_tasks`), never
decorated at import. Each one takes a small JSON-safe payload, names its idempotency key, and
gets its backends through ``TaskiqDepends(pipeline_from_state)``.

Failure policy (SPEC §5): ``settings.task_retries`` tries in total, with exponential backoff
between them (``RETRY_BASE_S``, doubling, capped at ``RETRY_MAX_S``), inside the task. After the
last try the task records a dead letter ``{source: "enrichment", reason: "task_failed", task,
payload: <the task's kwargs>, attempts, error}`` and returns normally, so the queue acknowledges
it: a failing message is never redelivered forever. Replaying the dead letter re-sends the task
with the same kwargs (see :mod:`deltastream.deadletters.service`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from taskiq import (
    AsyncBroker,
    AsyncTaskiqDecoratedTask,
    TaskiqDepends,
    TaskiqEvents,
    TaskiqMessage,
    TaskiqMiddleware,
    TaskiqState,
)
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from deltastream.core.deadletters import record_dead_letter
from deltastream.core.logging import get_logger
from deltastream.core.metrics import observe_stage
from deltastream.enrichment import keys, service
from deltastream.enrichment.pipeline import STATE_KEY, Pipeline, pipeline_from_state

log = get_logger("enrichment")

RETRY_BASE_S = 0.2
RETRY_MAX_S = 5.0
ENQUEUED_AT_LABEL = "enqueued_at"


class QueueWaitMiddleware(TaskiqMiddleware):
    """Observes the ``queue_wait`` stage: enqueue time (a label set by ``TaskQueue.send``) to
    the moment the task starts, in whichever process runs it."""

    def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        try:
            enqueued = float(message.labels[ENQUEUED_AT_LABEL])
        except (KeyError, TypeError, ValueError):
            return message  # a task sent without the label (an older sender): nothing to measure
        observe_stage("queue_wait", time.time() - enqueued)
        return message


async def run_reliably(
    pipeline: Pipeline, task_name: str, payload: dict[str, Any], body: Callable[[], Awaitable[Any]]
) -> bool:
    """Run ``body`` with retries; on final failure record a dead letter. True if it succeeded."""
    attempts = 0
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(pipeline.settings.task_retries),
            wait=wait_exponential(multiplier=RETRY_BASE_S, max=RETRY_MAX_S),
            reraise=True,
        ):
            with attempt:
                attempts += 1
                await body()
        return True
    except Exception as exc:
        log.warning("task_failed", task=task_name, attempts=attempts, error=repr(exc)[:300])
        await record_dead_letter(
            pipeline.dead_letters,
            source=keys.DEAD_LETTER_SOURCE,
            reason="task_failed",
            error=f"{type(exc).__name__}: {exc}",
            payload=payload,
            attempts=attempts,
            task=task_name,
        )
        return False


async def process_tick(tick: dict[str, Any], pipeline: Pipeline = TaskiqDepends(pipeline_from_state)) -> None:
    """Store, cache and publish one validated underlying tick.

    Idempotency key: (product, timestamp). A repeat stores nothing and publishes nothing.
    """
    await run_reliably(
        pipeline, keys.TASK_PROCESS_TICK, {"tick": tick}, lambda: service.process_tick(pipeline, tick)
    )


async def compute_ohlc(tick: dict[str, Any], pipeline: Pipeline = TaskiqDepends(pipeline_from_state)) -> None:
    """Fold one tick into the 1, 5 and 15-minute candles of its product.

    Idempotency key: (product, window, start_time) for candles; a tick at or before a candle's
    last tick time is not counted again.
    """
    await run_reliably(
        pipeline, keys.TASK_COMPUTE_OHLC, {"tick": tick}, lambda: service.update_candles(pipeline, tick)
    )


async def enrich_chain(
    chain: dict[str, Any], pipeline: Pipeline = TaskiqDepends(pipeline_from_state)
) -> None:
    """Enrich, store, cache and publish one validated option chain.

    Idempotency key: (product, expiry, timestamp). A repeat is neither stored, counted nor published.
    """
    await run_reliably(
        pipeline,
        keys.TASK_ENRICH_CHAIN,
        {"chain": chain},
        lambda: service.enrich_and_store_chain(pipeline, chain),
    )


async def compute_surface(
    product: str, as_of: datetime | None = None, pipeline: Pipeline = TaskiqDepends(pipeline_from_state)
) -> None:
    """Build the volatility surface of ``product`` from the latest chain of each live expiry.

    Idempotency key: (product, timestamp of the newest chain used); a rerun overwrites the same row.
    """
    payload = {"product": product, "as_of": as_of}
    await run_reliably(
        pipeline,
        keys.TASK_COMPUTE_SURFACE,
        payload,
        lambda: service.build_and_store_surface(pipeline, product, as_of),
    )


TASKS: dict[str, Callable[..., Awaitable[None]]] = {
    keys.TASK_PROCESS_TICK: process_tick,
    keys.TASK_COMPUTE_OHLC: compute_ohlc,
    keys.TASK_ENRICH_CHAIN: enrich_chain,
    keys.TASK_COMPUTE_SURFACE: compute_surface,
}


def register_tasks(broker: AsyncBroker, pipeline: Pipeline) -> dict[str, AsyncTaskiqDecoratedTask[Any, Any]]:
    """Register every task on ``broker`` and hooks that install ``pipeline`` on its state.

    The hooks run on both client and worker start-up: an in-memory broker executes tasks in the
    process that kicks them, and a Redis worker in the process that listens.
    """

    async def _install(state: TaskiqState) -> None:
        state[STATE_KEY] = pipeline

    async def _remove(state: TaskiqState) -> None:
        state.pop(STATE_KEY, None)

    broker.add_middlewares(QueueWaitMiddleware())
    for event in (TaskiqEvents.CLIENT_STARTUP, TaskiqEvents.WORKER_STARTUP):
        broker.add_event_handler(event, _install)
    for event in (TaskiqEvents.CLIENT_SHUTDOWN, TaskiqEvents.WORKER_SHUTDOWN):
        broker.add_event_handler(event, _remove)
    return {name: broker.register_task(func, task_name=name) for name, func in TASKS.items()}
