"""Per-client rate limits by route group, on the ``limits`` library (moving window).

Groups: ``data`` (data, analytics, mobile), ``login`` (attempts per IP), ``auth`` (the other auth
and admin routes), ``ai`` (the chat, per IP and per user). Failed logins are also counted per (account, IP) (``DELTASTREAM_RATE_LIMIT_LOGIN``)
and per account from every IP together (``DELTASTREAM_RATE_LIMIT_LOGIN_ACCOUNT``, a slower global
ceiling): one attacker's IP cannot lock a user out, and only failures count, so the user's own
logins never do. Routes with a body are counted by :class:`PathRateLimitMiddleware` before the body
is read (FastAPI reads a body before it runs dependencies). Counters live in Redis when ``DELTASTREAM_REDIS_URL`` is set,
so every API replica shares them, and in process memory otherwise.

Every limited response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (Unix seconds when the oldest counted request leaves the window); a 429 adds
``Retry-After`` (seconds). If the counter store fails, the request is let through and the failure
logged: an outage of the limiter must not become an outage of the API.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import limits
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deltastream.core.errors import RateLimitedError
from deltastream.core.logging import get_logger
from deltastream.settings import Settings

log = get_logger("ratelimit")

GROUP_DATA = "data"
GROUP_LOGIN = "login"
GROUP_LOGIN_ACCOUNT = "login_account"
GROUP_LOGIN_ACCOUNT_IP = "login_account_ip"
GROUP_AUTH = "auth"
GROUP_AI = "ai"
_STATE_KEY = "rate_limit"
_COUNTED_KEY = "rate_limit_counted"


@dataclass(frozen=True)
class Quota:
    """The outcome of one counted request."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


def _storage(settings: Settings) -> Storage:
    if settings.redis_url:
        uri = "async+" + settings.redis_url
        return RedisStorage(uri, implementation="redispy", key_prefix=f"{settings.redis_prefix}ratelimit")
    return MemoryStorage()


class RateLimiter:
    """Moving-window counters keyed by ``(group, key)``; ``key`` is a client IP or an account."""

    def __init__(self, settings: Settings) -> None:
        # Parsed eagerly: a malformed DELTASTREAM_RATE_LIMIT_* fails at start-up, not on a request.
        self.items: dict[str, limits.RateLimitItem] = {
            GROUP_DATA: limits.parse(settings.rate_limit_data),
            GROUP_LOGIN: limits.parse(settings.rate_limit_login),
            GROUP_LOGIN_ACCOUNT_IP: limits.parse(settings.rate_limit_login),
            GROUP_LOGIN_ACCOUNT: limits.parse(settings.rate_limit_login_account),
            GROUP_AUTH: limits.parse(settings.rate_limit_auth),
            GROUP_AI: limits.parse(settings.rate_limit_ai),
        }
        self._strategy = MovingWindowRateLimiter(_storage(settings))

    async def hit(self, group: str, key: str, *, count: bool = True) -> Quota | None:
        """Count one request (``count=False``: only check there is room for one); None when the
        counter store is unavailable (fail open)."""
        item = self.items[group]
        try:
            if count:
                allowed = await self._strategy.hit(item, group, key)
            else:
                allowed = await self._strategy.test(item, group, key)
            stats = await self._strategy.get_window_stats(item, group, key)
        except Exception as exc:  # the limiter's backend is down: serve, and say so in the logs
            log.warning("rate_limiter_unavailable", group=group, error=repr(exc))
            return None
        return Quota(
            allowed=allowed, limit=item.amount, remaining=max(0, stats.remaining), reset_at=stats.reset_time
        )


def client_ip(request: Request) -> str:
    """The peer address (uvicorn rewrites it from X-Forwarded-For for trusted proxies only)."""
    return request.client.host if request.client else "unknown"


async def enforce(request: Request, group: str, key: str, *, count: bool = True) -> None:
    """Count the request in ``group`` for ``key`` (``count=False``: only check); raise a 429
    envelope when over the limit."""
    limiter: RateLimiter | None = getattr(request.state, "rate_limiter", None)
    if limiter is None:
        return
    quota = await limiter.hit(group, key, count=count)
    if quota is None:
        return
    previous: Quota | None = getattr(request.state, _STATE_KEY, None)
    # When several limits apply (login: per IP and per account), report the tightest.
    if previous is None or (quota.remaining, -quota.reset_at) < (previous.remaining, -previous.reset_at):
        setattr(request.state, _STATE_KEY, quota)
    if not quota.allowed:
        retry_after = max(1, math.ceil(quota.reset_at - time.time()))
        raise RateLimitedError(
            f"Rate limit exceeded: {quota.limit} requests per window for '{group}'; retry in {retry_after} s",
            details={"group": group, "limit": quota.limit, "retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


def rate_limit(group: str) -> Any:
    """A route dependency counting each request against ``group`` per client IP."""

    async def _limit(request: Request) -> None:
        if group in getattr(request.state, _COUNTED_KEY, ()):
            return  # already counted by PathRateLimitMiddleware, before the body was read
        await enforce(request, group, client_ip(request))

    _limit.__name__ = f"rate_limit_{group}"
    return Depends(_limit)


class RateLimitHeadersMiddleware:
    """Adds the ``X-RateLimit-*`` headers of the request's tightest quota to its response,
    including error responses raised after the count (404, 422, 429)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                quota = scope.get("state", {}).get(_STATE_KEY)
                if isinstance(quota, Quota):
                    extra = [(k.lower().encode(), v.encode()) for k, v in quota.headers().items()]
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PathRateLimitMiddleware:
    """Counts requests per client IP in the group of the first matching path prefix, before the
    app reads the body: a flood of large bodies gets its 429 without being read."""

    def __init__(self, app: ASGIApp, groups: Sequence[tuple[str, str]]) -> None:
        self.app = app
        self.groups = tuple(groups)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope.get("path", "")
            group = next((g for prefix, g in self.groups if path.startswith(prefix)), None)
            if group is not None:
                request = Request(scope)
                try:
                    await enforce(request, group, client_ip(request))
                except RateLimitedError as exc:
                    response = JSONResponse(exc.envelope(), status_code=exc.status_code, headers=exc.headers)
                    await response(scope, receive, send)
                    return
                scope.setdefault("state", {}).setdefault(_COUNTED_KEY, set()).add(group)
        await self.app(scope, receive, send)
