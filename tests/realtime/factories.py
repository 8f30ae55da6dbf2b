"""Synthetic enriched bus payloads (the pipeline's shapes, SPEC.md §3), one small factory each."""

from __future__ import annotations

from typing import Any

EXPIRY = "2030-01-31"
TS = "2030-01-02T09:15:00Z"


def make_tick(product: str = "NIFTY", tick_id: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "type": "UNDERLYING",
        "product": product,
        "price": 21500.0 + tick_id,
        "volume": 100,
        "timestamp": TS,
        "tick_id": tick_id,
        "change": float(tick_id),
        "change_pct": tick_id / 215.0,
        "processed_at": TS,
        **overrides,
    }


def _quotes(product: str, expiry: str, option_type: str, strikes: list[float]) -> list[dict[str, Any]]:
    letter = option_type[0]
    return [
        {
            "symbol": f"{product}{expiry.replace('-', '')}{letter}{int(k)}",
            "product": product,
            "strike": k,
            "expiry": expiry,
            "option_type": option_type,
            "bid": 10.0,
            "ask": 11.0,
            "last": 10.5,
            "volume": 1000,
            "open_interest": 5000,
            "iv": 0.15,
            "delta": 0.5,
        }
        for k in strikes
    ]


def make_chain(
    product: str = "NIFTY", expiry: str = EXPIRY, n_strikes: int = 5, **overrides: Any
) -> dict[str, Any]:
    strikes = [21400.0 + 50.0 * i for i in range(n_strikes)]
    return {
        "product": product,
        "expiry": expiry,
        "spot_price": 21510.0,
        "strikes": strikes,
        "calls": _quotes(product, expiry, "CALL", strikes),
        "puts": _quotes(product, expiry, "PUT", strikes),
        "pcr_oi": 1.0123,
        "pcr_volume": 0.9876,
        "atm_strike": 21500.0,
        "atm_straddle_price": 210.5,
        "max_pain_strike": 21500.0,
        "total_call_oi": 25000,
        "total_put_oi": 25300,
        "call_buildup_otm": 10000,
        "put_buildup_otm": 12000,
        "timestamp": TS,
        "processed_at": TS,
        **overrides,
    }


def make_ohlc(product: str = "NIFTY", **overrides: Any) -> dict[str, Any]:
    return {
        "product": product,
        "window_minutes": 1,
        "open": 21500.0,
        "high": 21520.0,
        "low": 21490.0,
        "close": 21510.0,
        "start_time": "2030-01-02T09:15:00Z",
        "end_time": "2030-01-02T09:16:00Z",
        "num_ticks": 60,
        **overrides,
    }


def make_surface(product: str = "NIFTY", **overrides: Any) -> dict[str, Any]:
    return {
        "product": product,
        "timestamp": TS,
        "expiries": [
            {
                "expiry": EXPIRY,
                "days_to_expiry": 29,
                "strikes": [21400.0, 21500.0],
                "ivs": [0.16, 0.15],
                "atm_iv": 0.15,
            }
        ],
        **overrides,
    }


def make_alert(user_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "alert_id": "a1",
        "product": "NIFTY",
        "metric": "pcr_oi",
        "value": 1.3,
        "fired_at": TS,
    }
    if user_id is not None:
        body["user_id"] = user_id
    return {**body, **overrides}
