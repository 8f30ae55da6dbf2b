"""Auth routes: ``/api/auth/register|login|verify|refresh`` and ``/api/user/me``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, status

from deltastream.auth import service
from deltastream.auth.dependencies import BearerCredentials, CurrentUser, UserStoreDep
from deltastream.auth.schemas import (
    LoginRequest,
    MeResponse,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    TokenPair,
    VerifyRequest,
    VerifyResponse,
)
from deltastream.core.errors import AuthenticationError
from deltastream.core.http.deps import SettingsDep
from deltastream.core.http.openapi import error_responses
from deltastream.core.http.ratelimit import (
    GROUP_AUTH,
    GROUP_LOGIN,
    GROUP_LOGIN_ACCOUNT,
    GROUP_LOGIN_ACCOUNT_IP,
    client_ip,
    enforce,
    rate_limit,
)
from deltastream.settings import Settings

router = APIRouter(tags=["auth"])


def _pair(settings: Settings, session: service.Session, message: str) -> dict[str, Any]:
    return {
        "message": message,
        "token": session.access_token,
        "refresh_token": session.refresh_token,
        "token_type": "bearer",
        "expires_in": session.expires_in,
        "user": service.public_user(settings, session.user),
    }


@router.post(
    "/api/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisterResponse,
    summary="Create an account",
    description=(
        "Creates a user and returns an access token (and a refresh token) so the client is logged in. "
        "The e-mail must be valid and the password at least 8 characters. An e-mail that cannot be used "
        "gives 409 with a generic message (it does not reveal whether the address is registered)."
    ),
    responses=error_responses(409, 413, 422, 429),
    dependencies=[rate_limit(GROUP_AUTH)],
)
async def register(body: RegisterRequest, repo: UserStoreDep, settings: SettingsDep) -> dict[str, Any]:
    session = await service.register(repo, settings, body.email, body.password, body.name)
    return {
        **_pair(settings, session, "User registered successfully"),
        "user_id": str(session.user["id"]),
    }


@router.post(
    "/api/auth/login",
    response_model=TokenPair,
    summary="Log in: e-mail and password for an access and a refresh token",
    description=(
        "A wrong password and an unknown e-mail give the same 401 body after the same amount of work. "
        "Attempts are limited per client IP (`DELTASTREAM_RATE_LIMIT_LOGIN`, default 10/minute); failed "
        "attempts also per (account, IP) at the same rate and per account from all IPs together "
        "(`DELTASTREAM_RATE_LIMIT_LOGIN_ACCOUNT`, default 100/hour). Only failures count against an "
        "account, and unknown and known e-mails are counted alike, so a 429 says nothing about "
        "whether an address is registered."
    ),
    responses=error_responses(401, 413, 422, 429),
    dependencies=[rate_limit(GROUP_LOGIN)],
)
async def login(
    body: LoginRequest, request: Request, repo: UserStoreDep, settings: SettingsDep
) -> dict[str, Any]:
    account = body.email.strip().lower()
    pair = f"{account}|{client_ip(request)}"
    await enforce(request, GROUP_LOGIN_ACCOUNT_IP, pair, count=False)
    await enforce(request, GROUP_LOGIN_ACCOUNT, account, count=False)
    try:
        session = await service.login(repo, settings, body.email, body.password)
    except AuthenticationError:
        await enforce(request, GROUP_LOGIN_ACCOUNT_IP, pair)
        await enforce(request, GROUP_LOGIN_ACCOUNT, account)
        raise
    return _pair(settings, session, "Login successful")


@router.post(
    "/api/auth/verify",
    response_model=VerifyResponse,
    summary="Check an access token",
    description=(
        "Send the token as `Authorization: Bearer <token>` (preferred), or, for the seed's clients, in "
        'the body as `{"token": ...}` with no header (the header wins when both are sent). 200 with the '
        "user id and e-mail only if the token is validly signed, unexpired, and its user still exists "
        "at the same token version; else 401 (`token_expired` or `invalid_token`)."
    ),
    responses=error_responses(401, 413, 422, 429),
    dependencies=[rate_limit(GROUP_AUTH)],
    openapi_extra={"security": [{}]},  # merged: no header (token in the body) or a bearer token
)
async def verify(
    repo: UserStoreDep,
    settings: SettingsDep,
    credentials: BearerCredentials,
    body: Annotated[VerifyRequest | None, Body()] = None,
) -> dict[str, Any]:
    token = credentials.credentials if credentials else (body.token if body else None)
    if not token:
        raise AuthenticationError(
            "Missing token (send 'Authorization: Bearer <token>')",
            code="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    claims, _ = await service.authenticate(repo, settings, token)
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    return {
        "valid": True,
        "user_id": claims["sub"],
        "email": claims.get("email", ""),
        "expires_at": expires_at,
    }


@router.post(
    "/api/auth/refresh",
    response_model=TokenPair,
    summary="Trade a refresh token for a new token pair",
    description=(
        "Refresh tokens rotate: the one sent is revoked and a new one is returned with the new access "
        "token. Sending a refresh token a second time gives 401. Access tokens are refused here."
    ),
    responses=error_responses(401, 413, 422, 429),
    dependencies=[rate_limit(GROUP_AUTH)],
)
async def refresh(body: RefreshRequest, repo: UserStoreDep, settings: SettingsDep) -> dict[str, Any]:
    session = await service.refresh(repo, settings, body.refresh_token)
    return _pair(settings, session, "Token refreshed")


@router.get(
    "/api/user/me",
    response_model=MeResponse,
    summary="The current user",
    description="Needs `Authorization: Bearer <access token>`.",
    responses=error_responses(401, 429),
    dependencies=[rate_limit(GROUP_AUTH)],
)
async def me(user: CurrentUser, settings: SettingsDep) -> dict[str, Any]:
    public = service.public_user(settings, user)
    return {
        "user_id": public["id"],
        "email": public["email"],
        "name": public["name"],
        "is_admin": public["is_admin"],
        "created_at": public["created_at"],
    }
