"""Micro-batching of chain enrichment: chains that reach enrichment in the same event-loop turn
are enriched in one vectorised pass (:func:`deltastream.enrichment.chain.enrich_chains`).

A task awaits :meth:`ChainBatcher.enrich`; the first request of a turn schedules a flush with
``call_soon``, so a lone chain waits for nothing but the rest of the current turn, and under load
the batch grows by itself (the IV solver and Greeks then cost one NumPy pass for all of them).
A batch that fails is retried chain by chain, so a bad chain fails only its own task.
"""

from __future__ import annotations

import asyncio

from deltastream.core.clock import utcnow
from deltastream.enrichment.chain import ChainInput, enrich_chains
from deltastream.enrichment.events import EnrichedChain

MAX_BATCH = 256


class ChainBatcher:
    """Owned by one :class:`~deltastream.enrichment.pipeline.Pipeline` (one event loop)."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self.batches = 0
        self.chains = 0
        self._pending: list[tuple[ChainInput, asyncio.Future[EnrichedChain]]] = []

    async def enrich(self, item: ChainInput) -> EnrichedChain:
        """The enriched chain of ``item``, computed together with the other chains of this turn."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[EnrichedChain] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((item, future))
        if len(self._pending) >= self.max_batch:
            self._flush()
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        live = [(item, future) for item, future in batch if not future.done()]
        if not live:
            return
        self.batches += 1
        self.chains += len(live)
        processed_at = utcnow()
        try:
            results = enrich_chains([item for item, _ in live], processed_at=processed_at)
        except Exception:
            for item, future in live:
                try:
                    future.set_result(enrich_chains([item], processed_at=processed_at)[0])
                except Exception as exc:
                    future.set_exception(exc)
            return
        for (_, future), result in zip(live, results, strict=True):
            future.set_result(result)
