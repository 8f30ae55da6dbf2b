"""What a task needs at run time, handed over through the broker's state (no module globals).

The worker's startup hook stores a :class:`Pipeline` on ``broker.state``; each task declares
``pipeline: Pipeline = TaskiqDepends(pipeline_from_state)`` and taskiq's dependency injection
resolves it per call. The shutdown hook removes it, so a task can never use a closed backend.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from taskiq import TaskiqDepends, TaskiqState

from deltastream.core.bus import EventBus
from deltastream.core.cache import Cache
from deltastream.core.deadletters import DeadLetterSink
from deltastream.core.summary import PipelineStats
from deltastream.enrichment.batcher import ChainBatcher
from deltastream.enrichment.repository import MarketWriter
from deltastream.settings import Settings

STATE_KEY = "pipeline"


@dataclass
class Pipeline:
    """The backends a task writes to (market tables, cache, bus, dead letters), plus process-local
    locks.

    ``locks`` serialise read-modify-write sequences on one cache key within this process (the
    OHLC candle of a product): concurrent tasks of one worker never lose each other's update.
    ``batcher`` enriches the chains of concurrent tasks in one vectorised pass, and
    ``recent_chains`` keeps the last chain this process cached per (product, expiry), so the next
    one usually finds its previous snapshot without a storage read.
    """

    settings: Settings
    repo: MarketWriter
    cache: Cache
    bus: EventBus
    dead_letters: DeadLetterSink
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    batcher: ChainBatcher = field(default_factory=ChainBatcher)
    recent_chains: LRUCache[tuple[str, str], Any] = field(default_factory=lambda: LRUCache(maxsize=1024))
    stats: PipelineStats = field(default_factory=PipelineStats)  # read by the summary line

    def lock(self, name: str) -> asyncio.Lock:
        lock = self.locks.get(name)
        if lock is None:
            lock = self.locks[name] = asyncio.Lock()
        return lock


def pipeline_from_state(state: TaskiqState = TaskiqDepends()) -> Pipeline:
    """The task-side dependency: the :class:`Pipeline` installed by the startup hook."""
    pipeline = state.get(STATE_KEY)
    if pipeline is None:
        raise RuntimeError("enrichment task ran outside a started worker (no pipeline on broker.state)")
    return pipeline
