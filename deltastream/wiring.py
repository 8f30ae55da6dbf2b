"""THE composition root: builds the backends and every context's services and components for a
set of roles, each with the collaborators it uses passed explicitly.

Imported only by the edge (``deltastream.app`` and ``deltastream.cli``); no context imports it.
Nothing connects at import time or in :func:`build_runtime`: :meth:`Runtime.start` starts the
backends, then the components in order (consumers before producers, so nothing published at
start-up is lost); :meth:`Runtime.stop` stops them in reverse and then closes the backends.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, TypeAlias

from deltastream.alerts.component import AlertsComponent, redis_claim
from deltastream.alerts.delivery import Deliveries
from deltastream.alerts.service import Alerts
from deltastream.auth.service import session_claims
from deltastream.core.bus import EventBus, create_bus
from deltastream.core.cache import Cache, create_cache
from deltastream.core.lifecycle import Component, Supervisor
from deltastream.core.logging import get_logger
from deltastream.core.summary import CountingDeadLetters, SummaryComponent, SummaryProbes
from deltastream.deadletters.service import DeadLetters
from deltastream.enrichment.dispatcher import EnrichmentDispatcher
from deltastream.enrichment.pipeline import Pipeline
from deltastream.enrichment.queue import TaskQueue
from deltastream.enrichment.replays import Replays
from deltastream.enrichment.worker import EnrichmentWorker
from deltastream.feed.component import FeedComponent
from deltastream.feed.monitor import FeedMonitor
from deltastream.marketdata.service import MarketData
from deltastream.realtime.component import RealtimeComponent
from deltastream.settings import Settings
from deltastream.storage import create_repository
from deltastream.storage.retention import RetentionComponent

if TYPE_CHECKING:
    from deltastream.storage.mongo import MongoRepository
    from deltastream.storage.sqlite import SQLiteRepository

# The one object that implements every context's repository protocol (mypy checks each hand-over).
Backend: TypeAlias = "SQLiteRepository | MongoRepository"

ROLE_API = "api"
ROLE_FEED = "feed"
ROLE_WORKER = "worker"
ALL_ROLES = frozenset({ROLE_API, ROLE_FEED, ROLE_WORKER})

# The component names, in start order, and the roles that run each.
COMPONENT_ROLES: dict[str, frozenset[str]] = {
    "summary": ALL_ROLES,  # the INFO line every DELTASTREAM_SUMMARY_INTERVAL s; reads the others
    "retention": frozenset({ROLE_FEED, ROLE_WORKER}),  # storage: the roles that write
    "enrichment-worker": frozenset({ROLE_WORKER}),
    "realtime": frozenset({ROLE_API}),  # the bus -> Socket.IO bridge
    "feed-monitor": frozenset({ROLE_API, ROLE_FEED}),  # stale-feed detection for /health and sockets
    "alerts": frozenset({ROLE_API}),  # the evaluator; replicas share one Redis claim per alert
    "enrichment-dispatcher": frozenset({ROLE_FEED}),  # exactly one per deployment, before the feed
    "feed": frozenset({ROLE_FEED}),
}

log = get_logger("wiring")


@dataclass
class Runtime:
    """The started (or startable) process: backends, services, and the components of its roles."""

    settings: Settings
    roles: frozenset[str]
    bus: EventBus
    cache: Cache
    repo: Backend
    supervisor: Supervisor
    task_queue: TaskQueue
    market_data: MarketData
    dead_letters: DeadLetters
    alerts: Alerts
    retention: RetentionComponent | None = None
    worker: EnrichmentWorker | None = None
    realtime: RealtimeComponent | None = None
    alert_evaluator: AlertsComponent | None = None
    dispatcher: EnrichmentDispatcher | None = None
    feed: FeedComponent | None = None
    summary: SummaryComponent | None = None
    feed_monitor: FeedMonitor | None = None
    ready: bool = False
    components: list[Component] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.components:
            self.components = [
                c
                for c in (
                    self.summary,
                    self.retention,
                    self.worker,
                    self.realtime,
                    self.feed_monitor,  # before the feed: it must see the first ticks
                    self.alert_evaluator,
                    self.dispatcher,
                    self.feed,
                )
                if c is not None
            ]

    @property
    def dispatched(self) -> int | None:
        """Market messages the dispatcher has taken so far; None without a dispatcher."""
        return self.dispatcher.dispatched if self.dispatcher is not None else None

    async def start(self) -> None:
        """Start backends, then components; on any failure stop what started and re-raise."""
        try:
            await self.repo.start()
            await self.cache.start()
            await self.bus.start()
            for comp in self.components:
                await comp.start()
                log.debug("component_started", component=comp.name, roles=sorted(self.roles))
        except BaseException:
            await self.stop()
            raise
        self.ready = True

    async def stop(self) -> None:
        """Stop components in reverse, cancel what is left, close the backends. A failure is
        logged and the shutdown goes on: one broken part must not keep the others open."""
        self.ready = False
        for comp in reversed(self.components):
            try:
                await comp.stop()
            except Exception as exc:
                log.error("component_stop_failed", component=comp.name, error=repr(exc))
        await self.supervisor.close()
        for name, closer in (
            ("bus", self.bus.close),
            ("cache", self.cache.close),
            ("storage", self.repo.close),
        ):
            try:
                await closer()
            except Exception as exc:
                log.error("backend_close_failed", backend=name, error=repr(exc))


def build_runtime(
    settings: Settings,
    roles: frozenset[str] = ALL_ROLES,
    *,
    components: Collection[str] | None = None,
    repo: Backend | None = None,
    bus: EventBus | None = None,
    cache: Cache | None = None,
) -> Runtime:
    """Create (not start) the backends, services and components for ``roles``.

    ``components`` narrows the components built to those names (see :data:`COMPONENT_ROLES`),
    e.g. a replay publishing to a running system needs the feed alone. Tests may inject backends.
    """
    bus = bus or create_bus(settings)
    cache = cache or create_cache(settings)
    repo = repo or create_repository(settings)
    supervisor = Supervisor()
    wanted = {
        name
        for name, needs in COMPONENT_ROLES.items()
        if roles & needs and (components is None or name in components)
    }
    unknown = set(components or ()) - set(COMPONENT_ROLES)
    if unknown:
        raise ValueError(f"unknown components: {sorted(unknown)}")
    sink = CountingDeadLetters(repo)  # every rejected message of this process, counted for the summary
    pipeline = Pipeline(settings=settings, repo=repo, cache=cache, bus=bus, dead_letters=sink)
    queue = TaskQueue(pipeline)
    monitor = FeedMonitor(settings, bus, supervisor) if "feed-monitor" in wanted else None
    realtime = (
        RealtimeComponent(
            settings, bus, supervisor, authenticate=partial(session_claims, repo, settings), monitor=monitor
        )
        if "realtime" in wanted
        else None
    )
    feed = FeedComponent(settings, bus, sink, supervisor) if "feed" in wanted else None
    worker = EnrichmentWorker(queue, supervisor) if "enrichment-worker" in wanted else None
    summary = None
    if "summary" in wanted:
        summary = SummaryComponent(
            _summary_probes(pipeline, sink, worker, realtime, feed), supervisor, settings.summary_interval
        )
    deliveries = Deliveries(
        repo,
        supervisor,
        queue_size=settings.alert_channel_queue_size,
        attempts=settings.alert_webhook_attempts,
        backoff_s=settings.alert_webhook_backoff_seconds,
        timeout_s=settings.alert_webhook_timeout_seconds,
    )
    evaluator = None
    if "alerts" in wanted:
        claim = (
            redis_claim(settings.redis_url, settings.redis_prefix, settings.alert_claim_ttl_seconds)
            if settings.redis_url
            else None
        )
        evaluator = AlertsComponent(repo, bus, supervisor, deliveries, claim=claim)
    return Runtime(
        settings=settings,
        roles=roles,
        bus=bus,
        cache=cache,
        repo=repo,
        supervisor=supervisor,
        task_queue=queue,
        market_data=MarketData(repo, cache, settings),
        dead_letters=DeadLetters(repo, Replays(queue, sink), bus.publish),
        alerts=Alerts(repo, bus.publish, deliveries if evaluator is not None else None),
        alert_evaluator=evaluator,
        retention=RetentionComponent(settings, repo, supervisor) if "retention" in wanted else None,
        worker=worker,
        realtime=realtime,
        feed_monitor=monitor,
        dispatcher=(
            EnrichmentDispatcher(settings, bus, queue, sink, supervisor)
            if "enrichment-dispatcher" in wanted
            else None
        ),
        feed=feed,
        summary=summary,
    )


def _summary_probes(
    pipeline: Pipeline,
    sink: CountingDeadLetters,
    worker: EnrichmentWorker | None,
    realtime: RealtimeComponent | None,
    feed: FeedComponent | None,
) -> SummaryProbes:
    """The summary's figures in this process: rates and lag from the pipeline where a worker
    stores (what REST serves), else the feed's published counts; sockets where Socket.IO runs."""
    stats = pipeline.stats
    ticks: Callable[[], int] | None = None
    chains: Callable[[], int] | None = None
    if worker is not None:
        ticks, chains = (lambda: stats.ticks), (lambda: stats.chains)
    elif feed is not None:
        ticks, chains = (lambda: feed.ticks), (lambda: feed.chains)
    return SummaryProbes(
        ticks=ticks,
        chains=chains,
        lag_p95_s=stats.take_lag_p95 if worker is not None else None,
        socket_clients=(lambda: len(realtime.gateway.clients)) if realtime is not None else None,
        dead_letters=lambda: sink.count,
    )
