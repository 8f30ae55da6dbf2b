"""The HTTP kit as the API role mounts it (the gateway): CORS, request metrics, rate limits
(``core.http.ratelimit``) and OpenAPI completeness (``core.http.openapi``)."""

from __future__ import annotations

import time

from deltastream.settings import Settings
from tests.fixtures.api import Api, assert_envelope, running_api

DOCUMENTED_TAGS = {"auth", "data", "analytics", "admin", "ops"}


async def test_cors_preflight_and_exposed_headers(settings: Settings) -> None:
    configured = settings.model_copy(update={"cors_origins": ["https://app.example.com"]})
    async with running_api(configured) as api:
        preflight = await api.client.options(
            "/api/data/products",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        simple = await api.client.get("/api/data/products", headers={"Origin": "https://app.example.com"})
        exposed = simple.headers["access-control-expose-headers"].lower()
        assert "x-ratelimit-remaining" in exposed and "x-request-id" in exposed
        foreign = await api.client.get("/api/data/products", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in foreign.headers


async def test_metrics_expose_http_and_pipeline_series(api: Api) -> None:
    await api.client.get("/api/data/products")
    await api.client.get("/api/data/underlying/NOPE")
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'handler="/api/data/products"' in text
    assert 'handler="/api/data/underlying/{product}"' in text
    assert "deltastream_dead_letters_total" in text or "deltastream_ticks_total" in text
    assert 'handler="/metrics"' not in text


async def test_data_routes_429_with_retry_after(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_data": "3/minute"})
    async with running_api(limited) as api:
        statuses = [(await api.client.get("/api/analytics/pcr/NIFTY")).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        blocked = await api.client.get("/api/data/products")
        body = assert_envelope(blocked, 429, "rate_limited")
        assert "retry" in body["error"]["message"].lower()
        retry_after = int(blocked.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert blocked.headers["x-ratelimit-remaining"] == "0"
        assert int(blocked.headers["x-ratelimit-reset"]) >= int(time.time())
        # Auth routes have their own budget.
        assert (await api.client.post("/api/auth/verify")).status_code == 401


async def test_rate_limiting_can_be_disabled(settings: Settings) -> None:
    off = settings.model_copy(update={"rate_limit_data": "1/minute", "rate_limit_enabled": False})
    async with running_api(off) as api:
        for _ in range(3):
            response = await api.client.get("/api/data/products")
            assert response.status_code == 200
            assert "x-ratelimit-limit" not in response.headers


async def test_rate_limits_shared_through_redis(
    settings: Settings, redis_url: str, redis_prefix: str
) -> None:
    shared = settings.model_copy(
        update={"redis_url": redis_url, "redis_prefix": redis_prefix, "rate_limit_data": "2/minute"}
    )
    from deltastream.core.http.ratelimit import GROUP_DATA, RateLimiter

    first, second = RateLimiter(shared), RateLimiter(shared)
    assert (await first.hit(GROUP_DATA, "192.0.2.7")).allowed
    assert (await second.hit(GROUP_DATA, "192.0.2.7")).allowed
    denied = await first.hit(GROUP_DATA, "192.0.2.7")
    assert denied is not None and not denied.allowed and denied.remaining == 0
    assert (await second.hit(GROUP_DATA, "192.0.2.8")).allowed


async def test_an_unreachable_limiter_store_fails_open(settings: Settings) -> None:
    from deltastream.core.http.ratelimit import GROUP_DATA, RateLimiter

    broken = RateLimiter(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    assert await broken.hit(GROUP_DATA, "192.0.2.9") is None


async def test_openapi_documents_every_route(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {t["name"] for t in schema["tags"]} >= DOCUMENTED_TAGS
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    mine = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if set(op.get("tags", [])) & DOCUMENTED_TAGS
    ]
    assert len(mine) >= 20
    for path, method, op in mine:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        ok = op["responses"].get("200") or op["responses"].get("201")
        assert ok and ok.get("content"), where
        if path.startswith("/api/"):
            statuses = ["429", "422"] if op.get("parameters") or op.get("requestBody") else ["429"]
            for status in statuses:
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorEnvelope"), where
            assert "example" in op["responses"]["429"]["content"]["application/json"], where
        if "{product}" in path:
            assert "404" in op["responses"], where
    for path in ("/api/data/products", "/api/analytics/pcr/{product}"):
        assert {"bearerAuth": []} in schema["paths"][path]["get"].get("security", []), path


async def test_unknown_route_and_method_are_envelopes_behind_the_gateway(api: Api) -> None:
    assert_envelope(await api.client.get("/api/data/nothing-here"), 404, "not_found")
    assert_envelope(await api.client.delete("/api/data/products"), 405)
