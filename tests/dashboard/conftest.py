"""A real app (every role: feed, enrichment, API) on 127.0.0.1 with a fast seeded feed, for the
browser tests of the dashboard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from deltastream.app import create_app
from deltastream.settings import Settings
from tests.realtime.conftest import LiveServer, serve


def dashboard_settings(settings: Settings) -> Settings:
    """Two products at 5 ticks a second, a chain every 2nd tick, a surface every 0.5 s, no rate limit
    (every test's browser is the same 127.0.0.1 client)."""
    return settings.model_copy(
        update={
            "feed_products": ["NIFTY", "BANKNIFTY"],
            "feed_interval": 0.2,
            "feed_chain_every": 2,
            "feed_strikes": 21,
            "surface_interval": 0.5,
            "rate_limit_enabled": False,
        }
    )


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    async with serve(create_app(dashboard_settings(settings))) as server:
        await wait_for_chain(server)
        yield server


async def wait_for_chain(server: LiveServer) -> None:
    """Until the pipeline has cached a NIFTY chain (so the first page load has data)."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        for _ in range(200):
            if (await http.get("/api/data/chain/NIFTY/latest")).status_code == 200:
                return
            await asyncio.sleep(0.1)
    pytest.fail("no NIFTY chain within 20 s of start-up", pytrace=False)
