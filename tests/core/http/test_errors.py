"""The HTTP half of the one envelope (``core.http.errors``): the exception handlers turn every
error (domain, edge, validation, routing, a bug) into ``{"error": {code, message, details}}``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from deltastream.core.errors import NotFoundError, RateLimitedError
from deltastream.core.http.errors import RequestContextMiddleware, install_error_handlers


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFoundError("No chain for NIFTY", details={"product": "NIFTY"})

    @app.get("/limited")
    async def limited() -> None:
        raise RateLimitedError("Slow down", headers={"Retry-After": "7"})

    @app.get("/edge")
    async def edge() -> None:
        raise HTTPException(status_code=403, detail="Admins only")

    @app.get("/typed")
    async def typed(limit: int) -> dict[str, int]:
        return {"limit": limit}

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_domain_error_becomes_the_envelope(client: httpx.AsyncClient) -> None:
    resp = await client.get("/missing")

    assert resp.status_code == 404
    assert resp.json() == {
        "error": {"code": "not_found", "message": "No chain for NIFTY", "details": {"product": "NIFTY"}}
    }


async def test_error_envelopes_carry_the_request_id(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/missing", headers={"X-Request-ID": "r-err-1"})
    minted = await client.get("/typed", params={"limit": "lots"})

    assert echoed.status_code == 404 and echoed.headers["x-request-id"] == "r-err-1"
    assert minted.status_code == 422 and re.fullmatch(r"[0-9a-f]{32}", minted.headers["x-request-id"])


async def test_error_headers_are_sent(client: httpx.AsyncClient) -> None:
    resp = await client.get("/limited")

    assert resp.status_code == 429
    assert resp.headers["retry-after"] == "7"
    assert resp.json()["error"]["code"] == "rate_limited"


async def test_http_exception_at_the_edge_uses_the_envelope(client: httpx.AsyncClient) -> None:
    resp = await client.get("/edge")

    assert resp.status_code == 403
    assert resp.json() == {"error": {"code": "forbidden", "message": "Admins only", "details": None}}


async def test_request_validation_is_422_with_a_readable_message(client: httpx.AsyncClient) -> None:
    resp = await client.get("/typed", params={"limit": "lots"})

    body = resp.json()["error"]
    assert resp.status_code == 422
    assert body["code"] == "validation_error"
    assert "limit" in body["message"]
    assert body["details"][0]["loc"] == ["query", "limit"]


async def test_unknown_route_and_wrong_method_use_the_envelope(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/nope")
    wrong = await client.post("/missing")

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


async def test_a_bug_is_a_500_envelope_without_internals(client: httpx.AsyncClient) -> None:
    resp = await client.get("/bug")

    assert resp.status_code == 500
    assert resp.json() == {
        "error": {"code": "internal_error", "message": "Internal server error", "details": None}
    }
    assert "secret internals" not in resp.text
