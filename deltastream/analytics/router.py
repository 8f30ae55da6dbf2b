"""Analytics routes under ``/api/analytics`` and the mobile BFF ``/api/mobile/chain/{product}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from deltastream.analytics import service
from deltastream.analytics.schemas import (
    IvResponse,
    MaxPainResponse,
    MobileChainResponse,
    OiAnalysisResponse,
    OiBuildupResponse,
    PcrResponse,
    SurfaceResponse,
)
from deltastream.auth.dependencies import DataReadAccess
from deltastream.core.http.openapi import error_responses
from deltastream.core.http.params import ExpiryQuery, OrderQuery, TimeRangeDep, expiry_str, ordered
from deltastream.feed.dependencies import ProductDep
from deltastream.marketdata.dependencies import MarketDataDep

router = APIRouter(prefix="/api/analytics", tags=["analytics"], dependencies=[DataReadAccess])
mobile_router = APIRouter(prefix="/api/mobile", tags=["analytics"], dependencies=[DataReadAccess])

_ERRORS = error_responses(401, 404, 422, 429)
_NEAREST = " Without `expiry`, the nearest live expiry is used and `expiry_source` is `nearest`."


@router.get(
    "/pcr/{product}",
    response_model=PcrResponse,
    response_model_exclude_none=False,
    summary="Put-call ratio: latest per expiry, seed trend, optional history",
    description=(
        "`latest` always has the newest PCR (by OI and by volume) of each live expiry, newest first. "
        "`pcr_trend`/`data_points` keep the seed's shape: up to 100 points of the last `hours`, newest first "
        "(one expiry with `expiry`, every expiry without). `history=true` adds the series between `start` "
        "and `end` (default: the last `hours`), newest first (`order=asc` for oldest first), up to `limit` points. "
        "An unknown `expiry` is a 404."
    ),
    responses=_ERRORS,
)
async def get_pcr(
    product: ProductDep,
    md: MarketDataDep,
    window: TimeRangeDep,
    expiry: ExpiryQuery = None,
    hours: Annotated[int, Query(ge=1, le=8760, description="Look-back of the trend, hours")] = 24,
    history: Annotated[bool, Query(description="Include the `history` time series")] = False,
    limit: Annotated[int, Query(ge=1, le=1000, description="Maximum `history` points")] = 500,
    order: OrderQuery = "desc",
) -> dict[str, Any]:
    body = await service.pcr(md, product, expiry_str(expiry), hours, history, window, limit, order)
    return body


@router.get(
    "/volatility-surface/{product}",
    response_model=SurfaceResponse,
    summary="The latest implied-volatility surface",
    description=(
        "IV per strike for every live expiry, with the ATM term structure. Each expiry also carries the "
        "seed's `strikes, call_ivs, put_ivs, avg_iv, num_quotes`. 404 until the first surface is computed."
    ),
    responses=_ERRORS,
)
async def get_surface(product: ProductDep, md: MarketDataDep) -> dict[str, Any]:
    return await service.volatility_surface(md, product)


@router.get(
    "/max-pain/{product}",
    response_model=MaxPainResponse,
    summary="Max pain strike and the pain curve",
    description="The settlement strike minimising the total payout to option holders, and the curve."
    + _NEAREST,
    responses=_ERRORS,
)
async def get_max_pain(product: ProductDep, md: MarketDataDep, expiry: ExpiryQuery = None) -> dict[str, Any]:
    return await service.max_pain(md, product, expiry_str(expiry))


@router.get(
    "/oi-analysis/{product}",
    response_model=OiAnalysisResponse,
    summary="Per-strike open interest, OI change and build-up class",
    description=(
        "From the latest chain: OI, OI change against the previous snapshot and the build-up class "
        "(long build-up, short build-up, short covering, long unwinding) for calls and puts at each strike."
        + _NEAREST
    ),
    responses=_ERRORS,
)
async def get_oi_analysis(
    product: ProductDep, md: MarketDataDep, expiry: ExpiryQuery = None
) -> dict[str, Any]:
    return await service.oi_analysis(md, product, expiry_str(expiry))


@router.get(
    "/oi-buildup/{product}",
    response_model=OiBuildupResponse,
    summary="Open interest by moneyness band (seed shape)",
    description="Σ OI of calls and puts in the money, at the money (strike within 1% of spot) and out of the money."
    + _NEAREST,
    responses=_ERRORS,
)
async def get_oi_buildup(
    product: ProductDep, md: MarketDataDep, expiry: ExpiryQuery = None
) -> dict[str, Any]:
    return await service.oi_buildup(md, product, expiry_str(expiry))


@router.get(
    "/iv/{product}",
    response_model=IvResponse,
    summary="ATM IV history, IV rank and IV percentile",
    description=(
        "The span from the oldest stored chain in the look-back (or the look-back's start) to now is cut into "
        "`points` equal buckets and the last ATM IV of each is kept (`span_start`, `span_hours`, `observations` "
        "say what was sampled), so a fresh install gets a rank within minutes. IV rank is "
        "(current − min)/(max − min)×100 and IV percentile the share of earlier points below the current value, "
        "both over those points. Without `expiry`, each point uses the nearest expiry live at that time. "
        "`history` is newest first (`order=asc`: oldest first)."
    ),
    responses=_ERRORS,
)
async def get_iv(
    product: ProductDep,
    md: MarketDataDep,
    expiry: ExpiryQuery = None,
    lookback_hours: Annotated[int, Query(ge=1, le=8760, description="Look-back, hours")] = 168,
    points: Annotated[int, Query(ge=2, le=500, description="Time buckets sampled")] = 60,
    order: OrderQuery = "desc",
) -> dict[str, Any]:
    body = await service.iv_stats(md, product, expiry_str(expiry), lookback_hours, points)
    body["history"] = ordered(body["history"], order)
    return body


@mobile_router.get(
    "/chain/{product}",
    response_model=MobileChainResponse,
    summary="Compact chain summary for mobile clients (seed BFF)",
    description="Spot, PCR, max pain and ATM straddle of the latest chain." + _NEAREST,
    responses=_ERRORS,
)
async def get_mobile_chain(
    product: ProductDep, md: MarketDataDep, expiry: ExpiryQuery = None
) -> dict[str, Any]:
    return await service.mobile_chain(md, product, expiry_str(expiry))
