"""Cache: in-process TTL cache by default, Redis when ``DELTASTREAM_REDIS_URL`` is set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deltastream.core.cache.base import Cache
from deltastream.core.cache.memory import InProcessCache

if TYPE_CHECKING:
    from deltastream.settings import Settings

__all__ = ["Cache", "InProcessCache", "create_cache"]


def create_cache(settings: Settings) -> Cache:
    if settings.redis_url:
        from deltastream.core.cache.redis import RedisCache

        return RedisCache(settings.redis_url, prefix=settings.redis_prefix)
    return InProcessCache()
