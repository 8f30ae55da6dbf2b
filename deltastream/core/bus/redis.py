"""Redis pub/sub bus: ``PUBLISH {prefix}{topic}``, one shared ``PSUBSCRIBE`` reader per bus.

Delivery is at-most-once, as Redis pub/sub is: messages published while the reader is
reconnecting are lost (durable work goes through the task queue, not the bus). After a restart
the reader reconnects with backoff and re-subscribes every live pattern.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio.client import PubSub

from deltastream.core import jsonx
from deltastream.core import redis as rds
from deltastream.core.bus.base import Message, Subscription, stamp
from deltastream.core.logging import get_logger

log = get_logger("bus")

_GLOB_SPECIALS = re.compile(r"([*?\[\]\\])")
_ACK_TIMEOUT_S = 5.0
_RECOVERY_GRACE_S = 1.5
_UNEXPECTED_ERROR_PAUSE_S = 0.5


def _escape_glob(text: str) -> str:
    """Escape Redis glob characters so a prefix only ever matches itself."""
    return _GLOB_SPECIALS.sub(r"\\\1", text)


@dataclass(slots=True)
class _PatternRef:
    """One Redis pattern: the bus pattern it came from and how many subscriptions use it."""

    pattern: str
    refs: int = 0


def _first_match(sub: Subscription, topic: str) -> str | None:
    return next((p for p in sub.patterns if fnmatch.fnmatchcase(topic, p)), None)


class RedisBus:
    """EventBus over Redis pub/sub, shareable by every process that uses the same URL and prefix.

    ``publish`` retries for a bounded time during a Redis restart, then raises
    :class:`~deltastream.core.redis.RedisUnavailableError`. ``subscribe`` returns once Redis has
    acknowledged the patterns (or at once while disconnected: the reader subscribes on reconnect).
    ``Message.data`` holds the bytes exactly as received, so consumers can forward them as-is.
    """

    name = "redis"

    def __init__(
        self, url: str, prefix: str = "", maxsize: int = 10_000, *, retries: int = rds.DEFAULT_RETRIES
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._maxsize = maxsize
        self._client = rds.command_client(url, retries)
        self._listener = rds.fail_fast_client(url)
        self._pubsub: PubSub | None = None
        self._connected = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self._subs: list[Subscription] = []
        self._patterns: dict[bytes, _PatternRef] = {}  # keyed by the prefixed Redis pattern
        self._acks: dict[bytes, asyncio.Future[None]] = {}
        self._dropped_closed = 0
        self.malformed = 0
        """Messages on our channels that were not JSON objects (skipped, never delivered)."""

    def _redis_pattern(self, pattern: str) -> bytes:
        return (_escape_glob(self.prefix) + pattern).encode()

    async def start(self) -> None:
        """Check Redis answers (bounded retry) and start the shared reader task."""
        if self._reader is not None:
            return
        try:
            await self._client.ping()
        except rds.CONNECTION_ERRORS as exc:
            raise rds.unavailable(self.url, "bus start", exc) from exc
        self._reader = asyncio.create_task(self._read_forever(), name="redis-bus-reader")
        try:
            await asyncio.wait_for(self._connected.wait(), _ACK_TIMEOUT_S)
        except TimeoutError as exc:
            await self.close()
            raise rds.unavailable(self.url, "bus subscribe connection", exc) from exc

    async def close(self) -> None:
        self._closing = True
        for sub in list(self._subs):
            await sub.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._drop_pubsub()
        await self._client.aclose()
        await self._listener.aclose()

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        data = jsonx.dumps(stamp(payload))
        try:
            await self._client.publish(self.prefix + topic, data)
        except rds.CONNECTION_ERRORS as exc:
            raise rds.unavailable(self.url, f"publish to {topic!r}", exc) from exc

    async def subscribe(self, *patterns: str, maxsize: int | None = None) -> Subscription:
        if not patterns:
            raise ValueError("subscribe() needs at least one topic pattern")
        if self._closing:
            raise RuntimeError("the bus is closed")
        sub = Subscription(tuple(patterns), maxsize or self._maxsize, on_close=self._remove)
        self._subs.append(sub)
        new: list[bytes] = []
        in_flight: list[asyncio.Future[None]] = []
        for pattern in dict.fromkeys(patterns):
            key = self._redis_pattern(pattern)
            ref = self._patterns.setdefault(key, _PatternRef(pattern))
            ref.refs += 1
            if ref.refs == 1:
                new.append(key)
            elif key in self._acks:
                in_flight.append(self._acks[key])  # another subscribe() is waiting for this ack
        await self._psubscribe(new, in_flight)
        return sub

    async def _psubscribe(self, keys: list[bytes], in_flight: list[asyncio.Future[None]]) -> None:
        pubsub = self._pubsub
        if pubsub is None or not self._connected.is_set():
            return  # the reader subscribes every live pattern when it (re)connects
        if not keys and not in_flight:
            return
        loop = asyncio.get_running_loop()
        waits = [self._acks.setdefault(key, loop.create_future()) for key in keys]
        try:
            if keys:
                await pubsub.psubscribe(*keys)
            # Shielded: a timeout here must not cancel acks another subscribe() is waiting for.
            acks = asyncio.gather(*(asyncio.shield(f) for f in (*waits, *in_flight)))
            await asyncio.wait_for(acks, _ACK_TIMEOUT_S)
        except rds.CONNECTION_ERRORS as exc:  # includes TimeoutError: no ack in time
            log.warning("bus_subscribe_deferred", patterns=[k.decode() for k in keys], error=repr(exc))
        finally:
            for key in keys:
                self._acks.pop(key, None)

    async def _remove(self, sub: Subscription) -> None:
        if sub not in self._subs:
            return
        self._subs.remove(sub)
        self._dropped_closed += sub.dropped
        gone: list[bytes] = []
        for pattern in dict.fromkeys(sub.patterns):
            key = self._redis_pattern(pattern)
            ref = self._patterns.get(key)
            if ref is None:
                continue
            ref.refs -= 1
            if ref.refs <= 0:
                del self._patterns[key]
                gone.append(key)
        pubsub = self._pubsub
        if gone and pubsub is not None and self._connected.is_set() and not self._closing:
            try:
                await pubsub.punsubscribe(*gone)
            except rds.CONNECTION_ERRORS:
                pass  # a reconnect re-subscribes only live patterns, so these lapse anyway

    async def _read_forever(self) -> None:
        """The one reader: connect, subscribe live patterns, dispatch; reconnect on failure."""
        while True:
            try:
                async for attempt in rds.reconnect_forever():
                    with attempt:
                        await self._connect_reader()
                log.info("bus_reader_connected", patterns=len(self._patterns))
                await self._pump()
            except rds.CONNECTION_ERRORS as exc:
                log.warning("bus_reader_disconnected", error=repr(exc))
            except Exception as exc:  # keep the one reader alive: losing it silences every subscriber
                log.error("bus_reader_error", error=repr(exc))
                await asyncio.sleep(_UNEXPECTED_ERROR_PAUSE_S)
            finally:
                self._connected.clear()
                await self._drop_pubsub()

    async def _connect_reader(self) -> None:
        await self._drop_pubsub()
        pubsub = self._listener.pubsub()
        self._pubsub = pubsub
        await pubsub.connect()
        self._connected.set()
        # Read the live set only now: a concurrent subscribe() either is in this snapshot or
        # sees the connected pubsub and subscribes itself (a duplicate PSUBSCRIBE is harmless).
        if self._patterns:
            await pubsub.psubscribe(*self._patterns)

    async def _drop_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(*rds.CONNECTION_ERRORS):
                await pubsub.aclose()

    async def _pump(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        while True:
            item = await pubsub.get_message(timeout=None)
            if item is None:
                continue
            kind = item["type"]
            if kind == "pmessage":
                self._dispatch(item["pattern"], item["channel"], item["data"])
            elif kind == "psubscribe":
                ack = self._acks.get(item["channel"])
                if ack is not None and not ack.done():
                    ack.set_result(None)

    def _dispatch(self, redis_pattern: bytes, channel: bytes, data: bytes) -> None:
        ref = self._patterns.get(redis_pattern)
        if ref is None:
            return  # pattern already unsubscribed; in-flight message for nobody
        pattern = ref.pattern
        topic = channel.decode()[len(self.prefix) :]
        try:
            payload = jsonx.loads(data)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self.malformed += 1
            log.warning("bus_malformed_message", topic=topic, size=len(data))
            return
        message = Message(topic, payload, data)
        for sub in self._subs:
            # Redis sends one pmessage per matching pattern; deliver through the subscription's
            # first matching pattern only, so overlapping patterns never duplicate a message.
            first = _first_match(sub, topic)
            if first == pattern or (first is None and pattern in sub.patterns):
                sub.offer(message)

    async def ping(self) -> bool:
        """True if Redis answers PING and the reader is connected.

        Right after a Redis recovery PING answers before the reader has reconnected (its backoff
        is at most about a second): the probe then waits up to ``_RECOVERY_GRACE_S`` for it rather
        than reporting a bus that is back as down.
        """
        if not await rds.ping(self._listener):
            return False
        if self._reader is not None and not self._connected.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._connected.wait(), _RECOVERY_GRACE_S)
            return self._connected.is_set()
        return True

    @property
    def dropped(self) -> int:
        return self._dropped_closed + sum(s.dropped for s in self._subs)
