"""Admin dead-letter routes: who may call them, listing, replay and its errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from deltastream.core.deadletters import record_dead_letter
from deltastream.settings import Settings
from tests.factories import enriched_tick
from tests.fixtures.api import Api, assert_envelope, running_api

ADMIN = "ops@example.com"


@pytest.fixture
async def admin_api(settings: Settings) -> AsyncIterator[Api]:
    async with running_api(settings) as api:
        yield api


async def _token(api: Api, email: str) -> dict[str, str]:
    """A registered user's token; ``ADMIN`` is then promoted, as the operator's CLI does."""
    credentials = {"email": email, "password": "long-password-1"}
    response = await api.client.post("/api/auth/register", json=credentials)
    assert response.status_code == 201
    if email.lower() == ADMIN:
        assert await api.runtime.repo.set_admin(email, True) is not None
        response = await api.client.post("/api/auth/login", json=credentials)
        assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_only_admins_may_list(admin_api: Api) -> None:
    assert_envelope(await admin_api.client.get("/api/dead-letters"), 401)
    user = await _token(admin_api, "someone@example.com")
    assert_envelope(await admin_api.client.get("/api/dead-letters", headers=user), 403, "forbidden")
    assert_envelope(await admin_api.client.post("/api/dead-letters/1/replay", headers=user), 403)
    admin = await _token(admin_api, "OPS@example.com")
    response = await admin_api.client.get("/api/dead-letters", headers=admin)
    assert response.status_code == 200
    assert response.json() == {"count": 0, "dead_letters": []}
    me = await admin_api.client.get("/api/user/me", headers=admin)
    assert me.json()["is_admin"] is True


async def test_list_filter_and_replay(admin_api: Api) -> None:
    repo = admin_api.runtime.repo
    rejected = await record_dead_letter(
        repo,
        source="feed",
        reason="validation",
        error="crossed quote",
        payload={"bad": 1},
        topic="market:option_chain",
    )
    published = await record_dead_letter(
        repo,
        source="enrichment",
        reason="task_failed",
        error="boom",
        payload=enriched_tick("NIFTY", price=1.0, timestamp="2025-01-03T12:30:00Z"),
        topic="enriched:underlying",
    )
    admin = await _token(admin_api, ADMIN)
    listing = (await admin_api.client.get("/api/dead-letters", headers=admin)).json()
    assert [d["id"] for d in listing["dead_letters"]] == [published, rejected]
    assert listing["dead_letters"][1]["payload"] == {"bad": 1}
    only_feed = (
        await admin_api.client.get("/api/dead-letters", params={"source": "feed"}, headers=admin)
    ).json()
    assert [d["id"] for d in only_feed["dead_letters"]] == [rejected]

    replay = await admin_api.client.post(f"/api/dead-letters/{published}/replay", headers=admin)
    assert replay.status_code == 200, replay.text
    assert replay.json()["action"] == "publish" and replay.json()["target"] == "enriched:underlying"
    assert replay.json()["replayed_at"].endswith("Z")
    assert_envelope(await admin_api.client.post(f"/api/dead-letters/{published}/replay", headers=admin), 409)

    pending = (await admin_api.client.get("/api/dead-letters", headers=admin)).json()
    assert [d["id"] for d in pending["dead_letters"]] == [rejected]
    everything = (
        await admin_api.client.get("/api/dead-letters", params={"include_replayed": "true"}, headers=admin)
    ).json()
    assert everything["count"] == 2
    assert_envelope(await admin_api.client.post("/api/dead-letters/999999/replay", headers=admin), 404)
    assert_envelope(await admin_api.client.get("/api/dead-letters", params={"limit": 0}, headers=admin), 422)
