"""RetentionComponent: purges by age on a schedule, registered for the roles that write."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from deltastream.settings import Settings
from deltastream.storage import Repository
from deltastream.storage.retention import RetentionComponent
from deltastream.wiring import ROLE_API, ROLE_FEED, ROLE_WORKER, component_factories

from .conftest import at, make_chain, make_tick


@dataclass
class _Runtime:
    repo: Repository
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self.tasks.append(task)
        return task


async def _wait_for_runs(component: RetentionComponent, runs: int) -> None:
    for _ in range(500):
        if component.runs >= runs:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"retention ran {component.runs} times, expected {runs}")


async def test_component_purges_periodically(repo: Repository, settings: Settings) -> None:
    # Retention 30 minutes, a purge every 50 ms.
    tuned = settings.model_copy(update={"retention_days": 30 / 1440, "purge_interval": 0.05})
    await repo.upsert_tick(make_tick(timestamp=at(90)))
    await repo.upsert_tick(make_tick(timestamp=at(0)))
    await repo.upsert_chain(make_chain(timestamp=at(45)))

    component = RetentionComponent(tuned)
    await component.start(_Runtime(repo))  # type: ignore[arg-type]
    try:
        await _wait_for_runs(component, 1)
        assert component.last_counts is not None
        assert component.last_counts["underlying_ticks"] == 1
        assert component.last_counts["option_chains"] == 1
        assert [t["timestamp"] for t in await repo.list_ticks("NIFTY")] == [at(0)]
        # Data that is already past the cutoff when written goes with a later run.
        await repo.upsert_tick(make_tick(timestamp=at(31)))
        await _wait_for_runs(component, component.runs + 2)
        assert [t["timestamp"] for t in await repo.list_ticks("NIFTY")] == [at(0)]
    finally:
        await component.stop()


def test_registered_for_writing_roles_only() -> None:
    def has_retention(roles: frozenset[str]) -> bool:
        return RetentionComponent in component_factories(roles)

    assert has_retention(frozenset({ROLE_FEED}))
    assert has_retention(frozenset({ROLE_WORKER}))
    assert has_retention(frozenset({ROLE_API, ROLE_FEED, ROLE_WORKER}))
    assert not has_retention(frozenset({ROLE_API}))
    assert component_factories(frozenset({ROLE_FEED, ROLE_WORKER})).count(RetentionComponent) == 1
