"""Auth use cases: register, login, refresh (rotating), token verification.

Tokens are PyJWT HS256 with the algorithm pinned on decode, and every claim below required:
``sub`` (user id, str), ``email``, ``type`` ("access" | "refresh"), ``iat``, ``exp`` (Unix seconds),
``jti`` (unique id) and ``ver`` (the user's ``token_version``). A refresh token is single-use:
refreshing records its ``jti`` as revoked, so replaying it fails. A token is honoured only while its
user exists with the same ``token_version`` (deleting, promoting, demoting or revoking a user bumps
it). Failures never say whether an e-mail is registered.

Argon2 work is bounded: at most ``cores`` hashes/verifies run at once, and registrations may hold
at most half of those slots, so a flood of registrations cannot starve logins.
"""

from __future__ import annotations

import asyncio
import os
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Literal

import jwt
from pwdlib import PasswordHash

from deltastream.auth.repository import UserStore
from deltastream.core.clock import utcnow
from deltastream.core.errors import AuthenticationError, ConflictError, PermissionDeniedError
from deltastream.core.logging import get_logger
from deltastream.settings import Settings
from deltastream.storage import Record

log = get_logger("auth")

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "jti", "type", "sub", "ver"]
MAX_TOKEN_CHARS = 4096
TokenType = Literal["access", "refresh"]

INVALID_CREDENTIALS = "Invalid email or password"
REGISTRATION_REFUSED = "Registration failed: these details cannot be used"

_BEARER = {"WWW-Authenticate": "Bearer"}


@cache
def _hasher() -> PasswordHash:
    """Argon2id with pwdlib's recommended parameters (built on first use, not at import)."""
    return PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    # Verified against for unknown e-mails so that both failure paths cost one Argon2 verify.
    return _hasher().hash("timing-equaliser-not-a-real-password")


def argon2_slots() -> int:
    """Concurrent Argon2 computations allowed: one per core (at least 2)."""
    return max(2, os.cpu_count() or 1)


@dataclass
class HashSlots:
    """Per event loop: ``total`` Argon2 slots; registrations (hashing) may use ``hash_share`` of them."""

    total: asyncio.Semaphore
    hashing: asyncio.Semaphore


_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HashSlots] = weakref.WeakKeyDictionary()


