"""The task executor: the ``worker`` role's component.

- Embedded: the in-memory broker runs each task in this process the moment the dispatcher kicks
  it, so the component only owns a share of the process's task queue (and its start-up hooks).
- Redis: it runs taskiq's :class:`~taskiq.receiver.Receiver` inside this event loop (not the
  taskiq CLI) on the task stream, as many workers as there are processes. If Redis goes away the
  receiver fails and is restarted after a short backoff (a consumer group lost with Redis' data
  is declared again by the broker's ``listen``); the messages it held stay pending until they
  are acknowledged or reclaimed.
"""

from __future__ import annotations

import asyncio
import contextlib

from taskiq import AcknowledgeType
from taskiq.receiver import Receiver

from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger
from deltastream.enrichment.broker import MAX_IN_FLIGHT, ReclaimingStreamBroker
from deltastream.enrichment.queue import TaskQueue

log = get_logger("enrichment")

_RESTART_MIN_S = 0.1
_RESTART_MAX_S = 2.0
_STOP_GRACE_S = 5.0


class EnrichmentWorker:
    """Component of the ``worker`` role: executes the enrichment tasks."""

    name = "enrichment-worker"

    def __init__(self, queue: TaskQueue, supervisor: Supervisor) -> None:
        self.restarts = 0
        self._queue = queue
        self._supervisor = supervisor
        self._holding = False
        self._finish = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._finish = asyncio.Event()
        self._stopping = False
        await self._queue.acquire(worker=True)
        self._holding = True
        broker = self._queue.broker
        if isinstance(broker, ReclaimingStreamBroker):
            self._task = self._supervisor.spawn(self._receive_forever(broker), "enrichment-receiver")

    async def stop(self) -> None:
        """Stop taking tasks, let the running ones finish (up to a grace period), then release."""
        self._stopping = True
        if self._task is not None:
            if isinstance(self._queue.broker, ReclaimingStreamBroker):
                self._queue.broker.request_stop()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), _STOP_GRACE_S)
            except TimeoutError:
                self._finish.set()  # the receiver's own (cancelling) shutdown, as a last resort
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        if self._holding:
            self._holding = False
            await self._queue.release()

    async def _receive_forever(self, broker: ReclaimingStreamBroker) -> None:
        """Run the receiver until stopped; restart it with backoff if the broker connection fails."""
        delay = _RESTART_MIN_S
        while not self._stopping:
            receiver = Receiver(
                broker,
                run_startup=False,
                max_async_tasks=MAX_IN_FLIGHT,
                ack_type=AcknowledgeType.WHEN_EXECUTED,
            )
            try:
                await receiver.listen(self._finish)
                delay = _RESTART_MIN_S
            except Exception as exc:
                self.restarts += 1
                log.warning("task_receiver_restarting", error=repr(exc)[:300], in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RESTART_MAX_S)
