"""Composition root: builds the backends for a set of roles and starts each context's component.

Nothing connects at import time. ``Runtime`` is the typed container handed to every component
and stored on ``app.state.runtime``. Components start in order and stop in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from deltastream.core.bus import EventBus, create_bus
from deltastream.core.cache import Cache, create_cache
from deltastream.core.logging import get_logger
from deltastream.settings import Settings
from deltastream.storage import Repository, create_repository

ROLE_API = "api"
ROLE_FEED = "feed"
ROLE_WORKER = "worker"
ALL_ROLES = frozenset({ROLE_API, ROLE_FEED, ROLE_WORKER})

log = get_logger("wiring")


class Component(Protocol):
    """A context's runtime part: started after the backends, stopped before them."""

    name: str

    async def start(self, runtime: Runtime) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    roles: frozenset[str]
    bus: EventBus
    cache: Cache
    repo: Repository
    components: list[Component] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """Run a background task owned by the runtime; it is cancelled on shutdown."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_crash)
        return task

    def component(self, name: str) -> Any:
        for comp in self.components:
            if comp.name == name:
                return comp
        raise KeyError(name)

    async def start(self) -> None:
        """Start backends, then components; on any failure stop what started and re-raise."""
        try:
            await self.repo.start()
            await self.cache.start()
            await self.bus.start()
            for comp in self.components:
                await comp.start(self)
                log.info("component_started", component=comp.name, roles=sorted(self.roles))
        except BaseException:
            await self.stop()
            raise
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        for comp in reversed(self.components):
            with contextlib.suppress(Exception):
                await comp.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for closer in (self.bus.close, self.cache.close, self.repo.close):
            with contextlib.suppress(Exception):
                await closer()


def _log_crash(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background_task_crashed", task=task.get_name(), error=repr(task.exception()))


ComponentFactory = Callable[[Settings], Component]


def component_factories(roles: frozenset[str]) -> list[ComponentFactory]:
    """The components each role needs, in start order. Contexts register here explicitly."""
    factories: list[ComponentFactory] = []
    # Storage: retention purge, for the roles that write (feed, worker).
    if roles & {ROLE_FEED, ROLE_WORKER}:
        from deltastream.storage.retention import RetentionComponent

        factories.append(RetentionComponent)
    # Start order matters: consumers before producers, so nothing published at start-up is lost.
    # Worker role: enrichment task executor.
    if ROLE_WORKER in roles:
        from deltastream.enrichment.worker import EnrichmentWorker

        factories.append(EnrichmentWorker)
    # API role: the realtime bridge (bus -> Socket.IO rooms).
    if ROLE_API in roles:
        from deltastream.realtime.component import RealtimeComponent

        factories.append(RealtimeComponent)
    # Feed role: enrichment dispatcher (bus -> tasks), then the feed itself.
    if ROLE_FEED in roles:
        from deltastream.enrichment.dispatcher import EnrichmentDispatcher
        from deltastream.feed.component import FeedComponent

        # Exactly one dispatcher per deployment (see its docstring); it starts before the feed.
        factories.extend([EnrichmentDispatcher, FeedComponent])
    return factories


def build_runtime(
    settings: Settings,
    roles: frozenset[str] = ALL_ROLES,
    *,
    repo: Repository | None = None,
    bus: EventBus | None = None,
    cache: Cache | None = None,
) -> Runtime:
    """Create (not start) the backends and components for ``roles``. Tests may inject backends."""
    runtime = Runtime(
        settings=settings,
        roles=roles,
        bus=bus or create_bus(settings),
        cache=cache or create_cache(settings),
        repo=repo or create_repository(settings),
    )
    runtime.components = [factory(settings) for factory in component_factories(roles)]
    return runtime


def install_routes(app: Any, runtime: Runtime) -> None:
    """Mount each context's HTTP router and the Socket.IO app for the API role."""
    if ROLE_API not in runtime.roles:
        return
    # Routers (auth, data, analytics, dead letters ...).
    from deltastream.api import install_api

    install_api(app, runtime)
    # Socket.IO.
    from deltastream.realtime import mount_socketio

    mount_socketio(app, runtime.component("realtime"))


def register_cli(cli: Any) -> None:
    """Let contexts add their own verbs (record, replay, dead-letters ...)."""
    # Feed: record, replay.
    from deltastream.feed.cli import register as register_feed_cli

    register_feed_cli(cli)
    # Enrichment: dead-letters.
    from deltastream.enrichment.cli import register_cli as register_enrichment_cli

    register_enrichment_cli(cli)
