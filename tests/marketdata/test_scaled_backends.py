"""The read routes on the scale-out backends: MongoDB storage and the Redis cache/bus.

The route logic is backend-agnostic (it talks to each context's repository protocol and the Cache protocol); these
tests prove the pre-serialised cache path, the cache-aside fill and the analytics reads hold on
the real servers too.
"""

from __future__ import annotations

from datetime import timedelta

from deltastream.core import jsonx
from deltastream.core.clock import utcnow
from deltastream.enrichment import keys
from deltastream.settings import Settings
from tests.factories import enriched_tick
from tests.fixtures.api import assert_envelope, live_expiries, oracle_chain, running_api, seed_chain


async def test_routes_on_mongo_and_redis(
    settings: Settings, mongo_url: str, mongo_db_name: str, redis_url: str, redis_prefix: str
) -> None:
    scaled = settings.model_copy(
        update={
            "mongo_url": mongo_url,
            "mongo_db": mongo_db_name,
            "redis_url": redis_url,
            "redis_prefix": redis_prefix,
        }
    )
    near, far = live_expiries("NIFTY", 2)
    async with running_api(scaled) as api:
        assert api.runtime.repo.name == "mongo"
        now = utcnow()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # BSON dates keep milliseconds
        for i in range(3):
            await api.runtime.repo.upsert_tick(
                enriched_tick("NIFTY", timestamp=now - timedelta(seconds=i), price=21500.0 + i, tick_id=i)
            )
        await seed_chain(api.runtime, oracle_chain("NIFTY", near, now, seed=1))
        stored_only = oracle_chain("NIFTY", far, now, seed=2)
        await seed_chain(api.runtime, stored_only, cache=False)

        cached = await api.client.get("/api/data/chain/NIFTY/latest")
        assert cached.status_code == 200 and cached.headers["x-expiry"] == near
        assert cached.content == await api.runtime.cache.get_raw(keys.latest_chain("NIFTY", near))

        miss = await api.client.get("/api/data/chain/NIFTY/latest", params={"expiry": far})
        assert miss.status_code == 200
        assert miss.json()["timestamp"] == jsonx.isoformat_z(stored_only["timestamp"])
        assert await api.runtime.cache.get_raw(keys.latest_chain("NIFTY", far)) == miss.content

        ticks = (await api.client.get("/api/data/underlying/NIFTY", params={"limit": 2})).json()
        assert [t["tick_id"] for t in ticks["ticks"]] == [0, 1]
        assert (await api.client.get("/api/data/expiries/NIFTY")).json()["expiries"] == [near, far]
        pcr = (await api.client.get("/api/analytics/pcr/NIFTY")).json()
        assert {p["expiry"] for p in pcr["latest"]} == {near, far}
        assert (await api.client.get("/api/analytics/max-pain/NIFTY")).json()["expiry"] == near
        assert_envelope(await api.client.get("/api/analytics/volatility-surface/NIFTY"), 404)
        assert (await api.client.get("/api/data/products")).headers["x-ratelimit-remaining"].isdigit()
