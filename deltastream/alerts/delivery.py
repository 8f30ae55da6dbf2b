"""Channels off the evaluation path: each channel has a bounded queue and its own worker task.

- Webhook: JSON body, ``X-DeltaStream-Signature: sha256=<hex HMAC-SHA256 of the body>`` with the
  rule's secret, retried with exponential backoff (tenacity) on errors and 5xx/429, then
  dead-lettered (``source=alerts``, ``reason=webhook_failed``) through the kernel's port.
- Apprise URLs (Telegram, Slack, e-mail, …) through ``apprise``; a failure is dead-lettered.
- A full queue drops the delivery and dead-letters it (``reason=channel_overflow``): evaluation
  never waits for a channel, and one slow channel never delays another.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from deltastream.core import jsonx
from deltastream.core.deadletters import DeadLetterSink, record_dead_letter
from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger

log = get_logger("alerts")
SIGNATURE_HEADER = "X-DeltaStream-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def mask_url(url: str) -> str:
    """Scheme and host only: tokens live in paths, queries and user info."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}/***" if parts.scheme else "***"


class _Retryable(Exception):
    """A webhook answer worth another try (a 5xx, a 429 or a network error)."""


class Deliveries:
    """Started by the alerts component; ``submit`` never blocks."""

    def __init__(
        self,
        dead_letters: DeadLetterSink,
        supervisor: Supervisor,
        *,
        queue_size: int = 1000,
        attempts: int = 3,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
    ) -> None:
        self._dead_letters = dead_letters
        self._supervisor = supervisor
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._timeout_s = timeout_s
        self._queues: dict[str, asyncio.Queue[tuple[Mapping[str, Any], Mapping[str, Any]]]] = {
            name: asyncio.Queue(maxsize=queue_size) for name in ("webhook", "apprise")
        }
        self._client: httpx.AsyncClient | None = None
        self.delivered = 0

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False)
        self._supervisor.spawn(self._work("webhook", self._webhook), name="alerts-webhook")
        self._supervisor.spawn(self._work("apprise", self._apprise), name="alerts-apprise")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def submit(self, alert: Mapping[str, Any], channels: Mapping[str, Any]) -> list[str]:
        """Queue the alert on each channel of the rule; returns the channel names queued."""
        queued: list[str] = []
        if channels.get("webhook"):
            queued += await self._put("webhook", alert, channels)
        if channels.get("apprise"):
            queued += await self._put("apprise", alert, channels)
        return queued

    async def _put(self, name: str, alert: Mapping[str, Any], channels: Mapping[str, Any]) -> list[str]:
        try:
            self._queues[name].put_nowait((alert, channels))
        except asyncio.QueueFull:
            await self._dead(name, "channel_overflow", f"{name} queue full", alert, 0)
            return []
        return [name]

    async def _work(self, name: str, send: Any) -> None:
        queue = self._queues[name]
        while True:
            alert, channels = await queue.get()
            try:
                await send(alert, channels)
                self.delivered += 1
            except Exception as exc:
                log.error("alert_delivery_crashed", channel=name, error=repr(exc))
            finally:
                queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued delivery has finished (tests, shutdown)."""
        for queue in self._queues.values():
            await queue.join()

    async def _webhook(self, alert: Mapping[str, Any], channels: Mapping[str, Any]) -> None:
        hook = channels["webhook"]
        body = jsonx.dumps(dict(alert))
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(str(hook["secret"]), body)}
        client = self._client
        if client is None:
            raise RuntimeError("deliveries not started")
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential(multiplier=self._backoff_s, max=30),
                retry=retry_if_exception_type((_Retryable, httpx.HTTPError)),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    response = await client.post(str(hook["url"]), content=body, headers=headers)
                    if response.status_code >= 500 or response.status_code == 429:
                        raise _Retryable(f"HTTP {response.status_code}")
                    if response.status_code >= 400:
                        raise ValueError(f"HTTP {response.status_code}")
        except Exception as exc:
            await self._dead("webhook", "webhook_failed", str(exc) or repr(exc), alert, attempts, hook["url"])

    async def _apprise(self, alert: Mapping[str, Any], channels: Mapping[str, Any]) -> None:
        import apprise

        notifier = apprise.Apprise()
        for url in channels["apprise"]:
            notifier.add(url)
        title = f"DeltaStream alert: {alert.get('product')} {alert.get('metric')} {alert.get('operator')}"
        body = f"{alert.get('name') or alert.get('rule_id')}: {alert.get('metric')} = {alert.get('value')} (level {alert.get('level')})"
        ok = await notifier.async_notify(body=body, title=title)
        if not ok:
            await self._dead("apprise", "apprise_failed", "apprise reported a failure", alert, 1)

    async def _dead(
        self,
        channel: str,
        reason: str,
        error: str,
        alert: Mapping[str, Any],
        attempts: int,
        url: str | None = None,
    ) -> None:
        payload = {"channel": channel, "alert": dict(alert), "url": mask_url(url) if url else None}
        await record_dead_letter(
            self._dead_letters,
            source="alerts",
            reason=reason,
            error=error,
            payload=payload,
            attempts=attempts,
        )
