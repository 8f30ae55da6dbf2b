"""The ``FeedSource`` protocol and the edge every source shares.

A source is an async generator of validated market events. Whatever it reads (a simulator's
dicts, a recorded file, a vendor's wire format) goes through :meth:`EdgeSource.admit`, which
validates it and hands anything invalid to the reject handler (a dead-letter sink in the running
system), so a source never yields an invalid event and never stops because of one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Container
from typing import Any, Protocol, runtime_checkable

from deltastream.core.logging import get_logger
from deltastream.feed.products import PRODUCTS
from deltastream.feed.validation import LoggedRejects, MarketEvent, Rejected, RejectHandler, validate_message

log = get_logger("feed")


@runtime_checkable
class FeedSource(Protocol):
    """Anything that produces market events: ``async for event in source.stream(): ...``."""

    name: str

    def stream(self) -> AsyncIterator[MarketEvent]: ...


class EdgeSource(ABC):
    """Base for sources: counts what it admits and routes rejections to ``on_reject``.

    ``products`` are the product names accepted at this edge (every known product by default).
    """

    name = "source"

    def __init__(
        self, *, on_reject: RejectHandler | None = None, products: Container[str] = PRODUCTS
    ) -> None:
        self.on_reject: RejectHandler = on_reject or LoggedRejects()
        self.products = products
        self.accepted = 0
        self.rejected = 0

    async def admit(self, payload: Any, topic: str | None = None) -> MarketEvent | None:
        """The validated event, or ``None`` after the rejection has been handed to ``on_reject``."""
        try:
            event = validate_message(payload, topic, products=self.products)
        except Rejected as rejection:
            await self.reject(rejection)
            return None
        self.accepted += 1
        return event

    async def reject(self, rejection: Rejected) -> None:
        """Hand a rejection on; a failing handler (storage down) is logged, never raised."""
        self.rejected += 1
        try:
            await self.on_reject(rejection)
        except Exception as exc:  # the feed must outlive its dead-letter store
            log.error("dead_letter_failed", source=self.name, reason=rejection.reason, error=repr(exc))

    @abstractmethod
    def stream(self) -> AsyncIterator[MarketEvent]:
        """Yield validated events until the source is exhausted (or forever, for live sources)."""
