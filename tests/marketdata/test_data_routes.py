"""``/api/data/*`` route by route against a seeded SQLite store and in-process cache."""

from __future__ import annotations

from datetime import timedelta

from deltastream.core import jsonx
from deltastream.core.clock import utcnow
from deltastream.enrichment import keys
from deltastream.settings import Settings
from tests.factories import candle, enriched_tick
from tests.fixtures.api import Api, assert_envelope, live_expiries, oracle_chain, seed_chain


async def test_products_lists_the_configured_products(api: Api, settings: Settings) -> None:
    response = await api.client.get("/api/data/products")
    assert response.status_code == 200
    assert response.json() == {"products": list(settings.feed_products)}


async def test_underlying_ticks_newest_first_with_limit_and_range(api: Api) -> None:
    now = utcnow().replace(microsecond=0)
    ticks = [
        enriched_tick("NIFTY", timestamp=now - timedelta(seconds=10 - i), price=21500.0 + i, tick_id=i)
        for i in range(10)
    ]
    for tick in ticks:
        await api.runtime.repo.upsert_tick(tick)
    await api.runtime.repo.upsert_tick(enriched_tick("BANKNIFTY", timestamp=now, price=45000.0))

    default = (await api.client.get("/api/data/underlying/NIFTY")).json()
    assert default["product"] == "NIFTY" and default["count"] == 10
    assert [t["tick_id"] for t in default["ticks"]] == list(range(9, -1, -1))

    limited = (await api.client.get("/api/data/underlying/nifty", params={"limit": 3})).json()
    assert limited["product"] == "NIFTY"
    assert [t["price"] for t in limited["ticks"]] == [21509.0, 21508.0, 21507.0]
    assert limited["ticks"][0]["timestamp"].endswith("Z")

    start = jsonx.isoformat_z(now - timedelta(seconds=8))
    end = jsonx.isoformat_z(now - timedelta(seconds=6))
    ranged = (await api.client.get("/api/data/underlying/NIFTY", params={"start": start, "end": end})).json()
    assert [t["tick_id"] for t in ranged["ticks"]] == [4, 3, 2]


async def test_underlying_bad_input_is_a_4xx_envelope(api: Api) -> None:
    assert_envelope(await api.client.get("/api/data/underlying/NOPE"), 404, "not_found")
    for params in (
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"start": "yesterday"},
        {"end": "2025-02-30T00:00:00"},
    ):
        assert_envelope(
            await api.client.get("/api/data/underlying/NIFTY", params=params), 422, "validation_error"
        )
    reversed_range = await api.client.get(
        "/api/data/underlying/NIFTY", params={"start": "2025-01-02T00:00:00Z", "end": "2025-01-01T00:00:00Z"}
    )
    assert_envelope(reversed_range, 422, "validation_error")
    for extreme in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"):
        out_of_range = await api.client.get("/api/data/underlying/NIFTY", params={"start": extreme})
        assert_envelope(out_of_range, 422, "validation_error")


async def test_unknown_product_404_lists_the_known_ones(api: Api) -> None:
    body = assert_envelope(await api.client.get("/api/data/chain/XYZ/latest"), 404, "not_found")
    assert "NIFTY" in body["error"]["details"]["known_products"]
    assert "XYZ" in body["error"]["message"]


async def test_chains_filter_by_expiry_newest_first(api: Api) -> None:
    near, far = live_expiries("NIFTY", 2)
    now = utcnow()
    for i in range(3):
        await seed_chain(api.runtime, oracle_chain("NIFTY", near, now - timedelta(seconds=30 - i), seed=i))
    await seed_chain(api.runtime, oracle_chain("NIFTY", far, now, seed=9))

    everything = (await api.client.get("/api/data/chain/NIFTY")).json()
    assert everything["count"] == 4
    only_near = (await api.client.get("/api/data/chain/NIFTY", params={"expiry": near, "limit": 2})).json()
    assert only_near["count"] == 2
    assert {c["expiry"] for c in only_near["chains"]} == {near}
    assert only_near["chains"][0]["timestamp"] > only_near["chains"][1]["timestamp"]
    chain = only_near["chains"][0]
    assert len(chain["calls"]) == len(chain["puts"]) == len(chain["strikes"])
    assert {"pcr_oi", "max_pain_strike", "atm_straddle_price", "pain_curve"} <= set(chain)
    assert_envelope(await api.client.get("/api/data/chain/NIFTY", params={"expiry": "2025-13-45"}), 422)
    assert_envelope(await api.client.get("/api/data/chain/NIFTY", params={"limit": 1001}), 422)


