"""Market-data routes under ``/api/data`` (paths as in the seed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from deltastream.auth.dependencies import DataReadAccess
from deltastream.core.http.openapi import error_responses
from deltastream.core.http.params import (
    CandleWindow,
    ExpiryQuery,
    OrderQuery,
    TimeRangeDep,
    expiry_str,
    ordered,
)
from deltastream.core.http.responses import JsonResponse
from deltastream.feed import get_product
from deltastream.feed.dependencies import ProductDep, ProductPath
from deltastream.marketdata.dependencies import MarketDataDep
from deltastream.marketdata.schemas import (
    ChainsResponse,
    EnrichedChain,
    ExpiriesResponse,
    OhlcResponse,
    ProductsResponse,
    TicksResponse,
)
from deltastream.marketdata.service import MarketData

router = APIRouter(prefix="/api/data", tags=["data"], dependencies=[DataReadAccess])

_ERRORS = error_responses(401, 404, 422, 429)


# Declared first: routes are matched in order, and this is the hot one.
@router.get(
    "/chain/{product}/latest",
    response_model=EnrichedChain,
    summary="The latest enriched chain (served from the cache)",
    description=(
        "The newest enriched chain for `expiry`, or for the nearest live expiry when `expiry` is omitted "
        "(the `X-Expiry` header says which). Served as the cached bytes written by the pipeline; on a miss "
        "it is read from storage and cached."
    ),
    responses=_ERRORS,
)
async def get_latest_chain(request: Request, product: ProductPath, expiry: ExpiryQuery = None) -> Response:
    # The hot route: the read model comes straight from the request state instead of through a
    # dependency, because every dependency node costs measurable time at thousands of requests/s.
    market_data: MarketData = request.state.market_data
    chosen, data = await market_data.latest_chain_bytes(get_product(product).name, expiry_str(expiry))
    return Response(content=data, media_type="application/json", headers={"X-Expiry": chosen})


@router.get(
    "/products",
    response_model=ProductsResponse,
    summary="Products streamed by this deployment",
    responses=error_responses(401, 429),
)
async def get_products(market_data: MarketDataDep) -> dict[str, Any]:
    return market_data.products()


@router.get(
    "/underlying/{product}",
    response_model=TicksResponse,
    summary="Underlying price ticks, newest first",
    description="Ticks with `start <= timestamp <= end`, at most `limit` (default 100, max 1000), newest first "
    "(`order=asc`: oldest first).",
    responses=_ERRORS,
)
async def get_underlying(
    product: ProductDep,
    market_data: MarketDataDep,
    window: TimeRangeDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Maximum ticks returned")] = 100,
    order: OrderQuery = "desc",
) -> Response:
    body = await market_data.list_ticks(product, window, limit)
    body["ticks"] = ordered(body["ticks"], order)
    return JsonResponse(body)


@router.get(
    "/chain/{product}",
    response_model=ChainsResponse,
    summary="Stored enriched option chains, newest first",
    description="Whole chains (calls and puts with Greeks and IV), optionally for one expiry; `limit` default 10, "
    "max 1000; newest first (`order=asc`: oldest first).",
    responses=_ERRORS,
)
async def get_chains(
    product: ProductDep,
    market_data: MarketDataDep,
    window: TimeRangeDep,
    expiry: ExpiryQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Maximum chains returned")] = 10,
    order: OrderQuery = "desc",
) -> Response:
    body = await market_data.list_chains(product, expiry_str(expiry), window, limit)
    body["chains"] = ordered(body["chains"], order)
    return JsonResponse(body)


@router.get(
    "/expiries/{product}",
    response_model=ExpiriesResponse,
    summary="Expiries with stored chains",
    description="Expiry dates (not a time series): in calendar order, nearest first.",
    responses=_ERRORS,
)
async def get_expiries(product: ProductDep, market_data: MarketDataDep) -> Response:
    return JsonResponse(await market_data.list_expiries(product))


@router.get(
    "/ohlc/{product}",
    response_model=OhlcResponse,
    summary="OHLC candles of the underlying, newest first",
    description="Closed candles aligned to window boundaries (`window` = 1, 5 or 15 minutes), newest first "
    "(`order=asc`: oldest first), plus the live one in `current`.",
    responses=_ERRORS,
)
async def get_ohlc(
    product: ProductDep,
    market_data: MarketDataDep,
    window_range: TimeRangeDep,
    window: Annotated[
        CandleWindow, Query(description="Candle width in minutes: 1, 5 or 15")
    ] = CandleWindow.ONE,
    limit: Annotated[int, Query(ge=1, le=1000, description="Maximum candles returned")] = 100,
    order: OrderQuery = "desc",
) -> Response:
    body = await market_data.list_candles(product, int(window), window_range, limit)
    body["candles"] = ordered(body["candles"], order)
    return JsonResponse(body)
