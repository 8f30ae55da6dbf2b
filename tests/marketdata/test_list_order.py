"""Every list over time is newest first unless `order=asc` says otherwise (issue 10): ticks,
chains, candles, PCR history, IV history and dead letters, each with the same `order` parameter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from deltastream.core.clock import utcnow
from deltastream.core.deadletters import record_dead_letter
from deltastream.settings import Settings
from tests.factories import candle, enriched_tick
from tests.fixtures.api import Api, assert_envelope, live_expiries, oracle_chain, running_api, seed_chain

ADMIN = "ops@example.com"

# (path, extra params, list key, time field of each item)
LISTS = [
    ("/api/data/underlying/NIFTY", {}, "ticks", "timestamp"),
    ("/api/data/chain/NIFTY", {}, "chains", "timestamp"),
    ("/api/data/ohlc/NIFTY", {"window": 5}, "candles", "start_time"),
    ("/api/analytics/pcr/NIFTY", {"history": "true"}, "history", "timestamp"),
    ("/api/analytics/iv/NIFTY", {"lookback_hours": 12, "points": 48}, "history", "timestamp"),
    ("/api/dead-letters", {}, "dead_letters", "timestamp"),
]


@pytest.fixture
async def seeded(settings: Settings) -> AsyncIterator[tuple[Api, dict[str, str]]]:
    async with running_api(settings) as api:
        now = utcnow().replace(microsecond=0)
        near = live_expiries("NIFTY", 1)[0]
        repo = api.runtime.repo
        for i in range(5):
            await repo.upsert_tick(enriched_tick("NIFTY", timestamp=now - timedelta(seconds=50 - i), price=21500.0 + i))
            await seed_chain(
                api.runtime, oracle_chain("NIFTY", near, now - timedelta(hours=5 - i), seed=i, atm_iv=0.1 + i / 100), cache=False
            )
            await repo.upsert_candle(candle("NIFTY", 5, start_time=now - timedelta(minutes=60 - 5 * i), open=21500.0 + i))
            await record_dead_letter(
                repo, source="feed", reason="validation", error=f"bad {i}", payload={"i": i},
                topic="market:underlying", at=now - timedelta(seconds=50 - i),
            )
        registered = await api.client.post(
            "/api/auth/register", json={"email": ADMIN, "password": "long-password-1"}
        )
        assert registered.status_code == 201
        assert await repo.set_admin(ADMIN, True) is not None  # as `deltastream users promote` does
        login = await api.client.post("/api/auth/login", json={"email": ADMIN, "password": "long-password-1"})
        yield api, {"Authorization": f"Bearer {login.json()['token']}"}


@pytest.mark.parametrize(("path", "params", "key", "field"), LISTS, ids=[p for p, *_ in LISTS])
async def test_newest_first_by_default_and_oldest_first_with_order_asc(
    seeded: tuple[Api, dict[str, str]], path: str, params: dict[str, object], key: str, field: str
) -> None:
    api, admin = seeded

    async def times(**extra: object) -> list[str]:
        response = await api.client.get(path, params={**params, **extra}, headers=admin)
        assert response.status_code == 200, response.text
        return [item[field] for item in response.json()[key]]

    default = await times()
    assert len(default) >= 3, default
    assert default == sorted(default, reverse=True) and len(set(default)) == len(default)
    assert await times(order="desc") == default
    assert await times(order="asc") == default[::-1]
    # `asc` reorders the same newest `limit` items, it does not pick the oldest ones
    if path != "/api/analytics/iv/NIFTY":  # the IV route samples `points`
        assert await times(limit=2) == default[:2]
        assert await times(limit=2, order="asc") == default[:2][::-1]
    bad = await api.client.get(path, params={**params, "order": "newest"}, headers=admin)
    assert_envelope(bad, 422, "validation_error")


def test_the_order_parameter_is_documented_on_every_list_route() -> None:
    from pathlib import Path

    from deltastream.app import create_app
    from deltastream.settings import Settings as S

    spec = create_app(S(env="test", redis_url=None, mongo_url=None)).openapi()
    for path, *_ in LISTS:
        templated = path.replace("/NIFTY", "/{product}")
        names = {p["name"] for p in spec["paths"][templated]["get"]["parameters"]}
        assert "order" in names, templated
    api_md = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    for path, *_ in LISTS:
        row = next(ln for ln in api_md.splitlines() if f"`{path.replace('/NIFTY', '/{product}')}`" in ln and "GET" in ln)
        assert "order=desc" in row, row
