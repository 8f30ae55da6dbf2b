"""The taskiq brokers behind the enrichment tasks, and the per-runtime task queue that owns one.

- Embedded (no Redis): :class:`BoundedInMemoryBroker`, which runs each task in this event loop as
  soon as it is kicked, with at most ``max_in_flight`` running at once (the kicker waits for a slot,
  so a burst applies back-pressure instead of spawning thousands of tasks).
- Redis: :class:`ReclaimingStreamBroker`, taskiq-redis' ``RedisStreamBroker`` on the stream
  ``{prefix}deltastream:tasks`` with the consumer group ``deltastream-enrichment``. A message is
  acknowledged (``XACK``) only after its task returned; a message left pending by a killed worker
  is taken over by another worker's ``XAUTOCLAIM`` once idle for ``settings.task_idle_timeout``.
  Acknowledged entries are deleted, so the stream holds only the backlog.

No result backend is configured (taskiq's default ``DummyResultBackend`` stores nothing), so
nothing accumulates in Redis besides the bounded stream itself.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, AsyncBroker, InMemoryBroker
from taskiq.abc.formatter import TaskiqFormatter
from taskiq.exceptions import UnknownTaskError
from taskiq.message import BrokerMessage, TaskiqMessage
from taskiq_redis import RedisStreamBroker

from deltastream.core import jsonx
from deltastream.core.logging import get_logger
from deltastream.enrichment import keys
from deltastream.settings import Settings

log = get_logger("enrichment")

# How often an idle worker looks for messages abandoned by dead consumers.
_RECLAIM_EVERY_S = 1.0
_XREAD_BLOCK_MS = 1000
_XREAD_COUNT = 32
# Tasks one process runs at once (both brokers). They are short NumPy + I/O; more only queues.
MAX_IN_FLIGHT = 64
# Backlog cap (approximate trim on XADD): bounds Redis memory if the workers are down for long
# (about an hour of the default feed); the oldest unprocessed tasks are dropped beyond it.
STREAM_MAXLEN = 100_000


class JsonFormatter(TaskiqFormatter):
    """Task messages to and from JSON with orjson (:mod:`deltastream.core.jsonx`) directly.

    The wire format is taskiq's own (``task_id, task_name, labels, labels_types, args, kwargs``);
    taskiq's default formatter first walks the arguments through pydantic's ``model_dump``,
    which for a chain costs more than enriching it. Datetimes travel as ISO ``Z`` strings.
    """

    def dumps(self, message: TaskiqMessage) -> BrokerMessage:
        data = jsonx.dumps(
            {
                "task_id": message.task_id,
                "task_name": message.task_name,
                "labels": message.labels,
                "labels_types": message.labels_types,
                "args": message.args,
                "kwargs": message.kwargs,
            }
        )
        return BrokerMessage(
            task_id=message.task_id, task_name=message.task_name, message=data, labels=message.labels
        )

    def loads(self, message: bytes) -> TaskiqMessage:
        return TaskiqMessage.model_validate(jsonx.loads(message))


class BoundedInMemoryBroker(InMemoryBroker):
    """``InMemoryBroker`` whose ``kick`` waits while ``max_in_flight`` tasks are already running."""

    def __init__(self, max_in_flight: int = 64) -> None:
        super().__init__(max_async_tasks=max_in_flight, await_inplace=False)
        self._slots = asyncio.Semaphore(max_in_flight)

    async def kick(self, message: BrokerMessage) -> None:
        if self.find_task(message.task_name) is None:
            raise UnknownTaskError(task_name=message.task_name)
        await self._slots.acquire()
        task = asyncio.create_task(self.receiver.callback(message=message.message))
        self._running_tasks.add(task)
        task.add_done_callback(self._running_tasks.discard)
        task.add_done_callback(lambda _: self._slots.release())

    async def drain(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for the running tasks (used before shutdown)."""
        running = list(self._running_tasks)
        if running:
            await asyncio.wait(running, timeout=timeout_s)


