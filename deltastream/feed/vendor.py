"""The base for real market-data vendors: map their messages onto DeltaStream's, validated.

A vendor adapter supplies two things:

* :meth:`VendorAdapter.messages`: the vendor's raw messages, in whatever shape they come
  (websocket frames, HTTP poll results, a message-queue consumer ...);
* :meth:`VendorAdapter.translate`: turn one raw message into zero or more ``(topic, payload)``
  pairs in DeltaStream's field names (:mod:`.events`); helpers :func:`tick_payload` and
  :func:`chain_payload` build them.

The base class does the rest: every translated payload is validated (:mod:`.validation`), a
translation that raises or a payload that fails validation is dead-lettered with the original
message, and a dropped connection (``messages()`` raising) is retried with exponential backoff.

Example: a vendor pushing JSON lines over a websocket::

    import json
    import websockets

    class AcmeFeed(VendorAdapter):
        name = "acme"
        url = "wss://stream.acme.example/v1/options"

        async def messages(self):
            async with websockets.connect(self.url) as ws:
                async for frame in ws:
                    yield json.loads(frame)

        def translate(self, msg):
            if msg["kind"] == "idx":
                yield tick_payload(msg["sym"], msg["ltp"], msg["ts"], volume=msg.get("vol", 0))
            elif msg["kind"] == "chain":
                quotes = [
                    {"strike": q["k"], "option_type": "CALL" if q["cp"] == "C" else "PUT",
                     "bid": q["b"], "ask": q["a"], "last": q["l"], "volume": q["v"],
                     "open_interest": q["oi"], "iv": q.get("iv")}
                    for q in msg["quotes"]
                ]
                yield chain_payload(msg["sym"], msg["exp"], msg["spot"], msg["ts"], quotes)

Run it with ``DELTASTREAM_FEED_SOURCE=vendor:mypackage.acme:AcmeFeed``: the feed component
builds it as ``AcmeFeed(settings, on_reject=...)``.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import AsyncIterator, Container, Iterable
from typing import Any

from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING
from deltastream.core.logging import get_logger
from deltastream.feed.products import PRODUCTS, option_symbol
from deltastream.feed.sources import EdgeSource
from deltastream.feed.validation import MarketEvent, Rejected, RejectHandler
from deltastream.settings import Settings

log = get_logger("feed")

Translated = tuple[str | None, dict[str, Any]]


def tick_payload(
    product: str, price: Any, timestamp: Any, *, tick_id: int = 0, volume: int = 0
) -> Translated:
    """A ``market:underlying`` payload in DeltaStream's field names (validated later)."""
    payload = {"type": "UNDERLYING", "product": product, "price": price, "timestamp": timestamp}
    return TOPIC_MARKET_UNDERLYING, {**payload, "tick_id": tick_id, "volume": volume}


def chain_payload(
    product: str, expiry: str, spot_price: Any, timestamp: Any, quotes: Iterable[dict[str, Any]]
) -> Translated:
    """A ``market:option_chain`` payload from a flat list of quotes (any order).

    Each quote needs ``strike``, ``option_type`` (CALL/PUT) and the price fields; ``product``,
    ``expiry``, ``symbol`` and ``timestamp`` are filled in when absent. Strikes are the distinct
    quote strikes, ascending; validation then insists on one call and one put per strike.
    """
    calls: dict[Any, dict[str, Any]] = {}
    puts: dict[Any, dict[str, Any]] = {}
    for quote in quotes:
        q = {"product": product, "expiry": expiry, "timestamp": timestamp, **quote}
        if (
            "symbol" not in q
            and isinstance(q.get("strike"), int | float)
            and isinstance(q.get("option_type"), str)
        ):
            q["symbol"] = option_symbol(product, expiry, q["option_type"], q["strike"])
        (calls if q.get("option_type") == "CALL" else puts)[q.get("strike")] = q
    strikes = sorted({*calls, *puts}, key=lambda k: k if isinstance(k, int | float) else float("inf"))
    payload = {
        "type": "OPTION_CHAIN",
        "product": product,
        "expiry": expiry,
        "spot_price": spot_price,
        "timestamp": timestamp,
        "strikes": strikes,
        "calls": [calls[k] for k in strikes if k in calls],
        "puts": [puts[k] for k in strikes if k in puts],
    }
    return TOPIC_MARKET_CHAIN, payload


class VendorAdapter(EdgeSource):
    """Subclass, implement :meth:`messages` and :meth:`translate`; the base validates everything.

    ``reconnect`` retries ``messages()`` after it raises, waiting ``backoff_s`` doubling up to
    ``max_backoff_s``; a ``messages()`` that simply ends ends the stream.
    """

    name = "vendor"
    reconnect = True
    backoff_s = 1.0
    max_backoff_s = 30.0

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        on_reject: RejectHandler | None = None,
        products: Container[str] = PRODUCTS,
    ) -> None:
        super().__init__(on_reject=on_reject, products=products)
        self.settings = settings
        self.reconnects = 0

    @abstractmethod
    def messages(self) -> AsyncIterator[Any]:
        """The vendor's raw messages as an async iterator (open the connection inside)."""

    @abstractmethod
    def translate(self, message: Any) -> Iterable[Translated]:
        """DeltaStream ``(topic, payload)`` pairs for one vendor message (may be none)."""

    async def stream(self) -> AsyncIterator[MarketEvent]:
        delay = self.backoff_s
        while True:
            try:
                async for message in self.messages():
                    delay = self.backoff_s
                    async for event in self._admit_all(message):
                        yield event
                return
            except (ConnectionError, OSError, TimeoutError) as exc:
                if not self.reconnect:
                    raise
                self.reconnects += 1
                log.warning("vendor_disconnected", vendor=self.name, error=repr(exc), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2.0, self.max_backoff_s)

    async def _admit_all(self, message: Any) -> AsyncIterator[MarketEvent]:
        try:
            translated = list(self.translate(message))
        except Exception as exc:  # a vendor's odd message must not stop the feed
            error = f"{type(exc).__name__}: {exc}"
            await self.reject(Rejected("vendor_mapping", error, message))
            return
        for topic, payload in translated:
            event = await self.admit(payload, topic)
            if event is not None:
                yield event