def hash_slots() -> HashSlots:
    loop = asyncio.get_running_loop()
    slots = _SLOTS.get(loop)
    if slots is None:
        total = argon2_slots()
        slots = _SLOTS[loop] = HashSlots(asyncio.Semaphore(total), asyncio.Semaphore(max(1, total // 2)))
    return slots


async def hash_password(password: str) -> str:
    """Argon2id hash, computed off the event loop (tens of milliseconds of CPU), in a bounded slot:
    hashing (registration) may hold at most half of the Argon2 slots."""
    slots = hash_slots()
    async with slots.hashing, slots.total:
        return await asyncio.to_thread(_hasher().hash, password)


async def verify_password(password: str, password_hash: str) -> bool:
    def _verify() -> bool:
        try:
            return bool(_hasher().verify(password, password_hash))
        except Exception:  # a malformed stored hash is a failed login, not a server error
            return False

    async with hash_slots().total:
        return await asyncio.to_thread(_verify)


def _invalid(message: str = "Invalid token", code: str = "invalid_token") -> AuthenticationError:
    return AuthenticationError(message, code=code, headers=_BEARER)


def issue_token(
    settings: Settings, user_id: str, email: str, token_type: TokenType, version: int = 0
) -> tuple[str, dict[str, Any]]:
    """A signed token and its claims; lifetime is ``jwt_access_ttl`` or ``jwt_refresh_ttl`` seconds;
    ``version`` is the user's ``token_version``."""
    now = utcnow()
    ttl = settings.jwt_access_ttl if token_type == "access" else settings.jwt_refresh_ttl
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "email": email,
        "type": token_type,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
        "ver": int(version),
    }
    token = jwt.encode(claims, settings.signing_secret, algorithm=ALGORITHM)
    return token, claims


def decode_token(settings: Settings, token: str, expected_type: TokenType) -> dict[str, Any]:
    """Verified claims of a token of ``expected_type``, or ``AuthenticationError`` (401).

    Only HS256 is accepted (``alg: none``, RS256 and any other algorithm are refused), every claim
    in ``REQUIRED_CLAIMS`` must be present, and an access token is never accepted as a refresh
    token or the reverse.
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise _invalid()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.signing_secret,
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise _invalid("Token expired", code="token_expired") from None
    except jwt.PyJWTError:
        raise _invalid() from None
    if claims.get("type") != expected_type or not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _invalid()
    if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("email", ""), str):
        raise _invalid()
    if not isinstance(claims.get("ver"), int) or isinstance(claims["ver"], bool):
        raise _invalid()
    return claims


def verify_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Claims of a validly signed access token; raises ``AuthenticationError`` for anything else.
    Pure: no storage lookup (use :func:`authenticate` to also check the user still holds it)."""
    return decode_token(settings, token, "access")


async def _holder(repo: UserStore, claims: dict[str, Any]) -> Record:
    """The stored user a verified token names, if it still exists at the token's version."""
    user = await repo.get_user(claims["sub"])
    if user is None or int(user.get("token_version", 0)) != claims["ver"]:
        raise _invalid()
    return user


async def authenticate(repo: UserStore, settings: Settings, token: str) -> tuple[dict[str, Any], Record]:
    """Claims and user of a valid access token whose user exists at the same ``token_version``
    (HTTP routes, ``/verify`` and Socket.IO connections all go through here)."""
    claims = verify_access_token(settings, token)
    return claims, await _holder(repo, claims)


async def session_claims(repo: UserStore, settings: Settings, token: str) -> dict[str, Any]:
    """:func:`authenticate`'s claims alone (what the Socket.IO gateway checks at connect)."""
    claims, _ = await authenticate(repo, settings, token)
    return claims


@dataclass(frozen=True)
class Session:
    """What login, register and refresh hand back: the user and a fresh token pair."""

    user: Record
    access_token: str
    refresh_token: str
    expires_in: int


def is_admin(settings: Settings, user: Record) -> bool:
    """Admins are flagged in storage, only by an operator (``deltastream users promote EMAIL``)."""
    return bool(user.get("is_admin"))


def public_user(settings: Settings, user: Record) -> dict[str, Any]:
    return {
        "id": str(user["id"]),
        "email": user["email"],
        "name": user.get("name") or "",
        "is_admin": is_admin(settings, user),
        "created_at": user.get("created_at"),
    }


def _session(settings: Settings, user: Record) -> Session:
    version = int(user.get("token_version", 0))
    access, _ = issue_token(settings, str(user["id"]), user["email"], "access", version)
    refresh, _ = issue_token(settings, str(user["id"]), user["email"], "refresh", version)
    return Session(user=user, access_token=access, refresh_token=refresh, expires_in=settings.jwt_access_ttl)


async def register(repo: UserStore, settings: Settings, email: str, password: str, name: str) -> Session:
    """Create an account and log it in. A taken e-mail is a 409 whose message does not say so."""
    email = email.strip().lower()
    password_hash = await hash_password(password)
    try:
        user = await repo.create_user(email, password_hash, name.strip())
    except ConflictError:
        log.info("register_refused")
        raise ConflictError(REGISTRATION_REFUSED, code="registration_failed") from None
    log.info("user_registered", user_id=str(user["id"]))
    return _session(settings, user)


async def login(repo: UserStore, settings: Settings, email: str, password: str) -> Session:
    """Check credentials. Unknown e-mail and wrong password give the same 401 after the same work."""
    user = await repo.get_user_by_email(email.strip().lower())
    if user is None:
        await verify_password(password, _dummy_hash())
        raise _invalid(INVALID_CREDENTIALS, code="invalid_credentials")
    if not await verify_password(password, str(user.get("password_hash", ""))):
        raise _invalid(INVALID_CREDENTIALS, code="invalid_credentials")
    log.info("user_logged_in", user_id=str(user["id"]))
    return _session(settings, user)


async def refresh(repo: UserStore, settings: Settings, refresh_token: str) -> Session:
    """Trade a refresh token for a new pair, revoking the old ``jti`` (reuse gives 401)."""
    claims = decode_token(settings, refresh_token, "refresh")
    user = await _holder(repo, claims)
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    if not await repo.revoke_token(claims["jti"], expires_at):
        log.warning("refresh_token_reused", user_id=claims["sub"])
        raise _invalid("Refresh token already used", code="invalid_token")
    return _session(settings, user)


async def user_for_token(repo: UserStore, settings: Settings, token: str) -> Record:
    """The stored user behind a valid access token (a deleted or revoked user's token stops working)."""
    _, user = await authenticate(repo, settings, token)
    return user


def require_admin(settings: Settings, user: Record) -> Record:
    if not is_admin(settings, user):
        raise PermissionDeniedError("Admin privileges required")
    return user
