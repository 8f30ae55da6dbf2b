"""The composition root's Runtime: one component that fails to stop must not keep the rest open."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from deltastream.settings import Settings
from deltastream.wiring import ROLE_FEED, build_runtime


async def test_stop_goes_on_past_a_failing_component_and_closes_storage(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = build_runtime(settings, frozenset({ROLE_FEED}), components={"retention", "feed"})
    assert runtime.feed is not None and runtime.retention is not None
    await runtime.start()
    assert runtime.ready and await runtime.repo.ping() is True
    stopped: list[str] = []
    retention_stop = runtime.retention.stop

    async def broken_stop() -> None:
        stopped.append("feed")
        raise RuntimeError("feed stuck")

    async def recorded_stop() -> None:
        stopped.append("retention")
        await retention_stop()

    monkeypatch.setattr(runtime.feed, "stop", broken_stop)
    monkeypatch.setattr(runtime.retention, "stop", recorded_stop)

    with capture_logs() as logs:
        await runtime.stop()

    assert stopped == ["feed", "retention"]  # reverse start order, past the failure
    failures = [e for e in logs if e["event"] == "component_stop_failed"]
    assert len(failures) == 1, logs
    assert failures[0]["component"] == "feed" and "feed stuck" in failures[0]["error"]
    assert runtime.supervisor.running == 0  # the feed's own task was cancelled by the supervisor
    assert runtime.ready is False
    assert await runtime.repo.ping() is False  # storage closed all the same
