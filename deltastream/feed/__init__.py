"""Feed context: products, market payloads and the sources that produce them.

Other contexts import only this surface (or ``deltastream.feed.events`` for the payload models,
``deltastream.feed.dependencies`` for ``ProductPath``/``ProductDep``). :func:`validate_message` is
the one validation of a market message, used by the feed's edge and by enrichment's dispatcher.
"""

from __future__ import annotations

from deltastream.feed.events import OptionChain, OptionQuote, UnderlyingTick
from deltastream.feed.products import (
    PRODUCTS,
    ProductSpec,
    atm_strike,
    configured_products,
    exchange_date,
    expiries_at,
    expiries_for,
    expiry_instant,
    get_product,
    is_known_product,
    option_symbol,
    session_close,
    strikes_for,
)
from deltastream.feed.validation import Rejected, validate_message

__all__ = [
    "PRODUCTS",
    "OptionChain",
    "OptionQuote",
    "ProductSpec",
    "Rejected",
    "UnderlyingTick",
    "atm_strike",
    "configured_products",
    "exchange_date",
    "expiries_at",
    "expiries_for",
    "expiry_instant",
    "get_product",
    "is_known_product",
    "option_symbol",
    "session_close",
    "strikes_for",
    "validate_message",
]
