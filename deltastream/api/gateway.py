"""Gateway wiring for the API role: routers, rate limiting, CORS, Prometheus metrics, OpenAPI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator

from deltastream.api.metrics import record_request
from deltastream.api.openapi import install_openapi
from deltastream.api.ratelimit import RateLimiter, RateLimitHeadersMiddleware

if TYPE_CHECKING:
    from deltastream.wiring import Runtime

METRICS_PATH = "/metrics"

_EXPOSED_HEADERS = [
    "X-Request-ID",
    "X-Expiry",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
]

ops_router = APIRouter(tags=["ops"])


@ops_router.get(
    METRICS_PATH,
    summary="Prometheus metrics",
    description=(
        "Text exposition format: HTTP metrics (`http_requests_total`, `http_request_duration_seconds`...) and "
        "the pipeline's `deltastream_*` series (ticks, chains, enrichment time, lag, dead letters, sockets)."
    ),
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI) -> None:
    """``/metrics`` and the HTTP instrumentation, for every role (Prometheus scrapes the worker and
    the feed too: the pipeline's counters live in those processes). ``/metrics`` is not counted."""
    app.include_router(ops_router)
    Instrumentator(excluded_handlers=[METRICS_PATH], registry=REGISTRY).add(record_request).instrument(app)


def install_api(app: FastAPI, runtime: Runtime) -> None:
    """Mount the auth, data, analytics, mobile and admin routes and the gateway middleware.

    Middleware order (outermost first): CORS, rate-limit headers, then the app's own (HTTP
    metrics from :func:`install_metrics`, request IDs).
    """
    from deltastream.analytics.router import mobile_router
    from deltastream.analytics.router import router as analytics_router
    from deltastream.api.deadletters import router as dead_letters_router
    from deltastream.api.router import router as data_router
    from deltastream.auth.router import router as auth_router

    settings = runtime.settings
    app.state.rate_limiter = RateLimiter(settings) if settings.rate_limit_enabled else None
    # Hot routes first: Starlette (and the metrics middleware) match routes in order.
    for router in (data_router, analytics_router, mobile_router, auth_router, dead_letters_router):
        app.include_router(router)
    install_openapi(app)
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        # Bearer tokens travel in a header, not cookies; credentials stay off with a wildcard origin.
        allow_credentials="*" not in settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=_EXPOSED_HEADERS,
        max_age=600,
    )
