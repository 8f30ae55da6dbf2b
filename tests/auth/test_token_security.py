"""Attacks on tokens and logins: every forged or misused token is a 401; logins do not leak
which e-mails exist; brute force hits a 429 with Retry-After."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from deltastream.auth import service
from deltastream.core.errors import AuthenticationError
from deltastream.settings import Settings
from tests.fixtures.api import Api, assert_envelope, running_api

# An RSA public key in PEM form: what an attacker would use as the HMAC secret in an RS/HS
# confusion attack against a server that verifies RS256 with it.
PUBLIC_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
    "+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh\n"
    "kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ\n"
    "0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg\n"
    "cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc\n"
    "mwIDAQAB\n"
    "-----END PUBLIC KEY-----\n"
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token_type: str = "access", **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "1",
        "email": "a@example.com",
        "type": token_type,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "ver": 0,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _raw_token(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A compact JWS built by hand (PyJWT refuses to build most of these attacks)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _secret(settings: Settings) -> bytes:
    return settings.signing_secret.encode()


def _attacks(settings: Settings) -> dict[str, str]:
    good_header = {"alg": "HS256", "typ": "JWT"}
    valid = _raw_token(good_header, _claims(), _secret(settings))
    head, body, sig = valid.split(".")
    forged_body = _b64(json.dumps(_claims(sub="2", email="admin@example.com")).encode())
    return {
        "forged_signature": _raw_token(good_header, _claims(), b"not-the-server-secret-0123456789abcdef"),
        "tampered_payload": f"{head}.{forged_body}.{sig}",
        "expired": _raw_token(
            good_header, _claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), _secret(settings)
        ),
        "alg_none": _raw_token({"alg": "none", "typ": "JWT"}, _claims(), None),
        "alg_none_with_sig": f"{_b64(json.dumps({'alg': 'none'}).encode())}.{body}.{sig}",
        "hs256_with_public_pem": _raw_token(good_header, _claims(), PUBLIC_PEM.encode()),
        "rs256_header": f"{_b64(json.dumps({'alg': 'RS256', 'typ': 'JWT'}).encode())}.{body}.{_b64(b'x' * 256)}",
        "hs512": _raw_token({"alg": "HS512", "typ": "JWT"}, _claims(), _secret(settings)),
        "refresh_as_access": _raw_token(good_header, _claims("refresh"), _secret(settings)),
        "missing_jti": _raw_token(good_header, _claims(jti=None), _secret(settings)),
        "missing_exp": _raw_token(good_header, _claims(exp=None), _secret(settings)),
        "missing_type": _raw_token(good_header, _claims(type=None), _secret(settings)),
        "numeric_sub": _raw_token(good_header, _claims(sub=1), _secret(settings)),
        "garbage": "a.b.c",
        "huge": "x" * 10_000,
    }


def test_a_well_formed_hand_built_token_is_accepted(settings: Settings) -> None:
    """Guards the attack helpers: without the tampering, the same construction verifies."""
    token = _raw_token({"alg": "HS256", "typ": "JWT"}, _claims(), _secret(settings))
    assert service.verify_access_token(settings, token)["sub"] == "1"


@pytest.mark.parametrize(
    "attack",
    [
        "forged_signature",
        "tampered_payload",
        "expired",
        "alg_none",
        "alg_none_with_sig",
        "hs256_with_public_pem",
        "rs256_header",
        "hs512",
        "refresh_as_access",
        "missing_jti",
        "missing_exp",
        "missing_type",
        "numeric_sub",
        "garbage",
        "huge",
    ],
)
def test_attack_tokens_are_refused_as_access_tokens(settings: Settings, attack: str) -> None:
    with pytest.raises(AuthenticationError) as info:
        service.verify_access_token(settings, _attacks(settings)[attack])
    assert info.value.status_code == 401


def test_expired_tokens_say_so(settings: Settings) -> None:
    with pytest.raises(AuthenticationError) as info:
        service.verify_access_token(settings, _attacks(settings)["expired"])
    assert info.value.code == "token_expired"


def test_an_access_token_is_refused_as_a_refresh_token(settings: Settings) -> None:
    access, _ = service.issue_token(settings, "1", "a@example.com", "access")
    with pytest.raises(AuthenticationError):
        service.decode_token(settings, access, "refresh")


async def test_attack_tokens_get_401_over_http(settings: Settings) -> None:
    async with running_api(settings.model_copy(update={"rate_limit_enabled": False})) as api:
        register = await api.client.post(
            "/api/auth/register", json={"email": "a@example.com", "password": "long-enough-1"}
        )
        assert register.status_code == 201
        for name, token in _attacks(settings).items():
            headers = {"Authorization": f"Bearer {token}"}
            assert_envelope(await api.client.get("/api/user/me", headers=headers), 401), name
            assert_envelope(await api.client.post("/api/auth/verify", headers=headers), 401), name
        access = register.json()["token"]
        refresh_with_access = await api.client.post("/api/auth/refresh", json={"refresh_token": access})
        assert_envelope(refresh_with_access, 401, "invalid_token")
        me_with_refresh = await api.client.get(
            "/api/user/me", headers={"Authorization": f"Bearer {register.json()['refresh_token']}"}
        )
        assert_envelope(me_with_refresh, 401, "invalid_token")


async def test_unknown_email_and_wrong_password_are_indistinguishable(api: Api) -> None:
    await api.client.post(
        "/api/auth/register", json={"email": "known@example.com", "password": "right-password"}
    )
    unknown = await api.client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "right-password"}
    )
    wrong = await api.client.post(
        "/api/auth/login", json={"email": "known@example.com", "password": "wrong-password"}
    )
    malformed = await api.client.post(
        "/api/auth/login", json={"email": "not-an-email", "password": "whatever1"}
    )
    assert unknown.status_code == wrong.status_code == malformed.status_code == 401
    assert unknown.json() == wrong.json() == malformed.json()
    assert unknown.json()["error"]["code"] == "invalid_credentials"


async def test_unknown_email_login_still_runs_a_password_verify(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing equalisation: both failure paths do one Argon2 verify."""
    calls: list[str] = []
    real = service.verify_password

    async def counting(password: str, password_hash: str) -> bool:
        calls.append(password_hash[:9])
        return await real(password, password_hash)

    monkeypatch.setattr(service, "verify_password", counting)
    await api.client.post(
        "/api/auth/register", json={"email": "known@example.com", "password": "right-password"}
    )
    await api.client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "x-password"})
    await api.client.post("/api/auth/login", json={"email": "known@example.com", "password": "x-password"})
    assert len(calls) == 2
    assert all(prefix.startswith("$argon2") for prefix in calls)


