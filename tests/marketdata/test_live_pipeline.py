"""Every data and analytics route against a real running pipeline (feed → enrichment → storage
and cache), all roles in one process, for a couple of seconds of a fast simulated feed."""

from __future__ import annotations

import asyncio

from deltastream.settings import Settings
from deltastream.wiring import ALL_ROLES
from tests.fixtures.api import Api, running_api

PRODUCT = "NIFTY"


async def _wait_for(api: Api, path: str, timeout_s: float = 20.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        response = await api.client.get(path)
        if response.status_code == 200:
            return response.json()
        assert loop.time() < deadline, f"{path} still {response.status_code}: {response.text}"
        await asyncio.sleep(0.1)


async def test_routes_serve_what_the_pipeline_produced(settings: Settings) -> None:
    live = settings.model_copy(
        update={
            "feed_products": [PRODUCT, "SPY"],
            "feed_expiries": 2,
            "feed_strikes": 11,
            "feed_chain_every": 2,
            "surface_interval": 0.3,
            "rate_limit_enabled": False,
        }
    )
    async with running_api(live, roles=ALL_ROLES) as api:
        latest = await _wait_for(api, f"/api/data/chain/{PRODUCT}/latest")
        surface = await _wait_for(api, f"/api/analytics/volatility-surface/{PRODUCT}")
        await asyncio.sleep(0.5)

        assert latest["product"] == PRODUCT and len(latest["calls"]) == 11
        assert {"pcr_oi", "max_pain_strike", "pain_curve", "atm_iv", "processed_at"} <= set(latest)
        expiries = (await api.client.get(f"/api/data/expiries/{PRODUCT}")).json()["expiries"]
        assert latest["expiry"] == expiries[0] and len(expiries) == 2

        ticks = (await api.client.get(f"/api/data/underlying/{PRODUCT}", params={"limit": 5})).json()
        assert ticks["count"] == 5
        assert ticks["ticks"][0]["timestamp"] > ticks["ticks"][-1]["timestamp"]
        chains = (await api.client.get(f"/api/data/chain/{PRODUCT}", params={"limit": 3})).json()
        assert chains["count"] >= 1
        ohlc = (await api.client.get(f"/api/data/ohlc/{PRODUCT}", params={"window": 1})).json()
        assert ohlc["count"] >= 1 and ohlc["candles"][0]["num_ticks"] >= 1

        pcr = (await api.client.get(f"/api/analytics/pcr/{PRODUCT}", params={"history": "true"})).json()
        assert {p["expiry"] for p in pcr["latest"]} == set(expiries)
        assert pcr["data_points"] >= 2 and pcr["history"]
        max_pain = (await api.client.get(f"/api/analytics/max-pain/{PRODUCT}")).json()
        curve = {p["strike"]: p["total_pain"] for p in max_pain["pain_curve"]}
        assert max_pain["max_pain_strike"] == min(curve, key=curve.__getitem__)
        assert max_pain["expiry_source"] == "nearest"
        oi = (await api.client.get(f"/api/analytics/oi-analysis/{PRODUCT}")).json()
        assert len(oi["strikes"]) == 11
        buildup = (await api.client.get(f"/api/analytics/oi-buildup/{PRODUCT}")).json()
        if buildup["timestamp"] == oi["timestamp"]:  # the same chain: the bands partition its OI
            assert sum(buildup["call_buildup"].values()) == sum(r["call_oi"] for r in oi["strikes"])
            assert sum(buildup["put_buildup"].values()) == sum(r["put_oi"] for r in oi["strikes"])
        iv = (await api.client.get(f"/api/analytics/iv/{PRODUCT}", params={"lookback_hours": 1})).json()
        assert iv["observations"] >= 1 and iv["current_iv"] is not None
        assert {e["expiry"] for e in surface["expiries"]} == set(expiries)
        assert all(len(e["call_ivs"]) == len(e["strikes"]) for e in surface["expiries"])
        mobile = (await api.client.get(f"/api/mobile/chain/{PRODUCT}")).json()
        assert mobile["expiry"] == expiries[0] and mobile["spot_price"] > 0
        metrics = (await api.client.get("/metrics")).text
        assert 'deltastream_chains_enriched_total{product="NIFTY"}' in metrics
