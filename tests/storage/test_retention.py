"""RetentionComponent: purges by age on a schedule, registered for the roles that write."""

from __future__ import annotations

import asyncio
from typing import Any

from deltastream.core.lifecycle import Supervisor
from deltastream.settings import Settings
from deltastream.storage.retention import RetentionComponent
from deltastream.wiring import ROLE_API, ROLE_FEED, ROLE_WORKER, build_runtime
from tests.factories import enriched_chain, enriched_tick

from .conftest import EXPIRY, at


async def _wait_for_runs(component: RetentionComponent, runs: int) -> None:
    for _ in range(500):
        if component.runs >= runs:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"retention ran {component.runs} times, expected {runs}")


async def test_component_purges_periodically(repo: Any, settings: Settings) -> None:
    # Retention 30 minutes, a purge every 50 ms.
    tuned = settings.model_copy(update={"retention_days": 30 / 1440, "purge_interval": 0.05})
    await repo.upsert_tick(enriched_tick(timestamp=at(90)))
    await repo.upsert_tick(enriched_tick(timestamp=at(0)))
    await repo.upsert_chain(enriched_chain(expiry=EXPIRY, timestamp=at(45)))

    supervisor = Supervisor()
    component = RetentionComponent(tuned, repo, supervisor)
    await component.start()
    try:
        await _wait_for_runs(component, 1)
        assert component.last_counts is not None
        assert component.last_counts["underlying_ticks"] == 1
        assert component.last_counts["option_chains"] == 1
        assert [t["timestamp"] for t in await repo.list_ticks("NIFTY")] == [at(0)]
        # Data that is already past the cutoff when written goes with a later run.
        await repo.upsert_tick(enriched_tick(timestamp=at(31)))
        await _wait_for_runs(component, component.runs + 2)
        assert [t["timestamp"] for t in await repo.list_ticks("NIFTY")] == [at(0)]
    finally:
        await component.stop()
        await supervisor.close()


def test_registered_for_writing_roles_only(settings: Settings) -> None:
    def has_retention(roles: frozenset[str]) -> bool:
        return build_runtime(settings, roles).retention is not None

    assert has_retention(frozenset({ROLE_FEED}))
    assert has_retention(frozenset({ROLE_WORKER}))
    assert has_retention(frozenset({ROLE_API, ROLE_FEED, ROLE_WORKER}))
    assert not has_retention(frozenset({ROLE_API}))
    both = build_runtime(settings, frozenset({ROLE_FEED, ROLE_WORKER})).components
    assert [type(c) for c in both].count(RetentionComponent) == 1
