"""Small builders for enrichment tests: market payloads exactly as the feed publishes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from deltastream import quant
from deltastream.feed import expiries_at, expiry_instant, get_product, option_symbol, strikes_for

# A Monday morning (UTC) with every session ahead of it: expiries are days away, not hours.
T0 = datetime(2025, 1, 20, 4, 0, tzinfo=UTC)


def make_tick(
    product: str = "NIFTY", ts: datetime = T0, price: float | None = None, **overrides: Any
) -> dict[str, Any]:
    spec = get_product(product)
    tick = {
        "type": "UNDERLYING",
        "product": product,
        "price": spec.base_price if price is None else price,
        "timestamp": ts.isoformat(),
        "tick_id": 0,
        "volume": 100,
    }
    return tick | overrides


def next_expiry(product: str = "NIFTY", ts: datetime = T0, index: int = 0) -> str:
    return expiries_at(get_product(product), ts, index + 1)[index]


def make_chain(
    product: str = "NIFTY",
    ts: datetime = T0,
    spot: float | None = None,
    expiry: str | None = None,
    n_strikes: int = 21,
    vol: float = 0.15,
    skew: float = 0.5,
    oi_scale: float = 1.0,
    **overrides: Any,
) -> dict[str, Any]:
    """A chain priced on a skewed smile (Black-76 for indices, BS with dividend for stocks).

    Quotes straddle the model price by one tick, so the mid reproduces it to within a tick.
    """
    spec = get_product(product)
    spot = spec.base_price if spot is None else spot
    expiry = expiry or next_expiry(product, ts)
    strikes = np.array(strikes_for(spec, spot, n_strikes))
    tte = (expiry_instant(spec, expiry) - ts).total_seconds() / (365 * 86400)
    forward = spot * np.exp((spec.rate - spec.dividend_yield) * tte)
    iv = vol - skew * np.log(strikes / forward)  # puts (low strikes) richer
    is_call = np.array([[True], [False]])
    price = quant.black76_price(forward, strikes, tte, spec.rate, iv, is_call)
    tick = spec.tick_size
    distance = np.abs(strikes - spot) / spot
    call_oi = (50_000 * oi_scale * np.exp(-((strikes / spot - 1.01) ** 2) / 0.0005)).astype(int) + 1000
    put_oi = (60_000 * oi_scale * np.exp(-((strikes / spot - 0.99) ** 2) / 0.0005)).astype(int) + 1000
    oi = np.stack([call_oi, put_oi])
    volume = (oi * (0.2 + distance)).astype(int)

    def quotes(row: int, option_type: str) -> list[dict[str, Any]]:
        out = []
        for i, k in enumerate(strikes.tolist()):
            p = float(price[row, i])
            bid = max(0.0, round(np.floor(p / tick) * tick - tick, 2))
            ask = round(np.ceil(p / tick) * tick + tick, 2)
            out.append(
                {
                    "symbol": option_symbol(product, expiry, option_type, k),
                    "product": product,
                    "strike": k,
                    "expiry": expiry,
                    "option_type": option_type,
                    "bid": bid,
                    "ask": ask,
                    "last": round(p, 2),
                    "volume": int(volume[row, i]),
                    "open_interest": int(oi[row, i]),
                    "iv": round(float(iv[i]), 4),
                    "timestamp": ts.isoformat(),
                }
            )
        return out

    chain = {
        "type": "OPTION_CHAIN",
        "product": product,
        "expiry": expiry,
        "spot_price": spot,
        "strikes": strikes.tolist(),
        "calls": quotes(0, "CALL"),
        "puts": quotes(1, "PUT"),
        "timestamp": ts.isoformat(),
    }
    return chain | overrides


def later(ts: datetime, seconds: float) -> datetime:
    return ts + timedelta(seconds=seconds)
