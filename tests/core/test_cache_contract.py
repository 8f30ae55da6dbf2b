"""The Cache contract, run against every backend (in-process TTL cache and a real Redis)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from deltastream.core import jsonx
from deltastream.core.cache import Cache

LONG_TTL_S = 60.0
SHORT_TTL_S = 0.2


async def test_set_returns_the_bytes_get_raw_serves(cache: Cache) -> None:
    value = {
        "product": "NIFTY",
        "pcr": 1.0123,
        "note": "Δ ₹",
        "at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    }

    written = await cache.set("summary:NIFTY", value, LONG_TTL_S)

    assert isinstance(written, bytes)
    assert written == jsonx.dumps(value)
    assert await cache.get_raw("summary:NIFTY") == written
    assert await cache.get("summary:NIFTY") == {
        "product": "NIFTY",
        "pcr": 1.0123,
        "note": "Δ ₹",
        "at": "2025-01-02T03:04:05Z",
    }


async def test_set_raw_stores_bytes_verbatim(cache: Cache) -> None:
    data = b'{"b":2,"a":1}'

    await cache.set_raw("raw", data, LONG_TTL_S)

    assert await cache.get_raw("raw") == data
    assert await cache.get("raw") == {"a": 1, "b": 2}


async def test_missing_key_is_none(cache: Cache) -> None:
    assert await cache.get("never-set") is None
    assert await cache.get_raw("never-set") is None


async def test_values_expire_after_their_ttl(cache: Cache) -> None:
    await cache.set("short", {"v": 1}, SHORT_TTL_S)
    await cache.set("long", {"v": 2}, LONG_TTL_S)

    await asyncio.sleep(SHORT_TTL_S * 3)

    assert await cache.get("short") is None
    assert await cache.get_raw("short") is None
    assert await cache.get("long") == {"v": 2}


async def test_overwrite_replaces_value_and_ttl(cache: Cache) -> None:
    await cache.set("k", {"v": 1}, SHORT_TTL_S)
    await cache.set("k", {"v": 2}, LONG_TTL_S)

    await asyncio.sleep(SHORT_TTL_S * 3)

    assert await cache.get("k") == {"v": 2}


async def test_delete_removes_and_tolerates_missing(cache: Cache) -> None:
    await cache.set("k", [1, 2, 3], LONG_TTL_S)

    await cache.delete("k")
    await cache.delete("k")

    assert await cache.get("k") is None


@pytest.mark.parametrize("value", [0, 1.5, "text", [1, "a", None], {"nested": {"deep": [0.1, -0.0]}}, None])
async def test_any_json_value_round_trips(cache: Cache, value: object) -> None:
    await cache.set("v", value, LONG_TTL_S)

    assert await cache.get_raw("v") == jsonx.dumps(value)
    assert await cache.get("v") == value


async def test_nan_is_cached_as_null(cache: Cache) -> None:
    await cache.set("iv", {"iv": float("nan")}, LONG_TTL_S)

    assert await cache.get("iv") == {"iv": None}


@pytest.mark.parametrize("ttl", [0, -1.0])
async def test_non_positive_ttl_is_rejected(cache: Cache, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await cache.set("k", 1, ttl)
    assert await cache.get("k") is None


async def test_ping_reports_a_live_cache(cache: Cache) -> None:
    assert await cache.ping() is True
