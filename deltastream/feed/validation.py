"""Validation at the feed's edge: every message from every source passes through here.

A message becomes an :class:`UnderlyingTick` or an :class:`OptionChain`, or a :class:`Rejected`
with a short reason code and a readable error. Rejections are dead-lettered (``source="feed"``)
and the feed carries on: nothing invalid reaches the bus, enrichment or storage.

Reason codes: ``bad_json`` (unparsable line), ``not_an_object`` (not a JSON object),
``unknown_type`` (neither tick- nor chain-shaped), ``unknown_product``, ``missing_field``,
``crossed_quote`` (bid above ask), ``invalid_price`` (NaN, infinite, negative, zero where a
positive price is needed, or above 1e9), ``validation`` (anything else: wrong types, misaligned
chains ...).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Container, Mapping
from typing import Any

from pydantic import ValidationError

from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING
from deltastream.core.deadletters import DeadLetterSink, record_dead_letter
from deltastream.core.jsonx import dumps
from deltastream.core.logging import get_logger
from deltastream.feed.events import OptionChain, UnderlyingTick
from deltastream.feed.products import PRODUCTS

log = get_logger("feed")

MarketEvent = UnderlyingTick | OptionChain

PRICE_FIELDS = frozenset({"price", "spot_price", "strike", "strikes", "bid", "ask", "last"})
_PRICE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than_equal", "finite_number"})


class Rejected(Exception):
    """A message refused at the edge; ``payload`` is the original, ``topic`` where it was headed."""

    def __init__(self, reason: str, error: str, payload: Any, topic: str | None = None) -> None:
        super().__init__(f"{reason}: {error}")
        self.reason = reason
        self.error = error
        self.payload = payload
        self.topic = topic


RejectHandler = Callable[[Rejected], Awaitable[None]]


def topic_for(event: MarketEvent) -> str:
    """The bus topic an accepted event is published on."""
    return TOPIC_MARKET_CHAIN if isinstance(event, OptionChain) else TOPIC_MARKET_UNDERLYING


def to_payload(event: MarketEvent) -> dict[str, Any]:
    """The JSON-safe dict published on the bus (ISO ``Z`` timestamps)."""
    return event.model_dump(mode="json")


def _kind(payload: Mapping[str, Any], topic: str | None) -> type[UnderlyingTick] | type[OptionChain] | None:
    declared = payload.get("type")
    if declared == "UNDERLYING" or topic == TOPIC_MARKET_UNDERLYING:
        return UnderlyingTick
    if declared == "OPTION_CHAIN" or topic == TOPIC_MARKET_CHAIN:
        return OptionChain
    if declared is None and any(key in payload for key in ("calls", "puts", "strikes", "spot_price")):
        return OptionChain
    if declared is None and "price" in payload:
        return UnderlyingTick
    return None


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "message"


def _is_price_error(error: Mapping[str, Any]) -> bool:
    names = {part for part in error.get("loc", ()) if isinstance(part, str)}
    if not names & PRICE_FIELDS:
        return False
    return error.get("type") in _PRICE_ERRORS or "finite" in str(error.get("msg", ""))


def reason_for(exc: ValidationError) -> str:
    """The most specific reason code among a pydantic error's entries."""
    errors = exc.errors(include_url=False)
    if any("crossed quote" in str(e.get("msg", "")) for e in errors):
        return "crossed_quote"
    if any(e.get("type") == "missing" for e in errors):
        return "missing_field"
    if any(_is_price_error(e) for e in errors):
        return "invalid_price"
    return "validation"


def describe(exc: ValidationError, limit: int = 3) -> str:
    """A one-line account of the first ``limit`` errors, e.g. ``calls.0: crossed quote ...``."""
    errors = exc.errors(include_url=False)
    parts = [f"{_location(tuple(e.get('loc', ())))}: {e.get('msg')}" for e in errors[:limit]]
    more = len(errors) - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def validate_message(
    payload: Any, topic: str | None = None, *, products: Container[str] = PRODUCTS
) -> MarketEvent:
    """Validate one raw message into a market event, or raise :class:`Rejected`.

    ``topic`` (a ``market:*`` topic), ``payload["type"]`` or the payload's shape decides whether
    it is a tick or a chain. ``products`` are the names accepted (every known product by default).
    """
    if not isinstance(payload, Mapping):
        raise Rejected(
            "not_an_object", f"expected a JSON object, got {type(payload).__name__}", payload, topic
        )
    model = _kind(payload, topic)
    if model is None:
        raise Rejected("unknown_type", "cannot tell an underlying tick from an option chain", payload, topic)
    topic = TOPIC_MARKET_CHAIN if model is OptionChain else TOPIC_MARKET_UNDERLYING
    product = payload.get("product")
    if isinstance(product, str) and product not in products:
        raise Rejected("unknown_product", f"Unknown product '{product[:64]}'", payload, topic)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise Rejected(reason_for(exc), describe(exc), payload, topic) from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise Rejected("validation", str(exc), payload, topic) from None


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` made storable as JSON: huge ints and odd objects become strings, NaN stays (→ null)."""
    if depth > 20:
        return repr(value)[:200]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in value]
    return repr(value)[:200]


class DeadLetterRejects:
    """A :data:`RejectHandler` that stores each rejection as a feed dead letter and counts it."""

    def __init__(self, sink: DeadLetterSink) -> None:
        self.sink = sink
        self.count = 0

    async def __call__(self, rejection: Rejected) -> None:
        self.count += 1
        payload = rejection.payload
        try:
            dumps(payload)
        except (TypeError, ValueError):
            payload = json_safe(payload)
        await record_dead_letter(
            self.sink,
            source="feed",
            reason=rejection.reason,
            error=rejection.error,
            payload=payload,
            topic=rejection.topic,
        )


class LoggedRejects:
    """A :data:`RejectHandler` for tools without storage (``record``): log and count only."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, rejection: Rejected) -> None:
        self.count += 1
        log.warning("feed_message_rejected", reason=rejection.reason, error=rejection.error[:200])
