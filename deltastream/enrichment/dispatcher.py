"""The dispatcher: market events on the bus become enrichment tasks on the queue.

It is the ``feed`` role's first component and must run exactly once per deployment (in split mode,
in the single ``run-feed`` process): bus messages are fanned out to every subscriber, so a second
dispatcher would enqueue every task twice (storage would still deduplicate, at twice the cost).

For each message:

- ``market:underlying`` → an :class:`UnderlyingTick` → ``process_tick`` and ``compute_ohlc``;
- ``market:option_chain`` → an :class:`OptionChain` → ``enrich_chain``; the product is marked for
  the next surface round.

Validation is the feed's own (:func:`deltastream.feed.validate_message`), so a message gets the
same verdict and the same reason code (``unknown_product``, ``missing_field``, ``crossed_quote``,
``invalid_price``, ``validation`` ...) whether the feed's edge or the dispatcher rejects it. A
rejected message is dead-lettered at once (``source="enrichment"``); one that cannot be enqueued
(Redis down past the client's retry window) with reason ``enqueue_failed``. Nothing stops the loop.

Every ``settings.surface_interval`` seconds, ``compute_surface`` is enqueued for each product that
received chains since the previous round (a surface only changes when a chain does).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from taskiq.exceptions import SendTaskError

from deltastream.core.bus import EventBus, Subscription
from deltastream.core.clock import utcnow
from deltastream.core.deadletters import DeadLetterSink
from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger
from deltastream.core.metrics import observe_stage
from deltastream.enrichment import keys
from deltastream.enrichment.events import MARKET_TOPICS
from deltastream.enrichment.queue import TaskQueue
from deltastream.enrichment.service import dispatch_message
from deltastream.settings import Settings

log = get_logger("enrichment")


class EnrichmentDispatcher:
    """Component of the ``feed`` role: bus → task queue, plus the periodic surface round."""

    name = "enrichment-dispatcher"

    def __init__(
        self,
        settings: Settings,
        bus: EventBus,
        queue: TaskQueue,
        dead_letters: DeadLetterSink,
        supervisor: Supervisor,
    ) -> None:
        self.settings = settings
        self.dispatched = 0
        self._bus = bus
        self._queue = queue
        self._dead_letters = dead_letters
        self._supervisor = supervisor
        self._holding = False
        self._sub: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._chain_products: set[str] = set()

    async def start(self) -> None:
        await self._queue.acquire()
        self._holding = True
        self._sub = await self._bus.subscribe(*MARKET_TOPICS)
        self._tasks = [
            self._supervisor.spawn(self._dispatch_forever(self._sub), "enrichment-dispatch"),
            self._supervisor.spawn(self._surfaces_forever(), "enrichment-surfaces"),
        ]

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._holding:
            self._holding = False
            await self._queue.release()

    async def _dispatch_forever(self, sub: Subscription) -> None:
        async for message in sub:
            observe_stage("feed_dispatch", time.time() - message.published_at)
            try:
                outcome = await dispatch_message(
                    self._queue, self._dead_letters, message.topic, message.payload
                )
            except Exception as exc:  # a storage hiccup while dead-lettering must not end the loop
                log.error("dispatch_failed", topic=message.topic, error=repr(exc)[:300])
                continue
            self.dispatched += 1
            if outcome.chain_product is not None:
                self._chain_products.add(outcome.chain_product)

    async def _surfaces_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.surface_interval)
            products, self._chain_products = self._chain_products, set()
            as_of = utcnow()
            for product in sorted(products):
                try:
                    await self._queue.send(keys.TASK_COMPUTE_SURFACE, product=product, as_of=as_of)
                except SendTaskError as exc:  # the next round rebuilds it; nothing to dead-letter
                    self._chain_products.add(product)
                    log.warning("surface_enqueue_failed", product=product, error=repr(exc.__cause__ or exc))
