"""What the manifests assume of every role: /health, /ready and /metrics on the app port.

Compose healthchecks, Kubernetes probes and Prometheus scrape the worker and the feed exactly as
they do the API (port 8000), because the pipeline's counters and gauges live in those processes.
"""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager

from deltastream.app import create_app
from deltastream.settings import Settings
from tests.deploy.conftest import ROLE_VERBS


@pytest.mark.parametrize("role", sorted(ROLE_VERBS))
async def test_each_role_serves_the_probed_and_scraped_paths(settings: Settings, role: str) -> None:
    app = create_app(settings, frozenset({role}))

    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            health = await client.get("/health")
            ready = await client.get("/ready")
            metrics = await client.get("/metrics")

    assert health.status_code == 200 and health.json()["roles"] == [role]
    assert ready.status_code == 200
    assert metrics.status_code == 200, f"the {role} role does not serve /metrics"
    assert "deltastream_" in metrics.text
