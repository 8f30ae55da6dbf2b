"""How a context's background part starts and stops, and who owns its tasks.

A :class:`Component` is built by the composition root (``deltastream.wiring``) with every
collaborator it uses passed to ``__init__``; ``start()`` and ``stop()`` take nothing. Background
coroutines go through the :class:`Supervisor` the component was given, which names each task,
logs a crash instead of losing it, and cancels whatever is still running at shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from deltastream.core.logging import get_logger

log = get_logger("lifecycle")


class Component(Protocol):
    """A context's runtime part: started after the backends, stopped before them."""

    @property
    def name(self) -> str: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Supervisor:
    """Owns background tasks: each is named, a crash is logged, and :meth:`close` cancels the rest."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as a task owned by this supervisor; it is cancelled by :meth:`close`."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_crash)
        return task

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        """Cancel every task still running and wait for them all to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _log_crash(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background_task_crashed", task=task.get_name(), error=repr(task.exception()))