class ReclaimingStreamBroker(RedisStreamBroker):
    """``RedisStreamBroker`` that also reclaims abandoned messages while the stream is idle.

    Upstream ``listen`` runs ``XAUTOCLAIM`` only after a read that returned messages, so a task
    held by a killed worker would wait for the next new message to be redelivered. Here every
    loop (at most ``xread_block`` apart) reclaims messages idle for longer than ``idle_timeout``
    ms, and a consumer group lost with a restarted Redis is declared again.
    """

    stopping = False
    """Set by :meth:`request_stop`: ``listen`` returns after its current read (at most
    ``xread_block`` ms), so a worker stops without cancelling a blocked Redis read."""

    def request_stop(self) -> None:
        self.stopping = True

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        last_reclaim = 0.0
        async with Redis(connection_pool=self.connection_pool) as conn:
            while not self.stopping:
                try:
                    fetched: Any = await conn.xreadgroup(
                        self.consumer_group_name,
                        self.consumer_name,
                        {self.queue_name: ">"},
                        block=self.block,
                        noack=False,
                        count=self.count,
                    )
                except ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    log.warning("task_group_recreated", stream=self.queue_name)
                    await self._declare_consumer_group()
                    continue
                for _stream, entries in fetched or ():
                    for msg_id, fields in entries:
                        yield self._ackable(msg_id, fields)
                if time.monotonic() - last_reclaim < _RECLAIM_EVERY_S:
                    continue
                last_reclaim = time.monotonic()
                reclaimed: Any = await conn.xautoclaim(
                    name=self.queue_name,
                    groupname=self.consumer_group_name,
                    consumername=self.consumer_name,
                    min_idle_time=self.idle_timeout,
                    count=self.unacknowledged_batch_size,
                )
                for msg_id, fields in reclaimed[1]:
                    if fields and not self.stopping:  # entries trimmed from the stream come back empty
                        log.info("task_reclaimed", message_id=_text(msg_id), consumer=self.consumer_name)
                        yield self._ackable(msg_id, fields)

    def _ackable(self, msg_id: Any, fields: dict[bytes, bytes]) -> AckableMessage:
        return AckableMessage(data=fields[b"data"], ack=self._ack_and_delete(msg_id))

    def _ack_and_delete(self, msg_id: Any) -> Callable[[], Awaitable[None]]:
        """``XACK`` then ``XDEL``: with one consumer group a done task is never needed again, so
        the stream holds only queued and in-flight tasks (its memory follows the backlog)."""

        async def _ack() -> None:
            try:
                async with Redis(connection_pool=self.connection_pool) as conn:
                    pipe = conn.pipeline(transaction=True)
                    pipe.xack(self.queue_name, self.consumer_group_name, msg_id)
                    pipe.xdel(self.queue_name, msg_id)
                    await pipe.execute()
            except (RedisConnectionError, RedisTimeoutError, ResponseError) as exc:
                # Unacknowledged, the task is redelivered after the idle timeout (if the stream
                # survived); its writes are idempotent, so that costs only the rerun.
                log.warning("task_ack_failed", message_id=_text(msg_id), error=repr(exc))

        return _ack


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def consumer_name() -> str:
    """``host:pid:random``: unique per process, and readable in ``XINFO CONSUMERS``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def create_broker(settings: Settings) -> AsyncBroker:
    """The broker for these settings (not started). Tasks are registered by the caller."""
    broker: AsyncBroker
    if settings.embedded:
        broker = BoundedInMemoryBroker(max_in_flight=MAX_IN_FLIGHT)
    else:
        assert settings.redis_url is not None
        broker = ReclaimingStreamBroker(
            url=settings.redis_url,
            queue_name=keys.task_stream(settings.redis_prefix),
            consumer_group_name=keys.TASK_CONSUMER_GROUP,
            consumer_name=consumer_name(),
            # "0", not "$": a group (re)created after messages were queued (a fresh or restarted
            # Redis) must still deliver them.
            consumer_id="0",
            xread_block=_XREAD_BLOCK_MS,
            xread_count=_XREAD_COUNT,
            maxlen=STREAM_MAXLEN,
            approximate=True,
            idle_timeout=max(1, round(settings.task_idle_timeout * 1000)),
            unacknowledged_batch_size=_XREAD_COUNT,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 8),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            socket_connect_timeout=2.0,
            socket_timeout=_XREAD_BLOCK_MS / 1000 + 5.0,
        )
    return broker.with_formatter(JsonFormatter())
