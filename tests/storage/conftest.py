"""Storage fixtures: a started repository per backend (fresh file / fresh database) and factories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from deltastream.storage.mongo import MongoRepository
from deltastream.storage.sqlite import SQLiteRepository
from deltastream.wiring import Backend

# Whole seconds, a minute in the past: exact on both backends (BSON dates hold milliseconds)
# and well inside the Mongo TTL, which expires anything older than the retention.
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)


def at(minutes_ago: float) -> datetime:
    return BASE - timedelta(minutes=minutes_ago)


def make_tick(**overrides: Any) -> dict[str, Any]:
    tick = {"product": "NIFTY", "price": 21500.5, "timestamp": at(0), "tick_id": 1, "volume": 10}
    return tick | overrides


def make_quote(strike: float, option_type: str, expiry: str) -> dict[str, Any]:
    return {
        "symbol": f"NIFTY{expiry}{int(strike)}{option_type[0]}E",
        "strike": strike,
        "expiry": expiry,
        "option_type": option_type,
        "bid": 10.0,
        "ask": 10.5,
        "last": 10.2,
        "volume": 100,
        "open_interest": 1000,
        "iv": 0.15,
        "delta": 0.5,
    }


def make_chain(**overrides: Any) -> dict[str, Any]:
    expiry = overrides.get("expiry", "2030-01-31")
    strikes = [21400.0, 21500.0, 21600.0]
    chain = {
        "product": "NIFTY",
        "expiry": expiry,
        "timestamp": at(0),
        "spot_price": 21510.0,
        "strikes": strikes,
        "calls": [make_quote(k, "CALL", expiry) for k in strikes],
        "puts": [make_quote(k, "PUT", expiry) for k in strikes],
        "pcr_oi": 1.25,
        "pcr_volume": 0.8,
        "atm_strike": 21500.0,
        "atm_iv": 0.14,
        "atm_straddle_price": 250.5,
        "max_pain_strike": 21400.0,
    }
    return chain | overrides


def make_candle(**overrides: Any) -> dict[str, Any]:
    candle = {
        "product": "NIFTY",
        "window_minutes": 5,
        "start_time": at(5),
        "end_time": at(0),
        "open": 100.0,
        "high": 110.0,
        "low": 95.0,
        "close": 105.0,
        "num_ticks": 42,
    }
    return candle | overrides


def make_surface(**overrides: Any) -> dict[str, Any]:
    surface = {
        "product": "NIFTY",
        "timestamp": at(0),
        "expiries": [
            {"expiry": "2030-01-31", "strikes": [21400.0, 21500.0], "ivs": [0.16, 0.14], "avg_iv": 0.15}
        ],
    }
    return surface | overrides


@pytest.fixture
async def sqlite_repo(tmp_path: Path) -> AsyncIterator[SQLiteRepository]:
    repo = SQLiteRepository(tmp_path / "storage.db")
    await repo.start()
    try:
        yield repo
    finally:
        await repo.close()


@pytest.fixture
async def mongo_repo(mongo_url: str, mongo_db_name: str) -> AsyncIterator[MongoRepository]:
    repo = MongoRepository(mongo_url, database=mongo_db_name)
    await repo.start()
    try:
        yield repo
    finally:
        await repo.close()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
        await client.drop_database(mongo_db_name)
        await client.close()


@pytest.fixture(params=["sqlite", "mongo"])
def repo(request: pytest.FixtureRequest) -> Backend:
    fixture = "sqlite_repo" if request.param == "sqlite" else "mongo_repo"
    backend: Backend = request.getfixturevalue(fixture)
    return backend
