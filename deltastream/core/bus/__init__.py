"""Event bus: in-process by default, Redis pub/sub when ``DELTASTREAM_REDIS_URL`` is set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deltastream.core.bus.base import (
    SCHEMA_VERSION,
    TOPIC_ALERTS,
    TOPIC_ENRICHED_CHAIN,
    TOPIC_ENRICHED_OHLC,
    TOPIC_ENRICHED_SURFACE,
    TOPIC_ENRICHED_UNDERLYING,
    TOPIC_LOGS,
    TOPIC_MARKET_CHAIN,
    TOPIC_MARKET_UNDERLYING,
    EventBus,
    Message,
    Subscription,
)
from deltastream.core.bus.memory import InProcessBus

if TYPE_CHECKING:
    from deltastream.settings import Settings

__all__ = [
    "SCHEMA_VERSION",
    "TOPIC_ALERTS",
    "TOPIC_ENRICHED_CHAIN",
    "TOPIC_ENRICHED_OHLC",
    "TOPIC_ENRICHED_SURFACE",
    "TOPIC_ENRICHED_UNDERLYING",
    "TOPIC_LOGS",
    "TOPIC_MARKET_CHAIN",
    "TOPIC_MARKET_UNDERLYING",
    "EventBus",
    "InProcessBus",
    "Message",
    "Subscription",
    "create_bus",
]


def create_bus(settings: Settings) -> EventBus:
    """The bus for these settings: Redis pub/sub if a Redis URL is set, else in-process."""
    if settings.redis_url:
        from deltastream.core.bus.redis import RedisBus

        return RedisBus(settings.redis_url, prefix=settings.redis_prefix, maxsize=settings.bus_queue_size)
    return InProcessBus(maxsize=settings.bus_queue_size)
