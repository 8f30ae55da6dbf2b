"""``Annotated`` auth dependencies: ``CurrentUser``, ``OptionalUser``, ``AdminUser`` and ``ReadAccess``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deltastream.auth import service
from deltastream.auth.repository import UserStore
from deltastream.core.errors import AuthenticationError
from deltastream.core.http.deps import SettingsDep
from deltastream.core.http.ratelimit import GROUP_DATA, client_ip, enforce
from deltastream.settings import Settings
from deltastream.storage import Record
from deltastream.storage.dependencies import get_repo

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="Access token from `POST /api/auth/login` (or register/refresh): `Authorization: Bearer <token>`",
)

BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
UserStoreDep = Annotated[UserStore, Depends(get_repo)]


def _missing() -> AuthenticationError:
    return AuthenticationError(
        "Missing Authorization header (expected 'Bearer <token>')",
        code="unauthorized",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_current_user(
    repo: UserStoreDep, settings: SettingsDep, credentials: BearerCredentials
) -> Record:
    if credentials is None:
        raise _missing()
    return await service.user_for_token(repo, settings, credentials.credentials)


async def get_optional_user(
    repo: UserStoreDep, settings: SettingsDep, credentials: BearerCredentials
) -> Record | None:
    """None without a token; a token that is sent must be valid."""
    if credentials is None:
        return None
    return await service.user_for_token(repo, settings, credentials.credentials)


async def get_admin_user(user: Annotated[Record, Depends(get_current_user)], settings: SettingsDep) -> Record:
    return service.require_admin(settings, user)


async def require_read_access(request: Request, credentials: BearerCredentials) -> None:
    """Data and analytics reads: open without a token when ``public_reads`` is on, else a valid
    access token. A token that is sent is always checked, public reads or not: a bad, expired or
    revoked one (or one of a deleted user) is a 401, never silently ignored.

    Settings and storage are read from the request state rather than through more dependencies:
    this runs on every data request, and costs a user lookup only when a token is sent.
    """
    settings: Settings = request.state.settings
    if credentials is None:
        if settings.public_reads:
            return
        raise _missing()
    await service.authenticate(request.state.repo, settings, credentials.credentials)


async def _read_guard(request: Request, credentials: BearerCredentials) -> None:
    await enforce(request, GROUP_DATA, client_ip(request))
    await require_read_access(request, credentials)


CurrentUser = Annotated[Record, Depends(get_current_user)]
OptionalUser = Annotated[Record | None, Depends(get_optional_user)]
AdminUser = Annotated[Record, Depends(get_admin_user)]
ReadAccess = Depends(require_read_access)
# The data group's rate limit and ReadAccess as one dependency for the data and analytics routers:
# both run on every read, and each FastAPI dependency node costs ~10 µs per request.
DataReadAccess = Depends(_read_guard)
