"""The dispatcher: market events on the bus become enrichment tasks on the queue.

It is the ``feed`` role's first component and must run exactly once per deployment (in split mode,
in the single ``run-feed`` process): bus messages are fanned out to every subscriber, so a second
dispatcher would enqueue every task twice (storage would still deduplicate, at twice the cost).

For each message:

- ``market:underlying`` → validated as :class:`UnderlyingTick` → ``process_tick`` and ``compute_ohlc``;
- ``market:option_chain`` → validated as :class:`OptionChain` → ``enrich_chain``; the product is
  marked for the next surface round.

A message that fails validation (or names an unknown product) is dead-lettered at once with
reason ``validation`` (or ``unknown_product``); one that cannot be enqueued (Redis down past the
client's retry window) with reason ``enqueue_failed``. Nothing stops the loop.

Every ``settings.surface_interval`` seconds, ``compute_surface`` is enqueued for each product that
received chains since the previous round (a surface only changes when a chain does).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from taskiq.exceptions import SendTaskError

from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING, Subscription
from deltastream.core.clock import utcnow
from deltastream.core.deadletter import record_dead_letter
from deltastream.core.errors import NotFoundError
from deltastream.core.logging import get_logger
from deltastream.enrichment import keys
from deltastream.enrichment.queue import TaskQueue, acquire_queue, release_queue
from deltastream.feed import OptionChain, UnderlyingTick, is_known_product
from deltastream.settings import Settings
from deltastream.storage import Repository

log = get_logger("enrichment")

MARKET_TOPICS = (TOPIC_MARKET_UNDERLYING, TOPIC_MARKET_CHAIN)
_MAX_ERRORS_IN_MESSAGE = 5


@dataclass(frozen=True, slots=True)
class Dispatched:
    """What became of one market message: enqueued, or dead-lettered (with the record ids)."""

    accepted: bool
    chain_product: str | None = None
    dead_letter_ids: tuple[str, ...] = ()


async def dispatch_message(
    queue: TaskQueue, repo: Repository, topic: str, payload: Mapping[str, Any]
) -> Dispatched:
    """Validate one market message and enqueue its tasks; rejects are dead-lettered, never raised."""
    model: UnderlyingTick | OptionChain
    try:
        if topic == TOPIC_MARKET_UNDERLYING:
            model = UnderlyingTick.model_validate(payload)
        elif topic == TOPIC_MARKET_CHAIN:
            model = OptionChain.model_validate(payload)
        else:
            raise NotFoundError(f"no enrichment for topic {topic!r}")
        if not is_known_product(model.product):
            raise NotFoundError(f"unknown product {model.product!r}")
    except ValidationError as exc:
        return Dispatched(
            False, dead_letter_ids=(await _reject(repo, topic, payload, "validation", _describe(exc)),)
        )
    except NotFoundError as exc:
        return Dispatched(
            False, dead_letter_ids=(await _reject(repo, topic, payload, "unknown_product", exc.message),)
        )
    data = model.model_dump(mode="json")
    sends = (
        [(keys.TASK_PROCESS_TICK, {"tick": data}), (keys.TASK_COMPUTE_OHLC, {"tick": data})]
        if isinstance(model, UnderlyingTick)
        else [(keys.TASK_ENRICH_CHAIN, {"chain": data})]
    )
    failed: list[str] = []
    for task_name, kwargs in sends:
        try:
            await queue.send(task_name, **kwargs)
        except SendTaskError as exc:
            cause = exc.__cause__ or exc
            dead_letter_id = await record_dead_letter(
                repo,
                source=keys.DEAD_LETTER_SOURCE,
                reason="enqueue_failed",
                error=f"{type(cause).__name__}: {cause}",
                payload=kwargs,
                task=task_name,
            )
            failed.append(dead_letter_id)
    product = model.product if isinstance(model, OptionChain) and not failed else None
    return Dispatched(not failed, product, tuple(failed))


def _describe(exc: ValidationError) -> str:
    """A one-line summary of the first few pydantic errors: ``loc: message; ...``."""
    parts = []
    for err in exc.errors()[:_MAX_ERRORS_IN_MESSAGE]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "payload"
        parts.append(f"{where}: {err.get('msg')}")
    more = exc.error_count() - _MAX_ERRORS_IN_MESSAGE
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


async def _reject(repo: Repository, topic: str, payload: Mapping[str, Any], reason: str, error: str) -> str:
    return await record_dead_letter(
        repo, source=keys.DEAD_LETTER_SOURCE, reason=reason, error=error, payload=dict(payload), topic=topic
    )


class EnrichmentDispatcher:
    """Component of the ``feed`` role: bus → task queue, plus the periodic surface round."""

    name = "enrichment-dispatcher"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dispatched = 0
        self._runtime: Any = None
        self._queue: TaskQueue | None = None
        self._sub: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._chain_products: set[str] = set()

    async def start(self, runtime: Any) -> None:
        self._runtime = runtime
        self._queue = await acquire_queue(runtime)
        self._sub = await runtime.bus.subscribe(*MARKET_TOPICS)
        self._tasks = [
            runtime.spawn(self._dispatch_forever(self._sub, self._queue), "enrichment-dispatch"),
            runtime.spawn(self._surfaces_forever(self._queue), "enrichment-surfaces"),
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
        if self._queue is not None:
            self._queue = None
            await release_queue(self._runtime)

    async def _dispatch_forever(self, sub: Subscription, queue: TaskQueue) -> None:
        repo = self._runtime.repo
        async for message in sub:
            try:
                outcome = await dispatch_message(queue, repo, message.topic, message.payload)
            except Exception as exc:  # a storage hiccup while dead-lettering must not end the loop
                log.error("dispatch_failed", topic=message.topic, error=repr(exc)[:300])
                continue
            self.dispatched += 1
            if outcome.chain_product is not None:
                self._chain_products.add(outcome.chain_product)

    async def _surfaces_forever(self, queue: TaskQueue) -> None:
        while True:
            await asyncio.sleep(self.settings.surface_interval)
            products, self._chain_products = self._chain_products, set()
            as_of = utcnow()
            for product in sorted(products):
                try:
                    await queue.send(keys.TASK_COMPUTE_SURFACE, product=product, as_of=as_of)
                except SendTaskError as exc:  # the next round rebuilds it; nothing to dead-letter
                    self._chain_products.add(product)
                    log.warning("surface_enqueue_failed", product=product, error=repr(exc.__cause__ or exc))
