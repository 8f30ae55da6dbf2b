"""Feed context: products, market payloads and the sources that produce them.

Other contexts import only this surface (or ``deltastream.feed.events`` for the payload models).
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

__all__ = [
    "PRODUCTS",
    "OptionChain",
    "OptionQuote",
    "ProductSpec",
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
]
