"""The app shell: /health, /ready, request ids, the envelope for unknown routes, Redis backends."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from deltastream import __version__
from deltastream.app import create_app
from deltastream.core.bus.redis import RedisBus
from deltastream.core.cache.redis import RedisCache
from deltastream.settings import Settings
from tests.fixtures.servers import ValkeyHandle

# The shell under test is the same for every role; no role keeps these tests independent of the
# contexts' components (each context tests its own routes).
SHELL: frozenset[str] = frozenset()
OK_CHECKS = {"storage": "ok", "bus": "ok", "cache": "ok"}


@asynccontextmanager
async def _serve(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A fresh app with its lifespan running, driven in-process through httpx."""
    app = create_app(settings, SHELL)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with _serve(settings) as (_, http):
        yield http


async def test_health_reports_service_version_and_every_backend(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    resp = await client.get("/health")

    body = resp.json()
    assert resp.status_code == 200
    assert body["status"] == "healthy"
    assert body["service"] == settings.service_name
    assert body["version"] == __version__
    assert body["checks"] == OK_CHECKS


async def test_ready_once_started(client: httpx.AsyncClient) -> None:
    resp = await client.get("/ready")

    assert resp.status_code == 200
    assert resp.json() == {"ready": True, "checks": OK_CHECKS}


async def test_not_ready_before_the_lifespan_has_started(settings: Settings) -> None:
    app: FastAPI = create_app(settings, SHELL)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        resp = await http.get("/ready")

    assert resp.status_code == 503
    error = resp.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["ready"] is False


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    resp = await client.get("/health", headers={"X-Request-ID": "trace-abc-123"})

    assert resp.headers["x-request-id"] == "trace-abc-123"


@pytest.mark.parametrize("sent", [None, "x" * 200, "bad\x01id"])
async def test_request_id_is_minted_when_missing_or_unsafe(
    client: httpx.AsyncClient, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}

    resp = await client.get("/health", headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["x-request-id"])


async def test_request_ids_differ_between_requests(client: httpx.AsyncClient) -> None:
    first = await client.get("/health")
    second = await client.get("/health")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_unknown_route_is_a_404_envelope(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/definitely-not-a-route", headers={"X-Request-ID": "r-404"})

    assert resp.status_code == 404
    assert resp.json() == {"error": {"code": "not_found", "message": "Not Found", "details": None}}
    assert resp.headers["x-request-id"] == "r-404"


async def test_wrong_method_is_a_405_envelope(client: httpx.AsyncClient) -> None:
    resp = await client.delete("/health")

    assert resp.status_code == 405
    assert resp.json()["error"]["code"] == "method_not_allowed"
    assert set(resp.json()["error"]) == {"code", "message", "details"}


async def test_docs_are_served_and_the_seed_docs_path_redirects(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    resp = await client.get("/api/docs")

    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert resp.status_code == 307
    assert resp.headers["location"] == "/docs"


async def test_redis_backed_app_is_healthy_then_degraded_when_redis_stops(
    settings: Settings, valkey_server: ValkeyHandle
) -> None:
    redis_settings = settings.model_copy(update={"redis_url": valkey_server.url, "redis_prefix": "app:"})

    async with _serve(redis_settings) as (app, http):
        runtime = app.state.runtime
        assert isinstance(runtime.bus, RedisBus) and isinstance(runtime.cache, RedisCache)
        healthy = await http.get("/health")
        assert healthy.json()["status"] == "healthy"
        assert healthy.json()["checks"] == OK_CHECKS

        await asyncio.to_thread(valkey_server.stop)
        try:
            degraded = await http.get("/health")
            not_ready = await http.get("/ready")
        finally:
            await asyncio.to_thread(valkey_server.start)

    body = degraded.json()
    assert degraded.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["storage"] == "ok"
    assert body["checks"]["bus"].startswith("down")
    assert body["checks"]["cache"].startswith("down")
    assert not_ready.status_code == 503
    assert not_ready.json()["error"]["details"]["checks"]["bus"].startswith("down")
