"""``create_app(settings)``: one ASGI app, FastAPI with Socket.IO mounted beside it.

The lifespan builds the runtime (backends + the components of the chosen roles), applies
migrations, starts everything and stops it in reverse on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from deltastream import __version__
from deltastream.api import install_metrics
from deltastream.core.http import JsonResponse, RequestContextMiddleware, install_error_handlers
from deltastream.settings import Settings, get_settings
from deltastream.wiring import ALL_ROLES, Runtime, build_runtime, install_routes


def create_app(
    settings: Settings | None = None,
    roles: frozenset[str] = ALL_ROLES,
    *,
    runtime: Runtime | None = None,
) -> FastAPI:
    """Build the app. ``runtime`` may be injected by tests (its backends are started by the lifespan)."""
    settings = settings or get_settings()
    rt = runtime or build_runtime(settings, roles)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.stop()

    app = FastAPI(
        title="DeltaStream",
        version=__version__,
        summary="Real-time option analytics: chains, PCR, max pain, IV, Greeks and volatility surfaces.",
        default_response_class=JsonResponse,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.runtime = rt
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    install_metrics(app)

    @app.get("/health", tags=["ops"], summary="Liveness and backend checks")
    async def health(request: Request) -> dict[str, Any]:
        checks = await _checks(request.app.state.runtime)
        return {
            "status": "healthy" if all(v == "ok" for v in checks.values()) else "degraded",
            "service": settings.service_name,
            "version": __version__,
            "roles": sorted(rt.roles),
            "checks": checks,
        }

    @app.get(
        "/ready",
        tags=["ops"],
        summary="Readiness: 503 until migrations are applied and the backends answer",
        responses={503: {"description": "Not ready"}},
    )
    async def ready(request: Request) -> JsonResponse:
        runtime: Runtime = request.app.state.runtime
        checks = await _checks(runtime)
        ok = runtime.ready and all(v == "ok" for v in checks.values())
        body = {"ready": ok, "checks": checks}
        if not ok:
            return JsonResponse(
                {"error": {"code": "not_ready", "message": "Service is not ready", "details": body}},
                status_code=503,
            )
        return JsonResponse(body)

    @app.get("/api/docs", include_in_schema=False)
    async def seed_docs() -> RedirectResponse:
        return RedirectResponse("/docs", status_code=307)

    install_routes(app, rt)
    return app


async def _checks(rt: Runtime) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, backend in (("storage", rt.repo), ("bus", rt.bus), ("cache", rt.cache)):
        try:
            out[name] = "ok" if await backend.ping() else "down"
        except Exception as exc:  # a health check reports failures, it does not raise them
            out[name] = f"down: {type(exc).__name__}"
    return out
