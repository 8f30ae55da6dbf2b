"""Market-data routes under ``/api/data`` (paths as in the seed)."""

from __future__ import annotations

from datetime import date, datetime
from enum import IntEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from deltastream.api import service
from deltastream.api.dependencies import CacheDep, ProductDep, ProductPath, RepoDep, SettingsDep
from deltastream.api.openapi import error_responses
from deltastream.api.responses import JSONBytes
from deltastream.api.schemas import (
    ChainsResponse,
    EnrichedChain,
    ExpiriesResponse,
    OhlcResponse,
    ProductsResponse,
    TicksResponse,
)
from deltastream.auth.dependencies import DataReadAccess
from deltastream.feed import get_product
from deltastream.wiring import Runtime

router = APIRouter(prefix="/api/data", tags=["data"], dependencies=[DataReadAccess])

_ERRORS = error_responses(401, 404, 422, 429)


async def time_range(
    start: Annotated[
        datetime | None,
        Query(description="Inclusive lower bound, ISO-8601 (naive = UTC)", examples=["2025-01-03T10:00:00Z"]),
    ] = None,
    end: Annotated[
        datetime | None,
        Query(description="Inclusive upper bound, ISO-8601 (naive = UTC)", examples=["2025-01-03T12:00:00Z"]),
    ] = None,
) -> service.TimeRange:
    return service.check_range(start, end)


class CandleWindow(IntEnum):
    """Candle width in minutes."""

    ONE = 1
    FIVE = 5
    FIFTEEN = 15


TimeRangeDep = Annotated[service.TimeRange, Depends(time_range)]
ExpiryQuery = Annotated[date | None, Query(description="Expiry date `YYYY-MM-DD`", examples=["2025-01-09"])]


def _expiry(value: date | None) -> str | None:
    return value.isoformat() if value else None


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
    # The hot route: backends come straight from the runtime instead of through one dependency
    # each, because every dependency node costs measurable time at thousands of requests/s.
    runtime: Runtime = request.app.state.runtime
    name = get_product(product).name
    chosen, data = await service.latest_chain_bytes(
        runtime.repo, runtime.cache, runtime.settings, name, _expiry(expiry)
    )
    return Response(content=data, media_type="application/json", headers={"X-Expiry": chosen})


@router.get(
    "/products",
    response_model=ProductsResponse,
    summary="Products streamed by this deployment",
    responses=error_responses(401, 429),
)
async def get_products(settings: SettingsDep) -> dict[str, Any]:
    return service.products(settings)


@router.get(
    "/underlying/{product}",
    response_model=TicksResponse,
    summary="Underlying price ticks, newest first",
    description="Ticks with `start <= timestamp <= end`, at most `limit` (default 100, max 1000).",
    responses=_ERRORS,
)
async def get_underlying(
    product: ProductDep,
    repo: RepoDep,
    window: TimeRangeDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Maximum ticks returned")] = 100,
) -> Response:
    return JSONBytes(await service.list_ticks(repo, product, window, limit))


@router.get(
    "/chain/{product}",
    response_model=ChainsResponse,
    summary="Stored enriched option chains, newest first",
    description="Whole chains (calls and puts with Greeks and IV), optionally for one expiry; `limit` default 10, max 1000.",
    responses=_ERRORS,
)
async def get_chains(
    product: ProductDep,
    repo: RepoDep,
    window: TimeRangeDep,
    expiry: ExpiryQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Maximum chains returned")] = 10,
) -> Response:
    return JSONBytes(await service.list_chains(repo, product, _expiry(expiry), window, limit))


@router.get(
    "/expiries/{product}",
    response_model=ExpiriesResponse,
    summary="Expiries with stored chains",
    responses=_ERRORS,
)
async def get_expiries(product: ProductDep, repo: RepoDep) -> Response:
    return JSONBytes(await service.list_expiries(repo, product))


@router.get(
    "/ohlc/{product}",
    response_model=OhlcResponse,
    summary="OHLC candles of the underlying, newest first",
    description="Closed candles aligned to window boundaries (`window` = 1, 5 or 15 minutes), plus the live one.",
    responses=_ERRORS,
)
async def get_ohlc(
    product: ProductDep,
    repo: RepoDep,
    cache: CacheDep,
    window_range: TimeRangeDep,
    window: Annotated[
        CandleWindow, Query(description="Candle width in minutes: 1, 5 or 15")
    ] = CandleWindow.ONE,
    limit: Annotated[int, Query(ge=1, le=1000, description="Maximum candles returned")] = 100,
) -> Response:
    return JSONBytes(await service.list_candles(repo, cache, product, int(window), window_range, limit))
