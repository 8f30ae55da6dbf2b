"""The per-stage histogram is fed by the real pipeline and exported on /metrics, one series per stage."""

from __future__ import annotations

import re

from deltastream.core.metrics import STAGES
from deltastream.settings import Settings
from deltastream.wiring import ALL_ROLES
from tests.fixtures.api import running_api
from tests.fixtures.runtimes import wait_until


def _counts(metrics: str) -> dict[str, float]:
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r'^deltastream_stage_seconds_count\{stage="([a-z_]+)"\} (\S+)$', metrics, re.M)
    }


async def test_every_stage_is_exported_and_the_live_pipeline_observes_them(settings: Settings) -> None:
    async with running_api(settings, ALL_ROLES) as api:
        start = _counts((await api.client.get("/metrics")).text)
        assert set(start) == set(STAGES), "every stage is on /metrics from the start"
        moving = {"feed_dispatch", "queue_wait", "enrich_compute", "storage_write", "cache_write", "bus_socket"}

        async def all_moved() -> bool:
            now = _counts((await api.client.get("/metrics")).text)
            return all(now[s] > start[s] for s in moving)

        await wait_until(all_moved, timeout_s=20, every_s=0.1)
        text = (await api.client.get("/metrics")).text

    assert '# TYPE deltastream_stage_seconds histogram' in text
    assert re.search(r'^deltastream_stage_seconds_bucket\{le="\+Inf",stage="storage_write"\} ', text, re.M)
