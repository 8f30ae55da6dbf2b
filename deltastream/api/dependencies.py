"""``Annotated`` dependency aliases for every router: the runtime's backends and a validated product."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from deltastream.core.bus import EventBus
from deltastream.core.cache import Cache
from deltastream.feed import get_product
from deltastream.settings import Settings
from deltastream.storage import Repository
from deltastream.wiring import Runtime


async def get_runtime(request: Request) -> Runtime:
    """The runtime built by ``create_app`` (backends plus the started components).

    Every dependency here is ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in
    the thread pool, which costs a thread hop per request for a one-line attribute read.
    """
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_repo(request: Request) -> Repository:
    runtime: Runtime = request.app.state.runtime
    return runtime.repo


async def get_cache(request: Request) -> Cache:
    runtime: Runtime = request.app.state.runtime
    return runtime.cache


async def get_bus(request: Request) -> EventBus:
    runtime: Runtime = request.app.state.runtime
    return runtime.bus


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RepoDep = Annotated[Repository, Depends(get_repo)]
CacheDep = Annotated[Cache, Depends(get_cache)]
BusDep = Annotated[EventBus, Depends(get_bus)]


ProductPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        description="Product symbol, case-insensitive (NIFTY, BANKNIFTY, FINNIFTY, SENSEX, AAPL, TSLA, SPY, QQQ)",
        examples=["NIFTY"],
    ),
]


async def product_name(product: ProductPath) -> str:
    """The canonical (upper-case) product name; an unknown product is a 404 listing the known ones."""
    return get_product(product).name


ProductDep = Annotated[str, Depends(product_name)]
