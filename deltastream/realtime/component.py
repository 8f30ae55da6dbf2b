"""The realtime component (api role): the Socket.IO server plus the bridge from the bus to rooms.

Multi-instance delivery: with Redis, every API replica's bridge receives every bus message (Redis
pub/sub fans out to each subscriber), and each replica delivers only to its own clients. Each
client is connected to exactly one replica, so it gets each event exactly once, with no Redis
round trip on the broadcast path and no single emitter to fail over. Re-emitting through the
Redis manager instead would deliver every event N times with N replicas (the seed's bug).
The manager still serves emits from processes without sockets (``external_emitter``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import socketio

from deltastream.core import jsonx
from deltastream.core.bus import EventBus, Message, Subscription
from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger
from deltastream.core.metrics import observe_stage
from deltastream.feed.monitor import FeedMonitor
from deltastream.realtime.events import BRIDGED_TOPICS, broadcasts_for
from deltastream.realtime.fanout import DEFAULT_MAX_BACKLOG, Broadcaster
from deltastream.realtime.schemas import EV_FEED_STATUS, ROOM_GENERAL
from deltastream.realtime.server import Authenticator, SocketGateway
from deltastream.settings import Settings

log = get_logger("realtime")

FEED_STATUS_CHECK_S = 0.5


class RealtimeComponent:
    """Built with the app (so the server can be mounted); connects nothing until :meth:`start`."""

    name = "realtime"

    def __init__(
        self,
        settings: Settings,
        bus: EventBus,
        supervisor: Supervisor,
        *,
        max_backlog: int = DEFAULT_MAX_BACKLOG,
        authenticate: Authenticator | None = None,
        monitor: FeedMonitor | None = None,
    ) -> None:
        self.settings = settings
        self._bus = bus
        self._supervisor = supervisor
        self.gateway = SocketGateway(settings, authenticate)
        self.broadcaster = Broadcaster(self.gateway.server, max_backlog=max_backlog)
        self._subscription: Subscription | None = None
        self.monitor = monitor
        if monitor is not None:
            self.gateway.feed_status = self.feed_status

    @property
    def server(self) -> socketio.AsyncServer:
        return self.gateway.server

    def asgi_app(self) -> socketio.ASGIApp:
        return self.gateway.asgi_app()

    async def start(self) -> None:
        self.gateway.start()
        self._subscription = await self._bus.subscribe(*BRIDGED_TOPICS)
        self._supervisor.spawn(self._pump(self._subscription), name="realtime-bridge")
        if self.monitor is not None:
            self._supervisor.spawn(self._watch_feed(self.monitor), name="realtime-feed-status")

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None
        await self.broadcaster.close()
        await self.gateway.stop()

    async def _pump(self, subscription: Subscription) -> None:
        async for message in subscription:
            await self.deliver(message)
            # Let the clients' writer tasks drain between messages: a burst on the bus must not
            # pile up in every queue and read as a slow consumer.
            await asyncio.sleep(0)

    def feed_status(self) -> dict[str, Any]:
        """The ``feed_status`` payload: per product ``stale``, ``last_tick_age_seconds``, ``ticked``."""
        products = self.monitor.snapshot() if self.monitor is not None else {}
        return {"products": products, "stale_after_seconds": self.settings.stale_after_seconds}

    async def _watch_feed(self, monitor: FeedMonitor) -> None:
        """Broadcast ``feed_status`` to ``general`` whenever a product turns stale or fresh again."""
        flags = {p: s["stale"] for p, s in monitor.snapshot().items()}
        while True:
            await asyncio.sleep(FEED_STATUS_CHECK_S)
            now = {p: s["stale"] for p, s in monitor.snapshot().items()}
            if now != flags:
                flags = now
                await self.broadcaster.broadcast(EV_FEED_STATUS, jsonx.dumps(self.feed_status()), (ROOM_GENERAL,))

    async def deliver(self, message: Message) -> int:
        """Broadcast one bus message to its rooms; returns frames queued. Never raises: a bad
        message is logged and skipped so the bridge keeps running."""
        frames = 0
        observe_stage("bus_socket", time.time() - message.published_at)
        try:
            for item in broadcasts_for(message):
                started = time.perf_counter()
                queued = await self.broadcaster.broadcast(item.event, item.raw, item.rooms)
                if queued:
                    observe_stage("socket_write", time.perf_counter() - started)
                frames += queued
        except Exception as exc:
            log.error("realtime_bridge_error", topic=message.topic, error=repr(exc))
        return frames