async def test_brute_force_login_is_rate_limited_with_retry_after(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_login": "5/minute"})
    async with running_api(limited, client_ip="203.0.113.9") as api:
        statuses = []
        for i in range(7):
            response = await api.client.post(
                "/api/auth/login", json={"email": f"victim{i % 2}@example.com", "password": "guess-guess"}
            )
            statuses.append(response.status_code)
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429, 429]
        body = assert_envelope(response, 429, "rate_limited")
        assert int(response.headers["Retry-After"]) >= 1
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert int(response.headers["X-RateLimit-Reset"]) >= int(time.time())
        assert body["error"]["details"]["retry_after"] == int(response.headers["Retry-After"])


async def test_failed_logins_hit_a_global_per_account_ceiling_across_ips(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_login_account": "3/minute"})
    async with running_api(limited, client_ip="198.51.100.1") as api:
        for _ in range(3):
            first = await api.client.post(
                "/api/auth/login", json={"email": "target@example.com", "password": "guess-1234"}
            )
            assert first.status_code == 401
        transport = httpx.ASGITransport(app=api.asgi, client=("198.51.100.2", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other_ip:
            blocked = await other_ip.post(
                "/api/auth/login", json={"email": "TARGET@example.com", "password": "guess-1234"}
            )
            assert_envelope(blocked, 429, "rate_limited")
            other_account = await other_ip.post(
                "/api/auth/login", json={"email": "someone-else@example.com", "password": "guess-1234"}
            )
            assert other_account.status_code == 401
