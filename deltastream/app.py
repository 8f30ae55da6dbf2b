"""``create_app(settings)``: one ASGI app, FastAPI with Socket.IO mounted beside it.

The lifespan starts the runtime built by :func:`deltastream.wiring.build_runtime` (backends,
migrations, the components of the chosen roles) and yields a typed :class:`State`, which
Starlette copies into every request's ``request.state``; it stops everything in reverse on
shutdown. This is the one place that mounts routers: every role serves ``/health``, ``/ready``
and ``/metrics``; the API role adds each context's router, the gateway middleware and Socket.IO.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator

from deltastream import __version__
from deltastream.ai.router import router as ai_router
from deltastream.ai.service import AiService
from deltastream.alerts.router import router as alerts_router
from deltastream.alerts.service import Alerts
from deltastream.analytics.router import mobile_router
from deltastream.analytics.router import router as analytics_router
from deltastream.auth.router import router as auth_router
from deltastream.core.http.bodylimit import BodyLimitMiddleware
from deltastream.core.http.deps import CoreState
from deltastream.core.http.docs import install_docs
from deltastream.core.http.errors import RequestContextMiddleware, install_error_handlers
from deltastream.core.http.metrics import record_request
from deltastream.core.http.openapi import install_openapi
from deltastream.core.http.ratelimit import (
    GROUP_AUTH,
    GROUP_LOGIN,
    PathRateLimitMiddleware,
    RateLimiter,
    RateLimitHeadersMiddleware,
)
from deltastream.core.http.responses import JsonResponse
from deltastream.dashboard.router import install_dashboard
from deltastream.deadletters.router import router as dead_letters_router
from deltastream.deadletters.service import DeadLetters
from deltastream.marketdata.router import router as market_data_router
from deltastream.marketdata.service import MarketData
from deltastream.realtime import mount_socketio
from deltastream.settings import Settings, get_settings
from deltastream.wiring import ALL_ROLES, ROLE_API, Backend, Runtime, build_runtime

METRICS_PATH = "/metrics"

# Routes with request bodies (and their neighbours), rate-limited per IP before the body is read.
BODY_ROUTE_GROUPS = (
    ("/api/auth/login", GROUP_LOGIN),
    ("/api/auth/", GROUP_AUTH),
    ("/api/user/", GROUP_AUTH),
    ("/api/dead-letters", GROUP_AUTH),
)

_EXPOSED_HEADERS = [
    "X-Request-ID",
    "X-Expiry",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
]


class State(CoreState):
    """The lifespan state: what every request sees as ``request.state``."""

    runtime: Runtime
    repo: Backend
    market_data: MarketData
    dead_letters: DeadLetters
    ai: AiService
    alerts: Alerts


def create_app(
    settings: Settings | None = None,
    roles: frozenset[str] = ALL_ROLES,
    *,
    runtime: Runtime | None = None,
) -> FastAPI:
    """Build the app. ``runtime`` may be injected by tests (its backends are started by the lifespan)."""
    settings = settings or get_settings()
    rt = runtime or build_runtime(settings, roles)
    serves_api = ROLE_API in rt.roles
    limiter = RateLimiter(settings) if serves_api and settings.rate_limit_enabled else None
    ai = AiService(rt.market_data, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        await rt.start()
        try:
            yield State(
                settings=settings,
                bus=rt.bus,
                cache=rt.cache,
                rate_limiter=limiter,
                runtime=rt,
                repo=rt.repo,
                market_data=rt.market_data,
                dead_letters=rt.dead_letters,
                ai=ai,
                alerts=rt.alerts,
            )
        finally:
            await ai.close()
            await rt.stop()

    app = FastAPI(
        title="DeltaStream",
        version=__version__,
        summary="Real-time option analytics: chains, PCR, max pain, IV, Greeks and volatility surfaces.",
        default_response_class=JsonResponse,
        lifespan=lifespan,
        docs_url=None,  # served from the app's own assets by install_docs (no CDN)
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runtime = rt  # for tests and tools holding the app object
    install_error_handlers(app)
    install_docs(app)
    if serves_api:
        # Inside the request-ID middleware (their 413/429 carry X-Request-ID); the rate limit
        # counts before the body limit, and both act before the app reads a body.
        app.add_middleware(
            BodyLimitMiddleware,
            default=settings.max_body_bytes,
            limits=[("/api/auth/", settings.max_body_auth_bytes)],
        )
        app.add_middleware(PathRateLimitMiddleware, groups=BODY_ROUTE_GROUPS)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(_ops_router(settings, rt))
    # /metrics and the HTTP instrumentation for every role (Prometheus scrapes the worker and the
    # feed too: the pipeline's counters live in those processes). /metrics itself is not counted.
    Instrumentator(excluded_handlers=[METRICS_PATH], registry=REGISTRY).add(record_request).instrument(app)
    if serves_api:
        _install_api(app, settings, rt)
    return app


def _install_api(app: FastAPI, settings: Settings, rt: Runtime) -> None:
    """Every context's router, the gateway middleware and Socket.IO.

    Middleware order (outermost first): CORS, rate-limit headers, then the app's own (HTTP
    metrics, request IDs).
    """
    # Hot routes first: Starlette (and the metrics middleware) match routes in order.
    routers = (
        market_data_router,
        analytics_router,
        mobile_router,
        auth_router,
        dead_letters_router,
        ai_router,
        alerts_router,
    )
    for router in routers:
        app.include_router(router)
    # Public reads: the data routers answer without a token, so the schema says the token is optional.
    public = (market_data_router.prefix, analytics_router.prefix, mobile_router.prefix)
    install_openapi(app, optional_auth_prefixes=public if settings.public_reads else ())
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
    if rt.realtime is not None:
        mount_socketio(app, rt.realtime)
    # Last: the web pages (`/`, ...) and their assets, after every API route.
    install_dashboard(app, public_reads=settings.public_reads)


def _ops_router(settings: Settings, rt: Runtime) -> APIRouter:
    """``/health``, ``/ready``, ``/metrics`` (and the seed's ``/api/docs`` redirect), every role."""
    ops = APIRouter(tags=["ops"])

    @ops.get("/health", summary="Liveness and backend checks")
    async def health() -> dict[str, Any]:
        checks = await _checks(rt)
        body: dict[str, Any] = {}
        if rt.feed_monitor is not None:
            # A stalled feed degrades /health (clients see stale data) but not /ready: restarting
            # or unrouting an API replica would not bring the ticks back.
            feeds = rt.feed_monitor.snapshot()
            stale = [product for product, state in feeds.items() if state["stale"]]
            checks["feed"] = f"stale: {', '.join(stale)}" if stale else "ok"
            body["feeds"] = feeds
        return {
            "status": "healthy" if all(v == "ok" for v in checks.values()) else "degraded",
            "service": settings.service_name,
            "version": __version__,
            "roles": sorted(rt.roles),
            "checks": checks,
            **body,
        }

    @ops.get(
        "/ready",
        summary="Readiness: 503 until migrations are applied and the backends answer",
        responses={503: {"description": "Not ready"}},
    )
    async def ready() -> JsonResponse:
        checks = await _checks(rt)
        ok = rt.ready and all(v == "ok" for v in checks.values())
        body = {"ready": ok, "checks": checks}
        if not ok:
            return JsonResponse(
                {"error": {"code": "not_ready", "message": "Service is not ready", "details": body}},
                status_code=503,
            )
        return JsonResponse(body)

    @ops.get(
        METRICS_PATH,
        summary="Prometheus metrics",
        description=(
            "Text exposition format: HTTP metrics (`http_requests_total`, `http_request_duration_seconds`...) "
            "and the pipeline's `deltastream_*` series (ticks, chains, enrichment time, lag, dead letters, sockets)."
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

    @ops.get("/api/docs", include_in_schema=False)
    async def seed_docs() -> RedirectResponse:
        return RedirectResponse("/docs", status_code=307)

    return ops


async def _checks(rt: Runtime) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, backend in (("storage", rt.repo), ("bus", rt.bus), ("cache", rt.cache)):
        try:
            out[name] = "ok" if await backend.ping() else "down"
        except Exception as exc:  # a health check reports failures, it does not raise them
            out[name] = f"down: {type(exc).__name__}"
    return out