async def test_latest_chain_serves_the_cached_bytes_verbatim(api: Api) -> None:
    near, far = live_expiries("NIFTY", 2)
    await seed_chain(api.runtime, oracle_chain("NIFTY", near))
    # A marker only the cache has: proves the route serves the cache, not storage, and does not re-encode.
    cached = jsonx.dumps({**oracle_chain("NIFTY", far), "cache_marker": "from-cache"})
    await api.runtime.cache.set_raw(keys.latest_chain("NIFTY", far), cached, 60)

    response = await api.client.get("/api/data/chain/NIFTY/latest", params={"expiry": far})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == cached
    assert response.headers["x-expiry"] == far


async def test_latest_chain_without_expiry_uses_the_nearest_live_expiry(api: Api) -> None:
    near, far = live_expiries("NIFTY", 2)
    await seed_chain(api.runtime, oracle_chain("NIFTY", far, seed=2))
    await seed_chain(api.runtime, oracle_chain("NIFTY", near, seed=1))
    response = await api.client.get("/api/data/chain/NIFTY/latest")
    assert response.status_code == 200
    assert response.json()["expiry"] == near
    assert response.headers["x-expiry"] == near


async def test_latest_chain_cache_miss_reads_storage_then_fills_the_cache(api: Api) -> None:
    near = live_expiries("NIFTY", 1)[0]
    old = oracle_chain("NIFTY", near, utcnow() - timedelta(minutes=5), seed=1)
    new = oracle_chain("NIFTY", near, utcnow(), seed=2)
    await seed_chain(api.runtime, old, cache=False)
    await seed_chain(api.runtime, new, cache=False)
    key = keys.latest_chain("NIFTY", near)
    assert await api.runtime.cache.get_raw(key) is None

    response = await api.client.get("/api/data/chain/NIFTY/latest", params={"expiry": near})
    assert response.status_code == 200
    assert response.json()["pcr_oi"] == new["pcr_oi"]
    assert response.json()["timestamp"] == jsonx.isoformat_z(new["timestamp"])
    assert await api.runtime.cache.get_raw(key) == response.content


async def test_latest_chain_404s(api: Api) -> None:
    assert_envelope(await api.client.get("/api/data/chain/NIFTY/latest"), 404, "not_found")
    await seed_chain(api.runtime, oracle_chain("NIFTY", live_expiries("NIFTY", 1)[0]))
    missing = await api.client.get("/api/data/chain/NIFTY/latest", params={"expiry": "2030-01-03"})
    body = assert_envelope(missing, 404, "not_found")
    assert body["error"]["details"] == {"product": "NIFTY", "expiry": "2030-01-03"}


async def test_expiries_are_sorted(api: Api) -> None:
    first, second, third = live_expiries("SPY", 3)
    for expiry in (third, first, second):
        await seed_chain(api.runtime, oracle_chain("SPY", expiry))
    body = (await api.client.get("/api/data/expiries/SPY")).json()
    assert body == {"product": "SPY", "expiries": [first, second, third]}


async def test_ohlc_by_window_newest_first(api: Api) -> None:
    base = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    for i in range(4):
        await api.runtime.repo.upsert_candle(
            candle("NIFTY", 5, start_time=base + timedelta(minutes=5 * i), open=21500.0 + i)
        )
    await api.runtime.repo.upsert_candle(candle("NIFTY", 1, start_time=base, open=1.0))
    body = (await api.client.get("/api/data/ohlc/NIFTY", params={"window": 5, "limit": 3})).json()
    assert body["window_minutes"] == 5 and body["count"] == 3
    assert [c["open"] for c in body["candles"]] == [21503.0, 21502.0, 21501.0]
    assert body["candles"][0]["start_time"].endswith("Z")
    one = (await api.client.get("/api/data/ohlc/NIFTY")).json()
    assert one["window_minutes"] == 1 and [c["open"] for c in one["candles"]] == [1.0]
    for window in ("2", "60", "x"):
        assert_envelope(await api.client.get("/api/data/ohlc/NIFTY", params={"window": window}), 422)


async def test_every_response_has_request_id_and_rate_limit_headers(api: Api) -> None:
    response = await api.client.get("/api/data/products", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-ratelimit-limit"] == "100"
    assert response.headers["x-ratelimit-remaining"] == "99"
    again = await api.client.get("/api/data/underlying/NOPE")
    assert again.status_code == 404
    assert again.headers["x-ratelimit-remaining"] == "98"
    assert len(again.headers["x-request-id"]) == 32
