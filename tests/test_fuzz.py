"""Property-based fuzzing of every route in ``/openapi.json`` (schemathesis over ASGI).

Checks: no 5xx, every status is documented, and every body, header and content type matches the
schema. Bounded by ``DELTASTREAM_FUZZ_EXAMPLES`` per operation (small by default; ``make fuzz``
runs 500). Rate limiting is off for the fuzz app. The store holds what the real pipeline wrote
during a short all-roles run (NIFTY, BANKNIFTY) plus factory-built SPY data, so the success
paths are exercised; requests carry an admin token.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode, checks

from deltastream.app import create_app
from deltastream.auth import service as auth
from deltastream.core.deadletters import record_dead_letter
from deltastream.settings import Settings
from deltastream.storage.sqlite import SQLiteRepository
from deltastream.wiring import ALL_ROLES, build_runtime
from tests.factories import candle, enriched_tick, surface
from tests.fixtures.api import API_ONLY, live_expiries, oracle_chain

FUZZ_EXAMPLES = int(os.environ.get("DELTASTREAM_FUZZ_EXAMPLES", "12"))
ADMIN = "fuzz-admin@example.com"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


async def _run_pipeline(path: Path, seconds: float = 1.5) -> None:
    """Fill the store with what the real pipeline writes: NIFTY and BANKNIFTY, all roles."""
    settings = Settings(
        env="test",
        sqlite_path=path,
        feed_seed=11,
        feed_interval=0.05,
        feed_products=["NIFTY", "BANKNIFTY"],
        feed_expiries=2,
        feed_chain_every=2,
        surface_interval=0.3,
        log_level="WARNING",
    )
    runtime = build_runtime(settings, ALL_ROLES)
    await runtime.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await runtime.stop()


async def _seed(path: Path) -> tuple[str, int]:
    """Pipeline output plus factory-built SPY data, a dead letter and the admin user."""
    await _run_pipeline(path)
    repo = SQLiteRepository(path)
    await repo.start()
    try:
        chains = [oracle_chain("SPY", expiry, seed=i) for i, expiry in enumerate(live_expiries("SPY", 2))]
        for chain in chains:
            await repo.upsert_chain(chain)
        await repo.upsert_tick(enriched_tick("SPY", price=475.0))
        await repo.upsert_candle(candle("SPY", 5, open=475.0))
        await repo.upsert_surface(surface("SPY", chains))
        await record_dead_letter(
            repo, source="feed", reason="validation", error="bad", payload={"x": 1}, topic="t"
        )
        await repo.create_user(ADMIN, await auth.hash_password("fuzz-password-1"), "Fuzz")
        admin = await repo.set_admin(ADMIN, True)  # as `deltastream users promote` does
        assert admin is not None
        return str(admin["id"]), int(admin["token_version"])
    finally:
        await repo.close()


@pytest.fixture(scope="module")
def fuzz_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    user_id, version = asyncio.run(_seed(path))
    settings = Settings(env="test", sqlite_path=path, rate_limit_enabled=False, log_level="WARNING")
    token, _ = auth.issue_token(settings, user_id, ADMIN, "access", version)
    app = create_app(settings, API_ONLY)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    yield schema, token
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()


def _operations() -> list[tuple[str, str, GenerationMode]]:
    """``(METHOD, path, mode)`` for every documented operation, from an app built but never started.

    Invalid (negative) inputs only exist for operations with parameters or a body.
    """
    app = create_app(Settings(env="test", sqlite_path=Path(":memory:"), log_level="WARNING"), API_ONLY)
    cases = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize(("method", "path", "mode"), _operations())
def test_route_conforms_and_never_5xx(
    fuzz_setup: tuple[schemathesis.BaseSchema, str], method: str, path: str, mode: GenerationMode
) -> None:
    """Valid and invalid inputs alike get documented, schema-conformant answers, never a 5xx.

    (schemathesis' ``negative_data_rejection`` is not used: reads are public, so a request
    without the optional bearer token is rightly accepted, and unknown query parameters are
    ignored, as HTTP APIs usually do.)
    """
    schema, token = fuzz_setup
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
