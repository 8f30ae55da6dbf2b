"""Analytics context: the read side over stored and cached enriched chains (PCR, max pain, OI,
IV rank/percentile, volatility surfaces) and the mobile backend-for-frontend summary. Owns no
table: it reads through ``marketdata.service.MarketData`` only."""
