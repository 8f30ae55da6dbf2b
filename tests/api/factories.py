"""Realistic enriched payloads built independently of the pipeline, and a live in-process API.

``make_chain`` computes PCR, ATM, straddle and max pain (by the O(n²) definition, as an
independent oracle) from OI and prices it generates, so route tests can check figures.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from deltastream.app import create_app
from deltastream.core.clock import utcnow
from deltastream.enrichment import keys
from deltastream.feed import atm_strike, expiries_at, get_product, option_symbol, strikes_for
from deltastream.settings import Settings
from deltastream.wiring import ROLE_API, Runtime

API_ONLY = frozenset({ROLE_API})
BUILDUPS = ("long_buildup", "short_buildup", "short_covering", "long_unwinding")


def live_expiries(product: str = "NIFTY", count: int = 3) -> list[str]:
    return expiries_at(get_product(product), utcnow(), count)


def _quote(
    product: str, expiry: str, kind: str, strike: float, rng: random.Random, spot: float
) -> dict[str, Any]:
    intrinsic = max(0.0, spot - strike) if kind == "CALL" else max(0.0, strike - spot)
    last = round(intrinsic + 40.0 * math.exp(-abs(strike - spot) / 300.0) + rng.uniform(1, 5), 2)
    return {
        "symbol": option_symbol(product, expiry, kind, strike),
        "product": product,
        "strike": strike,
        "expiry": expiry,
        "option_type": kind,
        "bid": round(last - 0.5, 2),
        "ask": round(last + 0.5, 2),
        "last": last,
        "volume": rng.randint(100, 5000),
        "open_interest": rng.randint(10_000, 200_000),
        "oi_change": rng.randint(-5000, 5000),
        "buildup": rng.choice(BUILDUPS),
        "iv": round(0.12 + abs(strike - spot) / spot * 0.5 + rng.uniform(0, 0.01), 4),
        "delta": 0.5,
        "gamma": 0.001,
        "vega": 10.0,
        "theta": -5.0,
        "rho": 1.0,
    }


def brute_force_pain(strikes: list[float], call_oi: list[int], put_oi: list[int]) -> list[float]:
    return [
        sum(c * max(0.0, s - k) for k, c in zip(strikes, call_oi, strict=True))
        + sum(p * max(0.0, k - s) for k, p in zip(strikes, put_oi, strict=True))
        for s in strikes
    ]


def make_chain(
    product: str = "NIFTY",
    expiry: str | None = None,
    ts: datetime | None = None,
    spot: float | None = None,
    n: int = 11,
    seed: int = 1,
    **overrides: Any,
) -> dict[str, Any]:
    spec = get_product(product)
    rng = random.Random(seed)
    expiry = expiry or live_expiries(product, 1)[0]
    ts = ts or utcnow()
    spot = spot if spot is not None else round(spec.base_price * (1 + rng.uniform(-0.003, 0.003)), 2)
    strikes = strikes_for(spec, spot, n)
    calls = [_quote(product, expiry, "CALL", k, rng, spot) for k in strikes]
    puts = [_quote(product, expiry, "PUT", k, rng, spot) for k in strikes]
    call_oi = [q["open_interest"] for q in calls]
    put_oi = [q["open_interest"] for q in puts]
    pain = brute_force_pain(strikes, call_oi, put_oi)
    atm = atm_strike(spec, spot)
    i_atm = strikes.index(atm)
    straddle = round(calls[i_atm]["last"] + puts[i_atm]["last"], 2)
    chain: dict[str, Any] = {
        "type": "OPTION_CHAIN",
        "product": product,
        "expiry": expiry,
        "spot_price": spot,
        "strikes": strikes,
        "calls": calls,
        "puts": puts,
        "timestamp": ts,
        "pcr_oi": round(sum(put_oi) / sum(call_oi), 4),
        "pcr_volume": round(sum(q["volume"] for q in puts) / sum(q["volume"] for q in calls), 4),
        "atm_strike": atm,
        "atm_straddle_price": straddle,
        "max_pain_strike": strikes[pain.index(min(pain))],
        "pain_curve": [{"strike": k, "total_pain": p} for k, p in zip(strikes, pain, strict=True)],
        "total_call_oi": sum(call_oi),
        "total_put_oi": sum(put_oi),
        "call_buildup_otm": sum(q["open_interest"] for q in calls if q["strike"] > spot),
        "put_buildup_otm": sum(q["open_interest"] for q in puts if q["strike"] < spot),
        "atm_iv": calls[i_atm]["iv"],
        "iv_skew_25d": 0.012,
        "expected_move": round(straddle * 0.85, 2),
        "gex": 123456.0,
        "days_to_expiry": 5.0,
        "processed_at": ts + timedelta(milliseconds=3),
    }
    chain.update(overrides)
    return chain


def make_tick(
    product: str = "NIFTY", ts: datetime | None = None, price: float = 21500.0, tick_id: int = 1
) -> dict[str, Any]:
    ts = ts or utcnow()
    return {
        "type": "UNDERLYING_ENRICHED",
        "product": product,
        "price": price,
        "timestamp": ts,
        "tick_id": tick_id,
        "volume": 10,
        "change": 1.5,
        "change_pct": 0.007,
        "processed_at": ts,
    }


def make_candle(product: str, window: int, start: datetime, price: float = 21500.0) -> dict[str, Any]:
    return {
        "product": product,
        "window_minutes": window,
        "open": price,
        "high": price + 10,
        "low": price - 10,
        "close": price + 2,
        "start_time": start,
        "end_time": start + timedelta(minutes=window),
        "num_ticks": 60 * window,
    }


def make_surface(product: str, chains: list[dict[str, Any]], ts: datetime | None = None) -> dict[str, Any]:
    """The pipeline's surface shape (SPEC §3), without the seed-compat fields the API adds."""
    expiries = []
    for chain in chains:
        spot = chain["spot_price"]
        ivs = [
            c["iv"] if k >= spot else p["iv"]
            for k, c, p in zip(chain["strikes"], chain["calls"], chain["puts"], strict=True)
        ]
        expiries.append(
            {
                "expiry": chain["expiry"],
                "days_to_expiry": 5.0,
                "strikes": chain["strikes"],
                "ivs": ivs,
                "atm_iv": chain["atm_iv"],
            }
        )
    return {"product": product, "timestamp": ts or utcnow(), "expiries": expiries, "term_structure": []}


