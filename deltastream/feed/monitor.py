"""Stale-feed detection: when did this process last see an underlying tick of each product?

The :class:`FeedMonitor` component (``api`` and ``feed`` roles) subscribes to
``market:underlying`` on the bus and stamps, per configured product, the local monotonic time of
the last tick it saw. A product is *stale* once ``settings.stale_after_seconds`` pass without one
(counted from the monitor's start for a product that never ticked, so a fresh process is not
stale at once). It exports ``deltastream_feed_last_tick_age_seconds{product}`` (computed at
scrape time) and ``deltastream_feed_stale{product}``, and its :meth:`snapshot` feeds ``/health``
and the ``feed_status`` socket event. Watching the bus, not the feed's own loop, means a feed
process that is alive but publishes nothing, or a Redis link that stopped delivering, reads as
stale too: exactly what a client cannot see.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from deltastream.core.bus import TOPIC_MARKET_UNDERLYING, EventBus, Subscription
from deltastream.core.lifecycle import Supervisor
from deltastream.core.metrics import FEED_LAST_TICK_AGE_SECONDS, FEED_STALE
from deltastream.feed.products import configured_products
from deltastream.settings import Settings

Clock = Callable[[], float]


class FeedMonitor:
    """Component: per-product age of the last underlying tick seen on the bus."""

    name = "feed-monitor"

    def __init__(
        self, settings: Settings, bus: EventBus, supervisor: Supervisor, *, clock: Clock = time.monotonic
    ) -> None:
        self.settings = settings
        self.products = [spec.name for spec in configured_products(settings)]
        self._bus = bus
        self._supervisor = supervisor
        self._clock = clock
        self._since = clock()
        self._last: dict[str, float] = {}
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        for product in self.products:
            FEED_LAST_TICK_AGE_SECONDS.labels(product=product).set_function(
                lambda p=product: self.age(p)  # type: ignore[misc]
            )
            FEED_STALE.labels(product=product).set_function(lambda p=product: float(self.is_stale(p)))  # type: ignore[misc]

    async def start(self) -> None:
        self._since = self._clock()
        self._sub = await self._bus.subscribe(TOPIC_MARKET_UNDERLYING)
        self._task = self._supervisor.spawn(self._watch(self._sub), "feed-monitor")

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.close()
            self._sub = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self, sub: Subscription) -> None:
        async for message in sub:
            product = message.payload.get("product")
            if isinstance(product, str) and product in self.products:
                self.seen(product)

    def seen(self, product: str) -> None:
        """Record a tick of ``product`` now."""
        self._last[product] = self._clock()

    def age(self, product: str) -> float:
        """Seconds since the last tick of ``product`` (since the monitor started if none yet)."""
        return max(0.0, self._clock() - self._last.get(product, self._since))

    def is_stale(self, product: str) -> bool:
        return self.age(product) > self.settings.stale_after_seconds

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """``{product: {"stale", "last_tick_age_seconds", "ticked"}}`` for every configured product."""
        return {
            product: {
                "stale": self.is_stale(product),
                "last_tick_age_seconds": round(self.age(product), 3),
                "ticked": product in self._last,
            }
            for product in self.products
        }

    def stale_products(self) -> list[str]:
        return [product for product in self.products if self.is_stale(product)]
