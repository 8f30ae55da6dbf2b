"""In-process bus: asyncio fan-out to bounded per-subscriber mailboxes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deltastream.core.bus.base import Message, Subscription, stamp


class InProcessBus:
    """Fan-out within one event loop. ``publish`` never awaits a subscriber."""

    name = "memory"

    def __init__(self, maxsize: int = 10_000) -> None:
        self._maxsize = maxsize
        self._subs: list[Subscription] = []
        self._dropped_closed = 0

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.close()

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        message = Message(topic, stamp(payload))
        for sub in self._subs:
            if sub.wants(topic):
                sub.offer(message)

    async def subscribe(self, *patterns: str, maxsize: int | None = None) -> Subscription:
        if not patterns:
            raise ValueError("subscribe() needs at least one topic pattern")
        sub = Subscription(tuple(patterns), maxsize or self._maxsize, on_close=self._remove)
        self._subs.append(sub)
        return sub

    async def _remove(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._dropped_closed += sub.dropped

    async def ping(self) -> bool:
        return True

    @property
    def dropped(self) -> int:
        return self._dropped_closed + sum(s.dropped for s in self._subs)
