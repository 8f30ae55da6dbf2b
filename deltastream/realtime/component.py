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

import socketio

from deltastream.core.bus import EventBus, Message, Subscription
from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger
from deltastream.realtime.events import BRIDGED_TOPICS, broadcasts_for
from deltastream.realtime.fanout import DEFAULT_MAX_BACKLOG, Broadcaster
from deltastream.realtime.server import Authenticator, SocketGateway
from deltastream.settings import Settings

log = get_logger("realtime")


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
    ) -> None:
        self.settings = settings
        self._bus = bus
        self._supervisor = supervisor
        self.gateway = SocketGateway(settings, authenticate)
        self.broadcaster = Broadcaster(self.gateway.server, max_backlog=max_backlog)
        self._subscription: Subscription | None = None

    @property
    def server(self) -> socketio.AsyncServer:
        return self.gateway.server

    def asgi_app(self) -> socketio.ASGIApp:
        return self.gateway.asgi_app()

    async def start(self) -> None:
        self.gateway.start()
        self._subscription = await self._bus.subscribe(*BRIDGED_TOPICS)
        self._supervisor.spawn(self._pump(self._subscription), name="realtime-bridge")

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

    async def deliver(self, message: Message) -> int:
        """Broadcast one bus message to its rooms; returns frames queued. Never raises: a bad
        message is logged and skipped so the bridge keeps running."""
        frames = 0
        try:
            for item in broadcasts_for(message):
                frames += await self.broadcaster.broadcast(item.event, item.raw, item.rooms)
        except Exception as exc:
            log.error("realtime_bridge_error", topic=message.topic, error=repr(exc))
        return frames
