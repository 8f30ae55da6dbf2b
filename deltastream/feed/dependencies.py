"""``ProductPath`` and ``ProductDep``: a product in a URL path, validated by the feed (which owns
what a product is). An unknown product is a 404 listing the known ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from deltastream.feed.products import get_product

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
