"""Seeded market data for the AI routes: a stored chain 20 minutes old and a newer one, with the
tick, so the pulse has a 15-minute PCR trend and every figure comes from stored data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from deltastream.core.clock import utcnow
from deltastream.enrichment import keys
from deltastream.enrichment.events import EnrichedChain
from deltastream.settings import Settings
from tests.ai.fake_llm import FakeLlm, serve_fake_llm
from tests.factories import enriched_tick
from tests.fixtures.api import Api, oracle_chain, running_api, seed_chain


async def seed_market(api: Api) -> tuple[EnrichedChain, EnrichedChain]:
    """NIFTY's chain 20 minutes ago (stored only) and now (stored and cached), with the tick."""
    now = utcnow()
    old = oracle_chain("NIFTY", ts=now - timedelta(minutes=20), seed=3)
    new = oracle_chain("NIFTY", expiry=old["expiry"], ts=now - timedelta(seconds=2), seed=4)
    await seed_chain(api.runtime, old, cache=False)
    await seed_chain(api.runtime, new)
    tick = enriched_tick("NIFTY", price=new["spot_price"], session_open=round(new["spot_price"] * 0.996, 2))
    await api.runtime.repo.upsert_tick(tick)
    await api.runtime.cache.set(keys.latest_underlying("NIFTY"), tick, ttl=300)
    return old, new


@pytest.fixture
async def market(settings: Settings) -> AsyncIterator[tuple[Api, EnrichedChain, EnrichedChain]]:
    async with running_api(settings.model_copy(update={"rate_limit_enabled": False})) as api:
        old, new = await seed_market(api)
        yield api, old, new


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLlm]:
    """A fake OpenAI-compatible server on 127.0.0.1 (see ``tests/ai/fake_llm.py``)."""
    async with serve_fake_llm() as fake:
        yield fake
