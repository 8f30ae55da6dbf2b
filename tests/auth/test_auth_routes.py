"""Register, login, verify, refresh (rotation) and /api/user/me through the HTTP API."""

from __future__ import annotations

import jwt

from deltastream.auth import service
from deltastream.core.errors import AuthenticationError
from deltastream.settings import Settings
from tests.fixtures.api import Api, assert_envelope, running_api

EMAIL = "Trader@Example.com"
PASSWORD = "correct-horse-42"


async def _register(api: Api, email: str = EMAIL, password: str = PASSWORD, name: str = "Asha") -> dict:
    response = await api.client.post(
        "/api/auth/register", json={"email": email, "password": password, "name": name}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_register_returns_201_with_user_id_and_a_working_token(api: Api, settings: Settings) -> None:
    body = await _register(api)
    assert body["message"] == "User registered successfully"
    assert body["user_id"] == body["user"]["id"]
    assert body["user"]["email"] == "trader@example.com"
    claims = service.verify_access_token(settings, body["token"])
    assert claims["sub"] == body["user_id"] and claims["type"] == "access"
    me = await api.client.get("/api/user/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["user_id"] == body["user_id"]
    assert me.json()["email"] == "trader@example.com"
    assert me.json()["name"] == "Asha"


async def test_register_validates_email_and_password_length(api: Api) -> None:
    bad_email = await api.client.post(
        "/api/auth/register", json={"email": "not-an-email", "password": PASSWORD}
    )
    assert_envelope(bad_email, 422, "validation_error")
    short = await api.client.post(
        "/api/auth/register", json={"email": "a@example.com", "password": "seven77"}
    )
    body = assert_envelope(short, 422, "validation_error")
    assert "password" in body["error"]["message"]
    exactly_eight = await api.client.post(
        "/api/auth/register", json={"email": "a@example.com", "password": "eight888"}
    )
    assert exactly_eight.status_code == 201
    missing = await api.client.post("/api/auth/register", json={"email": "b@example.com"})
    assert_envelope(missing, 422)
    not_json = await api.client.post(
        "/api/auth/register", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert_envelope(not_json, 422)


async def test_duplicate_register_is_409_with_a_generic_message(api: Api) -> None:
    await _register(api)
    again = await api.client.post(
        "/api/auth/register",
        json={"email": "trader@EXAMPLE.com", "password": "another-password", "name": "X"},
    )
    body = assert_envelope(again, 409, "registration_failed")
    message = body["error"]["message"].lower()
    assert "exist" not in message and "already" not in message and "trader@" not in message
    assert body["error"]["details"] is None


async def test_login_returns_access_refresh_and_user(api: Api, settings: Settings) -> None:
    registered = await _register(api)
    response = await api.client.post(
        "/api/auth/login", json={"email": "  TRADER@example.com ", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"] == {**registered["user"], "created_at": body["user"]["created_at"]}
    assert service.decode_token(settings, body["refresh_token"], "refresh")["sub"] == registered["user_id"]
    assert service.verify_access_token(settings, body["token"])["email"] == "trader@example.com"
    assert body["expires_in"] == settings.jwt_access_ttl


async def test_verify_accepts_bearer_and_the_seed_body_form(api: Api) -> None:
    token = (await _register(api))["token"]
    by_header = await api.client.post("/api/auth/verify", headers={"Authorization": f"Bearer {token}"})
    assert by_header.status_code == 200
    assert by_header.json()["valid"] is True
    assert by_header.json()["email"] == "trader@example.com"
    by_body = await api.client.post("/api/auth/verify", json={"token": token})
    assert by_body.status_code == 200 and by_body.json()["user_id"] == by_header.json()["user_id"]
    assert_envelope(await api.client.post("/api/auth/verify"), 401, "unauthorized")
    assert_envelope(
        await api.client.post("/api/auth/verify", headers={"Authorization": "Bearer nope"}),
        401,
        "invalid_token",
    )


async def test_refresh_rotates_and_a_reused_refresh_token_fails(api: Api, settings: Settings) -> None:
    await _register(api)
    login = (await api.client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})).json()
    first = await api.client.post("/api/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != login["refresh_token"]
    assert service.verify_access_token(settings, rotated["token"])["sub"] == login["user"]["id"]
    reuse = await api.client.post("/api/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert_envelope(reuse, 401, "invalid_token")
    second = await api.client.post("/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert second.status_code == 200


async def test_me_needs_a_token(api: Api) -> None:
    response = await api.client.get("/api/user/me")
    assert_envelope(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    basic = await api.client.get("/api/user/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_envelope(basic, 401)


async def test_a_deleted_users_token_stops_working(api: Api, settings: Settings) -> None:
    token, _ = service.issue_token(settings, "999999", "ghost@example.com", "access")
    response = await api.client.get("/api/user/me", headers={"Authorization": f"Bearer {token}"})
    assert_envelope(response, 401, "invalid_token")


async def test_tokens_carry_exactly_the_specified_claims(settings: Settings) -> None:
    token, claims = service.issue_token(settings, "7", "a@example.com", "refresh")
    decoded = jwt.decode(token, settings.signing_secret, algorithms=["HS256"])
    assert set(decoded) == {"sub", "email", "type", "iat", "exp", "jti", "ver"}
    assert decoded == claims
    assert decoded["exp"] - decoded["iat"] == settings.jwt_refresh_ttl
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


async def test_verify_access_token_is_the_realtime_entry_point(settings: Settings) -> None:
    token, _ = service.issue_token(settings, "42", "rt@example.com", "access")
    assert service.verify_access_token(settings, token)["sub"] == "42"
    refresh, _ = service.issue_token(settings, "42", "rt@example.com", "refresh")
    try:
        service.verify_access_token(settings, refresh)
    except AuthenticationError as exc:
        assert exc.status_code == 401
    else:
        raise AssertionError("a refresh token was accepted as an access token")


async def test_reads_need_a_token_when_public_reads_is_off(settings: Settings) -> None:
    private = settings.model_copy(update={"public_reads": False})
    async with running_api(private) as api:
        denied = await api.client.get("/api/data/products")
        assert_envelope(denied, 401, "unauthorized")
        denied_analytics = await api.client.get("/api/analytics/pcr/NIFTY")
        assert_envelope(denied_analytics, 401)
        token = (await _register(api))["token"]
        allowed = await api.client.get("/api/data/products", headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code == 200
        assert allowed.json()["products"]