async def seed_chain(runtime: Runtime, chain: dict[str, Any], *, cache: bool = True) -> None:
    """Store a chain and, like the pipeline, cache it as the latest with its PCR."""
    await runtime.repo.upsert_chain(chain)
    if cache:
        ttl = runtime.settings.cache_ttl
        product, expiry = chain["product"], chain["expiry"]
        await runtime.cache.set(keys.latest_chain(product, expiry), chain, ttl)
        pcr = {"pcr_oi": chain["pcr_oi"], "pcr_volume": chain["pcr_volume"], "timestamp": chain["timestamp"]}
        await runtime.cache.set(keys.latest_pcr(product, expiry), pcr, ttl)


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    asgi: Any = None  # the app with its lifespan state, for extra clients

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


@contextlib.asynccontextmanager
async def running_api(
    settings: Settings, roles: frozenset[str] = API_ONLY, client_ip: str = "127.0.0.1"
) -> AsyncIterator[Api]:
    """``create_app`` with its lifespan run, driven in-process through ``httpx.ASGITransport``."""
    app = create_app(settings, roles)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        # manager.app carries the lifespan state into each request (as a server does).
        transport = httpx.ASGITransport(app=manager.app, client=(client_ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(app=app, client=client, asgi=manager.app)


def assert_envelope(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body
