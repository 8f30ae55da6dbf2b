"""The event bus protocol shared by every backend.

Topics keep the seed's Redis channel names (``market:underlying``, ``enriched:option_chain`` ...).
Subscriptions take glob patterns as Redis ``PSUBSCRIBE`` does (``enriched:*``). Payloads are JSON
objects; the bus stamps a ``schema`` version on every message that lacks one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from deltastream.core import jsonx
from deltastream.core.metrics import BUS_DROPPED_TOTAL

SCHEMA_VERSION = 1

TOPIC_MARKET_UNDERLYING = "market:underlying"
TOPIC_MARKET_CHAIN = "market:option_chain"
TOPIC_ENRICHED_UNDERLYING = "enriched:underlying"
TOPIC_ENRICHED_CHAIN = "enriched:option_chain"
TOPIC_ENRICHED_OHLC = "enriched:ohlc"
TOPIC_ENRICHED_SURFACE = "enriched:surface"
TOPIC_ALERTS = "alerts:fired"
TOPIC_LOGS = "logs:all"


@dataclass(slots=True)
class Message:
    """One delivered event. ``data`` is the encoded JSON, kept so fan-out never re-serialises.

    ``published_at`` (wall clock, epoch seconds) is metadata, never part of the payload: the
    in-process bus stamps it when the message is published, the Redis bus when this process
    receives it (Redis pub/sub carries the payload bytes only). The per-stage latency histogram
    measures ``feed_dispatch`` and ``bus_socket`` from it.
    """

    topic: str
    payload: dict[str, Any]
    data: bytes = field(default=b"", repr=False)
    published_at: float = field(default_factory=time.time, repr=False)

    def raw(self) -> bytes:
        if not self.data:
            self.data = jsonx.dumps(self.payload)
        return self.data


def stamp(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return the payload as a dict carrying a ``schema`` version."""
    if "schema" in payload and isinstance(payload, dict):
        return payload
    return {**payload, "schema": payload.get("schema", SCHEMA_VERSION)}


def matches(patterns: tuple[str, ...], topic: str) -> bool:
    return any(fnmatch.fnmatchcase(topic, p) for p in patterns)


class Subscription:
    """A bounded mailbox for one subscriber, iterated with ``async for``.

    When the mailbox is full the *oldest* message is dropped and counted: a slow subscriber loses
    stale data instead of blocking the publisher or the other subscribers.
    """

    def __init__(self, patterns: tuple[str, ...], maxsize: int, on_close: Any = None) -> None:
        self.patterns = patterns
        self.dropped = 0
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue(maxsize=maxsize)
        self._closed = False
        self._on_close = on_close

    def wants(self, topic: str) -> bool:
        return matches(self.patterns, topic)

    def offer(self, message: Message) -> bool:
        """Enqueue without blocking; returns False if an old message had to be dropped."""
        if self._closed:
            return True
        try:
            self._queue.put_nowait(message)
            return True
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):  # raced with a consumer
                self._queue.get_nowait()
            self.dropped += 1
            BUS_DROPPED_TOTAL.inc()
            self._queue.put_nowait(message)
            return False

    async def get(self, timeout: float | None = None) -> Message:  # noqa: ASYNC109 - mirrors Queue.get
        """Wait for the next message (``TimeoutError`` after ``timeout`` seconds)."""
        item = await asyncio.wait_for(self._queue.get(), timeout)
        if item is None:
            # Put the end marker back: a closed subscription stays ended for every later reader.
            self._queue.put_nowait(None)
            raise StopAsyncIteration
        return item

    def qsize(self) -> int:
        return self._queue.qsize()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._on_close is not None:
            await self._on_close(self)
        while True:
            try:
                self._queue.put_nowait(None)
                break
            except asyncio.QueueFull:
                self._queue.get_nowait()

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        return await self.get()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


@runtime_checkable
class EventBus(Protocol):
    """Publish/subscribe. ``subscribe`` returns a :class:`Subscription` (async iterator)."""

    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None: ...

    async def subscribe(self, *patterns: str, maxsize: int | None = None) -> Subscription: ...

    async def ping(self) -> bool: ...

    @property
    def dropped(self) -> int: ...
