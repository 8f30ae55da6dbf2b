"""Enrichment context: market events → enriched chains, ticks, candles and surfaces.

Public surface (other contexts import only these):

- components: :class:`EnrichmentDispatcher` (``feed`` role, one per deployment) and
  :class:`EnrichmentWorker` (``worker`` role);
- dead letters: :func:`list_dead_letters`, :func:`replay_dead_letter`, :func:`replay_dead_letters`;
- names: :mod:`deltastream.enrichment.keys` (cache keys, task names).

Cache keys written (TTL ``settings.cache_ttl`` unless stated): ``latest:underlying:{p}``,
``latest:chain:{p}:{e}`` (the enriched chain, served as-is by the API), ``latest:pcr:{p}:{e}``,
``expiries:{p}``, ``ohlc:{p}:{w}m`` (TTL one window), ``volatility_surface:{p}``,
``session_open:{p}:{day}`` (36 h). Topics published: ``enriched:underlying``,
``enriched:option_chain``, ``enriched:ohlc``, ``enriched:surface``.
"""

from __future__ import annotations

from deltastream.enrichment.dead_letters import list_dead_letters, replay_dead_letter, replay_dead_letters
from deltastream.enrichment.dispatcher import EnrichmentDispatcher
from deltastream.enrichment.worker import EnrichmentWorker

__all__ = [
    "EnrichmentDispatcher",
    "EnrichmentWorker",
    "list_dead_letters",
    "replay_dead_letter",
    "replay_dead_letters",
]
