"""The task queue: one per process, shared by the dispatcher, the worker and dead-letter replays.

Built by the composition root with the pipeline its tasks run against. In ``run`` (every role in
one process) the dispatcher and the worker share it: the in-memory broker runs a task as soon as
the dispatcher kicks it, and a Redis broker both sends and listens. Its users take a share with
:meth:`TaskQueue.acquire` and give it back with :meth:`TaskQueue.release`: the first one starts
the broker, the last one drains it and shuts it down (a later first user gets a fresh broker, as
a shut-down taskiq broker is not restarted). A replay borrows it for one operation.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask

from deltastream.core.logging import get_logger
from deltastream.enrichment.broker import BoundedInMemoryBroker, create_broker
from deltastream.enrichment.pipeline import Pipeline
from deltastream.enrichment.tasks import ENQUEUED_AT_LABEL, register_tasks

log = get_logger("enrichment")

_DRAIN_TIMEOUT_S = 5.0


class TaskQueue:
    """A broker with the enrichment tasks registered on it, started while it has users."""

    def __init__(self, pipeline: Pipeline, broker_factory: Callable[[], AsyncBroker] | None = None) -> None:
        self.pipeline = pipeline
        self._new_broker = broker_factory or (lambda: create_broker(pipeline.settings))
        self.users = 0
        self._install(self._new_broker())

    def _install(self, broker: AsyncBroker) -> None:
        self.broker: AsyncBroker = broker
        self.tasks: dict[str, AsyncTaskiqDecoratedTask[Any, Any]] = register_tasks(broker, self.pipeline)
        self._spent = False

    async def send(self, task_name: str, **kwargs: Any) -> None:
        """Enqueue ``task_name`` with JSON-safe ``kwargs`` (taskiq's ``SendTaskError`` if it cannot)."""
        task = self.tasks.get(task_name)
        if task is None:
            raise KeyError(f"unknown enrichment task {task_name!r}")
        # The enqueue time travels as a taskiq label (not a task argument): the worker's
        # QueueWaitMiddleware turns it into the ``queue_wait`` stage.
        await task.kicker().with_labels(**{ENQUEUED_AT_LABEL: time.time()}).kiq(**kwargs)

    async def drain(self) -> None:
        """Wait for tasks running in this process (in-memory broker) to finish."""
        if isinstance(self.broker, BoundedInMemoryBroker):
            await self.broker.drain(_DRAIN_TIMEOUT_S)

    async def acquire(self, *, worker: bool = False) -> None:
        """Take one share; the first starts the broker. ``worker`` marks this process a consumer."""
        if self.users == 0 and self._spent:
            self._install(self._new_broker())
        if worker:
            self.broker.is_worker_process = True
        self.users += 1
        if self.users == 1:
            try:
                await self.broker.startup()
            except BaseException:
                self.users -= 1
                self._spent = True
                raise

    async def release(self) -> None:
        """Give one share back; the last one drains and shuts the broker down."""
        if self.users <= 0:
            return
        self.users -= 1
        if self.users > 0:
            return
        await self.drain()
        self._spent = True
        try:
            await self.broker.shutdown()
        except Exception as exc:  # shutting down: nothing left to protect, but say why
            log.warning("task_broker_shutdown_failed", error=repr(exc))

    @contextlib.asynccontextmanager
    async def borrowed(self) -> AsyncIterator[TaskQueue]:
        """The queue for one operation (a replay from the API or the CLI)."""
        await self.acquire()
        try:
            yield self
        finally:
            await self.release()
