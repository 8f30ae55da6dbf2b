"""A real uvicorn serving ``create_app(settings, roles={"api"})`` and recording Socket.IO clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio
import uvicorn
from fastapi import FastAPI

from deltastream.app import create_app
from deltastream.realtime.component import RealtimeComponent
from deltastream.settings import Settings
from deltastream.wiring import ROLE_API, Runtime
from tests.fixtures.servers import free_port

API_ONLY = frozenset({ROLE_API})
WAIT_S = 10.0


@dataclass
class LiveServer:
    app: FastAPI
    url: str
    port: int

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def realtime(self) -> RealtimeComponent:
        component: RealtimeComponent = self.runtime.realtime
        return component

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        await self.runtime.bus.publish(topic, payload)


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[LiveServer]:
    """Run ``app`` on a free loopback port in this event loop until the block exits."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(WAIT_S):
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn exited before it started")
            await asyncio.sleep(0.01)
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{port}", port=port)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT_S)


@dataclass
class Recorder:
    """A python-socketio client that records every server event in arrival order."""

    client: socketio.AsyncClient
    events: list[tuple[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def of(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    async def wait_for(
        self, event: str, where: Callable[[Any], bool] = lambda _: True, count: int = 1
    ) -> list[Any]:
        """Block until ``count`` ``event``s matching ``where`` arrived; returns them all."""
        async with asyncio.timeout(WAIT_S):
            while True:
                found = [d for d in self.of(event) if where(d)]
                if len(found) >= count:
                    return found
                self.changed.clear()
                await self.changed.wait()

    async def call(self, event: str, data: Any, reply: str) -> Any:
        """Emit ``event`` and wait for the next ``reply`` event after it."""
        seen = len(self.of(reply))
        await self.client.emit(event, data)
        found = await self.wait_for(reply, count=seen + 1)
        return found[seen]


ClientFactory = Callable[..., Awaitable[Recorder]]


async def until(predicate: Callable[[], bool]) -> None:
    """Poll server-side state that has no event to await (bounded by ``WAIT_S``)."""
    async with asyncio.timeout(WAIT_S):
        while not predicate():  # noqa: ASYNC110 - nothing to await on: polling is the point
            await asyncio.sleep(0.01)


@pytest.fixture
async def connect() -> AsyncIterator[ClientFactory]:
    """``await connect(url, auth=None)``: a connected recorder (websocket transport), greeted."""
    clients: list[Recorder] = []

    async def make(url: str, auth: Any = None, transports: tuple[str, ...] = ("websocket",)) -> Recorder:
        rec = Recorder(socketio.AsyncClient(reconnection=False))

        async def record(event: str, *args: Any) -> None:
            rec.events.append((event, args[0] if len(args) == 1 else list(args)))
            rec.changed.set()

        rec.client.on("*", record)
        clients.append(rec)
        await rec.client.connect(url, auth=auth, transports=list(transports), wait_timeout=WAIT_S)
        await rec.wait_for("connected")
        return rec

    try:
        yield make
    finally:
        for rec in clients:
            with contextlib.suppress(Exception):
                await rec.client.disconnect()


ServerFactory = Callable[..., contextlib.AbstractAsyncContextManager[LiveServer]]


@pytest.fixture
def live_app(settings: Settings) -> Callable[..., contextlib.AbstractAsyncContextManager[LiveServer]]:
    """``async with live_app(**overrides) as srv``: the api role on embedded backends."""

    def make(**overrides: Any) -> contextlib.AbstractAsyncContextManager[LiveServer]:
        merged = settings.model_copy(update=overrides)
        return serve(create_app(merged, API_ONLY))

    return make


@pytest.fixture
async def srv(live_app: ServerFactory) -> AsyncIterator[LiveServer]:
    async with live_app() as server:
        yield server


async def user_token(runtime: Runtime, email: str) -> tuple[str, str]:
    """A stored user and a valid access token for it: ``(token, user_id)`` (sockets check both)."""
    from deltastream.auth.service import issue_token

    user = await runtime.repo.create_user(email, "unused-hash", "")
    token, _ = issue_token(runtime.settings, user["id"], email, "access", user["token_version"])
    return token, str(user["id"])
