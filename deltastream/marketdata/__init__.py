"""Market-data context: REST reads of ticks, chains, expiries and candles under ``/api/data``,
cache first. It owns no table: it reads the enrichment context's tables through its own
``MarketReader`` protocol and the pipeline's ``latest:*`` cache keys.

Public surface: ``router``, ``service.MarketData`` (the read model other contexts use),
``dependencies.MarketDataDep`` and ``schemas``.
"""
