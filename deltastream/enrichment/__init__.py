"""Enrichment context: market events → enriched chains, ticks, candles and surfaces.

It owns the market tables (``underlying_ticks``, ``option_chains``, ``ohlc``,
``volatility_surfaces``) through ``repository.MarketWriter``. Public surface (other contexts
import only these): ``events`` (topics and the payload types), ``keys`` (cache keys, task names)
and ``service`` (the use cases, and :class:`~deltastream.enrichment.service.Replays` for the
deadletters context). The components (``dispatcher.EnrichmentDispatcher``, ``feed`` role, one per
deployment; ``worker.EnrichmentWorker``, ``worker`` role) and the ``queue.TaskQueue`` they share
are built by the composition root.

Cache keys written (TTL ``settings.cache_ttl`` unless stated): ``latest:underlying:{p}``,
``latest:chain:{p}:{e}`` (the enriched chain, served as-is by the API), ``latest:pcr:{p}:{e}``,
``expiries:{p}``, ``ohlc:{p}:{w}m`` (TTL one window), ``volatility_surface:{p}``,
``session_open:{p}:{day}`` (36 h). Topics published: ``enriched:underlying``,
``enriched:option_chain``, ``enriched:ohlc``, ``enriched:surface``.
"""
