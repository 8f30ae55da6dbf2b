"""The app's typed state and the ``Annotated`` dependencies that read it.

``create_app``'s lifespan yields a :class:`CoreState` (extended by the edge with each context's
service); Starlette copies it into every request's ``request.state``. Contexts declare their own
aliases over their own entries the same way (``deltastream.<ctx>.dependencies``).

Every dependency here is ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in the
thread pool, which costs a thread hop per request for a one-line attribute read.
"""

from __future__ import annotations

from typing import Annotated, TypedDict

from fastapi import Depends, Request

from deltastream.core.bus import EventBus
from deltastream.core.cache import Cache
from deltastream.core.http.ratelimit import RateLimiter
from deltastream.settings import Settings


class CoreState(TypedDict):
    """What every router may read from ``request.state``."""

    settings: Settings
    bus: EventBus
    cache: Cache
    rate_limiter: RateLimiter | None


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.state.settings
    return settings


async def get_cache(request: Request) -> Cache:
    cache: Cache = request.state.cache
    return cache


async def get_bus(request: Request) -> EventBus:
    bus: EventBus = request.state.bus
    return bus


SettingsDep = Annotated[Settings, Depends(get_settings)]
CacheDep = Annotated[Cache, Depends(get_cache)]
BusDep = Annotated[EventBus, Depends(get_bus)]
