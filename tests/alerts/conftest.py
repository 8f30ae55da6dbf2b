"""Alerts fixtures: a registered user's token, a local webhook receiver (aiohttp)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tests.fixtures.api import Api
from tests.fixtures.servers import free_port
from tests.realtime.conftest import connect  # noqa: F401 - the Socket.IO recorder fixture


async def register(api: Api, email: str = "trader@example.com") -> tuple[str, str]:
    """``(user_id, access token)`` of a new user."""
    response = await api.client.post(
        "/api/auth/register", json={"email": email, "password": "correct-horse-9", "name": "T"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return str(body["user_id"]), str(body["token"])


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in turn; then 200
    calls: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(15):
            while len(self.calls) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    rec = Receiver(url=f"http://127.0.0.1:{port}/hook")

    async def hook(request: web.Request) -> web.Response:
        rec.calls.append((await request.read(), dict(request.headers)))
        rec.arrived.set()
        status = rec.statuses.pop(0) if rec.statuses else 200
        return web.Response(status=status, text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield rec
    finally:
        await runner.cleanup()


def rule_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "PCR above 1.2",
        "product": "NIFTY",
        "condition": {"field": "pcr_oi", "op": "crosses_above", "level": 1.2},
        "cooldown_seconds": 60,
    }
    body.update(over)
    return body
