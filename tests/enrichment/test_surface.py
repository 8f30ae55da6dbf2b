"""Volatility surfaces: built from the latest chain of each live expiry, stored, cached, published."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from deltastream import quant
from deltastream.core.bus import TOPIC_ENRICHED_SURFACE
from deltastream.core.jsonx import parse_ts
from deltastream.enrichment import keys, service
from deltastream.wiring import Runtime
from tests.enrichment.factories import T0, make_chain, next_expiry
from tests.fixtures.runtimes import drain


async def test_surface_from_the_latest_chain_of_every_live_expiry(runtime: Runtime) -> None:
    pipeline = runtime.task_queue.pipeline
    sub = await runtime.bus.subscribe(TOPIC_ENRICHED_SURFACE)
    expiries = [next_expiry("NIFTY", T0, i) for i in range(3)]
    for i, expiry in enumerate(reversed(expiries)):
        await service.enrich_and_store_chain(
            pipeline, make_chain("NIFTY", expiry=expiry, vol=0.14 + 0.01 * i)
        )
    newest = make_chain("NIFTY", expiry=expiries[0], ts=T0 + timedelta(seconds=5), vol=0.2)
    await service.enrich_and_store_chain(pipeline, newest)

    surface = await service.build_and_store_surface(pipeline, "NIFTY", as_of=T0 + timedelta(seconds=6))
    assert surface is not None
    assert [e["expiry"] for e in surface["expiries"]] == expiries
    assert surface["timestamp"] == parse_ts(newest["timestamp"])
    front = surface["expiries"][0]
    assert front["atm_iv"] == pytest.approx(0.2, abs=0.01)  # built from the newest front chain
    assert front["num_quotes"] == 42 and len(front["ivs"]) == len(front["strikes"]) == 21
    assert front["avg_iv"] == pytest.approx(np.mean([v for v in front["ivs"] if v is not None]), abs=1e-6)
    # the smile is the OTM side: puts below the forward, calls above
    for k, iv, call_iv, put_iv in zip(
        front["strikes"], front["ivs"], front["call_ivs"], front["put_ivs"], strict=True
    ):
        assert iv == (put_iv if k < front["forward"] else call_iv)
    assert [t["expiry"] for t in surface["term_structure"]] == expiries
    grid = surface["moneyness_grid"]
    assert len(grid["ivs"]) == 3 and len(grid["ivs"][0]) == len(quant.DEFAULT_LOG_MONEYNESS)
    assert grid["ivs"][0][len(grid["log_moneyness"]) // 2] == pytest.approx(front["atm_iv"], abs=2e-3)
    assert len(surface["strike_grid"]["ivs"]) == 3

    stored = await runtime.repo.latest_surface("NIFTY")
    assert stored is not None and [e["expiry"] for e in stored["expiries"]] == expiries
    cached = await runtime.cache.get(keys.surface("NIFTY"))
    assert cached["expiries"][0]["atm_iv"] == front["atm_iv"]
    live = await runtime.cache.get(keys.live_expiries("NIFTY"))
    assert live["expiries"] == expiries
    assert len(await drain(sub)) == 1


async def test_expired_or_missing_expiries_are_left_out(runtime: Runtime) -> None:
    pipeline = runtime.task_queue.pipeline
    assert await service.build_and_store_surface(pipeline, "AAPL", as_of=T0) is None
    expiry = next_expiry("AAPL", T0)
    await service.enrich_and_store_chain(pipeline, make_chain("AAPL", expiry=expiry))
    assert await service.build_and_store_surface(pipeline, "AAPL", as_of=T0 + timedelta(days=30)) is None
    assert (await runtime.cache.get(keys.live_expiries("AAPL")))["expiries"] == []
