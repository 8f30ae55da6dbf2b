"""The feed role's runtime component: runs the configured source and publishes on the bus.

Built by the composition root for the ``feed`` role. Rejected messages become dead letters
(``source="feed"``); a summary (``tick_published``) is logged at info level every
``SUMMARY_INTERVAL_S`` seconds rather than per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from deltastream.core.bus import TOPIC_MARKET_UNDERLYING, EventBus
from deltastream.core.deadletters import DeadLetterSink
from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger
from deltastream.feed.service import build_source, pump
from deltastream.feed.sources import FeedSource
from deltastream.feed.validation import DeadLetterRejects
from deltastream.settings import Settings

log = get_logger("feed")

SUMMARY_INTERVAL_S = 30.0


class FeedComponent:
    """Owns one :class:`FeedSource` and the task pumping it onto the bus.

    ``finished`` is set when the source ends (a replay reaching the end of its file) or fails.
    """

    name = "feed"

    def __init__(
        self, settings: Settings, bus: EventBus, dead_letters: DeadLetterSink, supervisor: Supervisor
    ) -> None:
        self.settings = settings
        self._bus = bus
        self._dead_letters = dead_letters
        self._supervisor = supervisor
        self.source: FeedSource | None = None
        self.finished = asyncio.Event()
        self.ticks = 0
        self.chains = 0
        self.last_prices: dict[str, float] = {}
        self._task: asyncio.Task[Any] | None = None
        self._summary_at = 0.0
        self._summary_counts = (0, 0)

    async def start(self) -> None:
        self.finished.clear()
        self.source = build_source(self.settings, on_reject=DeadLetterRejects(self._dead_letters))
        self._summary_at = time.monotonic()
        log.info("feed_started", source=self.source.name, feed_source=self.settings.feed_source)
        self._task = self._supervisor.spawn(self._run(self.source), name="feed")

    async def stop(self) -> None:
        if self._task is not None:
            # Re-cancel until done: on Python 3.11 a cancel that lands as an inner wait_for times
            # out surfaces as TimeoutError, which the publish path survives by design.
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=0.5)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                self._task.result()
            self._task = None
        log.info("feed_stopped", ticks=self.ticks, chains=self.chains)

    async def _run(self, source: FeedSource) -> None:
        try:
            count = await pump(source, self._bus, self._published)
            log.info("feed_source_ended", source=source.name, published=count, rejected=self.rejected)
        finally:
            self.finished.set()

    @property
    def rejected(self) -> int:
        return int(getattr(self.source, "rejected", 0))

    def _published(self, topic: str, payload: dict[str, Any]) -> None:
        if topic == TOPIC_MARKET_UNDERLYING:
            self.ticks += 1
            self.last_prices[payload["product"]] = payload["price"]
        else:
            self.chains += 1
        now = time.monotonic()
        if now - self._summary_at >= SUMMARY_INTERVAL_S:
            ticks, chains = self.ticks - self._summary_counts[0], self.chains - self._summary_counts[1]
            log.info(
                "tick_published",
                ticks=ticks,
                chains=chains,
                rejected=self.rejected,
                interval_s=round(now - self._summary_at, 1),
                prices=dict(self.last_prices),
            )
            self._summary_at, self._summary_counts = now, (self.ticks, self.chains)
