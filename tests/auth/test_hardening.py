"""Issue 18 items 2, 3, 6 and 7 over HTTP: admin only by an operator act, tokens bound to a user
that still exists at the same token version, invalid tokens refused on public reads, and logins a
third party cannot lock out, with Argon2 work bounded."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from deltastream.auth import service
from deltastream.settings import ConfigurationError, Settings
from tests.core.test_cli import run_cli
from tests.fixtures.api import Api, assert_envelope, running_api

PASSWORD = "correct-horse-42"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _register(api: Api, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await api.client.post("/api/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- item 2: admin only by an explicit operator act ----------------------------------------


async def test_registering_any_address_never_grants_admin(api: Api) -> None:
    body = await _register(api, "admin@example.com")
    assert body["user"]["is_admin"] is False
    assert_envelope(await api.client.get("/api/dead-letters", headers=_bearer(body["token"])), 403)


def test_the_old_admin_emails_setting_is_refused_with_the_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTASTREAM_ADMIN_EMAILS", "admin@example.com")
    with pytest.raises(ConfigurationError, match="deltastream users promote"):
        Settings(env="test")


def test_users_promote_and_demote_from_the_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")

    async def seed() -> None:
        from deltastream.storage.sqlite import SQLiteRepository

        repo = SQLiteRepository(Path(db))
        await repo.start()
        await repo.create_user("ops@example.com", "h", "Ops")
        await repo.close()

    asyncio.run(seed())
    promoted = run_cli(tmp_path, "users", "promote", "OPS@example.com", DELTASTREAM_SQLITE_PATH=db)
    assert promoted.returncode == 0, promoted.stderr
    assert "ops@example.com is now an admin" in promoted.stdout
    demoted = run_cli(tmp_path, "users", "demote", "ops@example.com", DELTASTREAM_SQLITE_PATH=db)
    assert demoted.returncode == 0 and "no longer an admin" in demoted.stdout
    missing = run_cli(tmp_path, "users", "promote", "nobody@example.com", DELTASTREAM_SQLITE_PATH=db)
    assert missing.returncode == 1 and "no user with e-mail nobody@example.com" in missing.stderr

    async def check() -> tuple[bool, int]:
        from deltastream.storage.sqlite import SQLiteRepository

        repo = SQLiteRepository(Path(db))
        await repo.start()
        user = await repo.get_user_by_email("ops@example.com")
        await repo.close()
        assert user is not None
        return user["is_admin"], user["token_version"]

    assert asyncio.run(check()) == (False, 2)


async def test_a_promoted_user_logs_in_again_and_is_admin(api: Api) -> None:
    body = await _register(api, "ops@example.com")
    await api.runtime.repo.set_admin("ops@example.com", True)
    # The pre-promotion token is dead (the version moved): the operator's act takes effect at once.
    assert_envelope(await api.client.get("/api/user/me", headers=_bearer(body["token"])), 401)
    login = await api.client.post("/api/auth/login", json={"email": "ops@example.com", "password": PASSWORD})
    token = login.json()["token"]
    assert (await api.client.get("/api/dead-letters", headers=_bearer(token))).status_code == 200
    await api.runtime.repo.set_admin("ops@example.com", False)
    assert_envelope(await api.client.get("/api/dead-letters", headers=_bearer(token)), 401)


# --- item 3: ids never reused, tokens bound to the user's token version ---------------------


async def test_a_deleted_users_token_opens_nothing_not_even_the_next_account(settings: Settings) -> None:
    private = settings.model_copy(update={"public_reads": False})
    async with running_api(private) as api:
        await _register(api, "first@example.com")
        victim = await _register(api, "deleted@example.com")
        old = _bearer(victim["token"])
        assert await api.runtime.repo.delete_user("deleted@example.com")
        newcomer = await _register(api, "newcomer@example.com")
        assert newcomer["user_id"] != victim["user_id"]
        assert_envelope(await api.client.get("/api/user/me", headers=old), 401, "invalid_token")
        assert_envelope(await api.client.post("/api/auth/verify", headers=old), 401, "invalid_token")
        assert_envelope(await api.client.get("/api/data/products", headers=old), 401, "invalid_token")
        refresh = await api.client.post("/api/auth/refresh", json={"refresh_token": victim["refresh_token"]})
        assert_envelope(refresh, 401, "invalid_token")
        assert (await api.client.get("/api/user/me", headers=_bearer(newcomer["token"]))).status_code == 200


async def test_revoking_a_user_kills_every_token_issued_before(api: Api) -> None:
    body = await _register(api, "trader@example.com")
    headers = _bearer(body["token"])
    assert (await api.client.post("/api/auth/verify", headers=headers)).status_code == 200
    await api.runtime.repo.bump_token_version("trader@example.com")
    assert_envelope(await api.client.post("/api/auth/verify", headers=headers), 401, "invalid_token")
    assert_envelope(
        await api.client.post("/api/auth/verify", json={"token": body["token"]}), 401, "invalid_token"
    )
    refresh = await api.client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert_envelope(refresh, 401, "invalid_token")
    login = await api.client.post(
        "/api/auth/login", json={"email": "trader@example.com", "password": PASSWORD}
    )
    assert (await api.client.get("/api/user/me", headers=_bearer(login.json()["token"]))).status_code == 200


async def test_a_token_without_a_version_claim_is_refused(settings: Settings) -> None:
    import jwt

    claims = service.issue_token(settings, "1", "a@example.com", "access")[1]
    del claims["ver"]
    token = jwt.encode(claims, settings.signing_secret, algorithm="HS256")
    with pytest.raises(service.AuthenticationError):
        service.verify_access_token(settings, token)


# --- item 6: public reads refuse bad tokens; the schema says auth is optional there ---------


async def test_public_reads_refuse_a_present_but_invalid_token(api: Api) -> None:
    assert api.runtime.settings.public_reads
    assert (await api.client.get("/api/data/products")).status_code == 200
    garbage = await api.client.get("/api/data/products", headers=_bearer("garbage"))
    assert_envelope(garbage, 401, "invalid_token")
    analytics = await api.client.get("/api/analytics/pcr/NIFTY", headers=_bearer("garbage"))
    assert_envelope(analytics, 401)
    good = await _register(api, "reader@example.com")
    assert (await api.client.get("/api/data/products", headers=_bearer(good["token"]))).status_code == 200


async def test_the_schema_says_auth_is_optional_on_public_reads_only(settings: Settings) -> None:
    async with running_api(settings) as api:
        paths = (await api.client.get("/openapi.json")).json()["paths"]
        assert paths["/api/data/products"]["get"]["security"] == [{}, {"bearerAuth": []}]
        assert {} in paths["/api/auth/verify"]["post"]["security"]
        assert paths["/api/user/me"]["get"]["security"] == [{"bearerAuth": []}]
        email = (await api.client.get("/openapi.json")).json()["components"]["schemas"]["RegisterRequest"]
        assert email["properties"]["email"]["format"] == "email"
        assert ".test" in email["properties"]["email"]["description"]
    async with running_api(settings.model_copy(update={"public_reads": False})) as api:
        paths = (await api.client.get("/openapi.json")).json()["paths"]
        assert paths["/api/data/products"]["get"]["security"] == [{"bearerAuth": []}]


async def test_register_accepts_reserved_test_domains_and_refuses_unusable_ones(api: Api) -> None:
    body = await _register(api, "QA@Example.TEST")
    assert body["user"]["email"] == "qa@example.test"
    for bad in ("a@b.local", "a@localhost", "a@b.invalid", "no-at-sign"):
        response = await api.client.post("/api/auth/register", json={"email": bad, "password": PASSWORD})
        assert_envelope(response, 422, "validation_error")


async def test_verify_takes_the_token_in_the_body_but_the_header_wins(api: Api) -> None:
    body = await _register(api, "v@example.com")
    in_body = await api.client.post("/api/auth/verify", json={"token": body["token"]})
    assert in_body.status_code == 200 and in_body.json()["user_id"] == body["user_id"]
    both = await api.client.post(
        "/api/auth/verify", json={"token": body["token"]}, headers=_bearer("garbage")
    )
    assert_envelope(both, 401, "invalid_token")


# --- item 7: no lock-out by a third party; bounded Argon2 -----------------------------------


async def test_an_attacker_ip_cannot_lock_the_user_out(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_login": "3/minute"})
    async with running_api(limited, client_ip="198.51.100.66") as attacker:
        await _register(attacker, "victim@example.com")
        for _ in range(3):
            guess = await attacker.client.post(
                "/api/auth/login", json={"email": "victim@example.com", "password": "wrong-guess"}
            )
            assert guess.status_code == 401
        blocked = await attacker.client.post(
            "/api/auth/login", json={"email": "victim@example.com", "password": "wrong-guess"}
        )
        assert_envelope(blocked, 429, "rate_limited")
        transport = httpx.ASGITransport(app=attacker.asgi, client=("203.0.113.7", 50002))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as victim:
            login = await victim.post(
                "/api/auth/login", json={"email": "victim@example.com", "password": PASSWORD}
            )
            assert login.status_code == 200, login.text


async def test_login_limits_treat_known_and_unknown_emails_alike(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"rate_limit_login": "100/minute", "rate_limit_login_account": "2/minute"}
    )
    async with running_api(limited) as api:
        await _register(api, "known@example.com")
        seen: dict[str, list[tuple[int, str]]] = {}
        for email in ("known@example.com", "unknown@example.com"):
            for _ in range(3):
                r = await api.client.post("/api/auth/login", json={"email": email, "password": "wrong-guess"})
                seen.setdefault(email, []).append((r.status_code, r.json()["error"]["code"]))
        assert seen["known@example.com"] == seen["unknown@example.com"]
        assert [s for s, _ in seen["known@example.com"]] == [401, 401, 429]


async def test_argon2_work_is_bounded_and_registrations_leave_room_for_logins(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flood of registrations holds at most half of the Argon2 slots; a login still gets one.
    (The bound is checked by counting threads inside Argon2, not by timing.)"""
    await _register(api, "user@example.com")
    real = service._hasher()
    gate = threading.Event()
    lock = threading.Lock()
    active = {"hash": 0, "max_hash": 0, "all": 0, "max_all": 0}

    def enter(kind: str) -> None:
        with lock:
            active[kind] += 1
            active["all"] += 1
            active["max_" + kind] = max(active["max_" + kind], active[kind])
            active["max_all"] = max(active["max_all"], active["all"])

    def leave(kind: str) -> None:
        with lock:
            active[kind] -= 1
            active["all"] -= 1

    class Gated:
        def hash(self, password: str) -> str:
            enter("hash")
            try:
                gate.wait(30)
                return real.hash(password)
            finally:
                leave("hash")

        def verify(self, password: str, password_hash: str) -> bool:
            with lock:
                active["all"] += 1
                active["max_all"] = max(active["max_all"], active["all"])
            try:
                return bool(real.verify(password, password_hash))
            finally:
                with lock:
                    active["all"] -= 1

    monkeypatch.setattr(service, "_hasher", lambda: Gated())
    slots = service.argon2_slots()
    flood = [
        asyncio.create_task(
            api.client.post("/api/auth/register", json={"email": f"f{i}@example.com", "password": PASSWORD})
        )
        for i in range(3 * slots)
    ]
    try:
        for _ in range(200):
            await asyncio.sleep(0.01)
            if active["hash"] >= max(1, slots // 2):
                break
        login = await api.client.post(
            "/api/auth/login", json={"email": "user@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200  # served while every registration slot is taken
        assert active["max_hash"] == max(1, slots // 2)
    finally:
        gate.set()
        results = await asyncio.gather(*flood)
    assert all(r.status_code == 201 for r in results)
    assert active["max_all"] <= slots
