"""The market simulator: a reproducible random walk per product with an arbitrage-free chain.

- :mod:`.market`: :class:`MarketSimulator`, the feed source stepping every product;
- :mod:`.pricing`: the priced strike grid (Black-Scholes / Black-76 with a skewed smile);
- :mod:`.open_interest`: the open-interest model (positions opening and closing by strike).
"""

from __future__ import annotations

from deltastream.feed.simulator.market import MarketSimulator

__all__ = ["MarketSimulator"]
