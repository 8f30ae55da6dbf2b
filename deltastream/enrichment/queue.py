"""One task queue per runtime, shared by the dispatcher, the worker and dead-letter replays.

In ``run`` (every role in one process) the dispatcher and the worker share one broker: the
in-memory broker runs a task as soon as the dispatcher kicks it, and a Redis broker both sends
and listens. The queue is reference-counted on ``runtime.extras``: the first user starts the
broker, the last one drains it and shuts it down.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask

from deltastream.core.logging import get_logger
from deltastream.enrichment.broker import BoundedInMemoryBroker, create_broker
from deltastream.enrichment.dependencies import Pipeline
from deltastream.enrichment.tasks import register_tasks

log = get_logger("enrichment")

EXTRA_KEY = "enrichment.task_queue"
_DRAIN_TIMEOUT_S = 5.0


class TaskQueue:
    """A started broker with the enrichment tasks registered on it."""

    def __init__(self, runtime: Any) -> None:
        self.pipeline = Pipeline.from_runtime(runtime)
        self.broker: AsyncBroker = create_broker(runtime.settings)
        self.tasks: dict[str, AsyncTaskiqDecoratedTask[Any, Any]] = register_tasks(self.broker, self.pipeline)
        self.users = 0

    async def send(self, task_name: str, **kwargs: Any) -> None:
        """Enqueue ``task_name`` with JSON-safe ``kwargs`` (taskiq's ``SendTaskError`` if it cannot)."""
        task = self.tasks.get(task_name)
        if task is None:
            raise KeyError(f"unknown enrichment task {task_name!r}")
        await task.kiq(**kwargs)

    async def drain(self) -> None:
        """Wait for tasks running in this process (in-memory broker) to finish."""
        if isinstance(self.broker, BoundedInMemoryBroker):
            await self.broker.drain(_DRAIN_TIMEOUT_S)


async def acquire_queue(runtime: Any, *, worker: bool = False) -> TaskQueue:
    """The runtime's queue, created and started on first use. Pair with :func:`release_queue`."""
    queue: TaskQueue | None = runtime.extras.get(EXTRA_KEY)
    if queue is None:
        queue = TaskQueue(runtime)
        runtime.extras[EXTRA_KEY] = queue
    if worker:
        queue.broker.is_worker_process = True
    queue.users += 1
    if queue.users == 1:
        try:
            await queue.broker.startup()
        except BaseException:
            queue.users -= 1
            runtime.extras.pop(EXTRA_KEY, None)
            raise
    return queue


async def release_queue(runtime: Any) -> None:
    """Drop one use of the runtime's queue; the last one drains and shuts the broker down."""
    queue: TaskQueue | None = runtime.extras.get(EXTRA_KEY)
    if queue is None:
        return
    queue.users -= 1
    if queue.users > 0:
        return
    runtime.extras.pop(EXTRA_KEY, None)
    await queue.drain()
    try:
        await queue.broker.shutdown()
    except Exception as exc:  # shutting down: nothing left to protect, but say why
        log.warning("task_broker_shutdown_failed", error=repr(exc))


@contextlib.asynccontextmanager
async def borrowed_queue(runtime: Any) -> AsyncIterator[TaskQueue]:
    """The runtime's queue for one operation (a replay from the API or the CLI)."""
    queue = await acquire_queue(runtime)
    try:
        yield queue
    finally:
        await release_queue(runtime)
