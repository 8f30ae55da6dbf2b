"""The Supervisor: it owns background tasks, logs a crash instead of losing it, cancels the rest."""

from __future__ import annotations

import asyncio
import contextlib

from structlog.testing import capture_logs

from deltastream.core.lifecycle import Supervisor


async def _forever(started: asyncio.Event) -> None:
    started.set()
    await asyncio.sleep(3600)


async def test_close_cancels_every_task_still_running() -> None:
    supervisor = Supervisor()
    first, second = asyncio.Event(), asyncio.Event()
    tasks = [supervisor.spawn(_forever(first), "first"), supervisor.spawn(_forever(second), "second")]
    await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), 5)
    assert supervisor.running == 2
    assert [t.get_name() for t in tasks] == ["first", "second"]

    await supervisor.close()

    assert all(t.cancelled() for t in tasks)
    assert supervisor.running == 0
    await supervisor.close()  # nothing left: a second close is a no-op


async def test_a_crash_is_logged_with_the_task_name_and_a_cancel_is_not() -> None:
    supervisor = Supervisor()

    async def boom() -> None:
        raise RuntimeError("kaput")

    with capture_logs() as logs:
        crashed = supervisor.spawn(boom(), "boomer")
        with contextlib.suppress(RuntimeError):
            await crashed
        started = asyncio.Event()
        supervisor.spawn(_forever(started), "sleeper")
        await started.wait()
        await supervisor.close()
        await asyncio.sleep(0)  # done callbacks run on the next loop iteration

    crashes = [e for e in logs if e["event"] == "background_task_crashed"]
    assert len(crashes) == 1, logs
    assert crashes[0]["task"] == "boomer"
    assert crashes[0]["log_level"] == "error"
    assert "kaput" in crashes[0]["error"]
    assert supervisor.running == 0
