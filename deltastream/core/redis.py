"""Shared Redis plumbing for the bus and the cache: clients with a bounded retry, one error type.

Two kinds of client:

- a *command* client, whose every command retries with exponential backoff for a bounded time
  (about three seconds by default), so a Redis restart is ridden out and a Redis that stays down
  surfaces as :class:`RedisUnavailableError` instead of hanging;
- a *fail-fast* client with no retry of its own, for health probes (which must answer at once
  during an outage) and for the pub/sub reader, whose reconnect loop the bus owns (see
  :func:`reconnect_forever`) because it must re-subscribe after reconnecting.

Nothing here connects at import or construction time; redis-py connects on first use.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from deltastream.core.errors import ServiceUnavailableError

# Everything that means "the server is not there right now" (as opposed to a bad command).
# OSError covers the builtin TimeoutError that asyncio.wait_for raises.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)

DEFAULT_RETRIES = 8
"""Command retries: backoff 0.1, 0.2, 0.4 then 0.5 s each, about 3.2 s of waiting in total."""

_BACKOFF_BASE_S = 0.05
_BACKOFF_CAP_S = 0.5
_CONNECT_TIMEOUT_S = 2.0
_SOCKET_TIMEOUT_S = 5.0


class RedisUnavailableError(ServiceUnavailableError):
    """Redis did not answer within the bounded retry window (HTTP 503 at the edge)."""

    code = "redis_unavailable"


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def command_client(url: str, retries: int = DEFAULT_RETRIES) -> Redis:
    """A client whose commands reconnect and retry ``retries`` times with exponential backoff."""
    return Redis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=_BACKOFF_CAP_S, base=_BACKOFF_BASE_S), retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        socket_connect_timeout=_CONNECT_TIMEOUT_S,
        socket_timeout=_SOCKET_TIMEOUT_S,
        health_check_interval=30,
    )


def fail_fast_client(url: str) -> Redis:
    """A client that never retries (probes, the pub/sub reader); TCP keepalive finds dead peers."""
    return Redis.from_url(
        url,
        retry=Retry(NoBackoff(), 0),
        socket_connect_timeout=_CONNECT_TIMEOUT_S,
        socket_timeout=_SOCKET_TIMEOUT_S,
        socket_keepalive=True,
    )


async def ping(client: Redis, timeout_s: float = 2.0) -> bool:
    """True if ``client`` answers PING within ``timeout_s``; never raises.

    A connection refused or reset is tried once more at once: after a Redis restart the pooled
    connection is dead, and the first command on it fails even though Redis is back (redis-py
    drops that connection, so the second try opens a fresh one). Without it the first health
    check after a recovery would report ``down``. A timeout is not retried (the probe must stay
    quick during an outage), nor is a second refusal.
    """
    for last in (False, True):
        try:
            return bool(await asyncio.wait_for(client.ping(), timeout_s))
        except (TimeoutError, RedisTimeoutError):
            return False
        except CONNECTION_ERRORS:
            if last:
                return False
    return False


def unavailable(url: str, action: str, exc: BaseException) -> RedisUnavailableError:
    """The error raised when Redis stays down for longer than the retry window."""
    return RedisUnavailableError(
        f"Redis at {redact_url(url)} is unreachable ({action} failed: {type(exc).__name__}: {exc}); "
        "check DELTASTREAM_REDIS_URL and that Redis is running.",
        details={"action": action},
    )


def reconnect_forever(max_wait_s: float = 1.0) -> AsyncRetrying:
    """Retry on connection errors with jittered exponential backoff until cancelled.

    Used as ``async for attempt in reconnect_forever(): with attempt: ...``. Each call starts a
    fresh schedule, so every outage begins with short waits again.
    """
    return AsyncRetrying(
        retry=retry_if_exception_type(CONNECTION_ERRORS),
        wait=wait_exponential_jitter(multiplier=0.05, max=max_wait_s, jitter=0.05),
        reraise=True,
    )
