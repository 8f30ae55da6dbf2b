"""``MarketDataDep``: the :class:`~deltastream.marketdata.service.MarketData` read model of the
app's state, for this context's router and for the contexts that read market data (analytics)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from deltastream.marketdata.service import MarketData


async def get_market_data(request: Request) -> MarketData:
    market_data: MarketData = request.state.market_data
    return market_data


MarketDataDep = Annotated[MarketData, Depends(get_market_data)]
