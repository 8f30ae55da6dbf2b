"""The alerts component (api role): evaluates every enriched underlying and chain event.

It loads every enabled rule at start, follows rule changes on ``alerts:rules``, and for each
alert the pure :class:`Evaluator` fires: claims it (split mode: Redis ``SET NX`` with a TTL on
``alert:{rule}:{event}``, so exactly one replica fires it), stores it in the history, publishes it
on ``alerts:fired`` (realtime pushes it to ``user:{id}``) and hands it to the channels, which run
off this path on bounded queues.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from deltastream.alerts.delivery import Deliveries
from deltastream.alerts.evaluator import Evaluator, Rule
from deltastream.alerts.repository import AlertStore
from deltastream.alerts.service import TOPIC_RULES, record_and_publish
from deltastream.core.bus import (
    TOPIC_ENRICHED_CHAIN,
    TOPIC_ENRICHED_UNDERLYING,
    EventBus,
    Message,
    Subscription,
)
from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger

log = get_logger("alerts")

Claim = Callable[[str], Awaitable[bool]]


def redis_claim(url: str, prefix: str = "", ttl_s: int = 86400) -> Claim:
    """``SET alert:{rule}:{event} NX EX ttl``: True for the one caller that set it."""
    from deltastream.core.redis import command_client

    client = command_client(url)

    async def claim(key: str) -> bool:
        return bool(await client.set(f"{prefix}{key}", b"1", nx=True, ex=ttl_s))

    return claim


class AlertsComponent:
    name = "alerts"

    def __init__(
        self,
        store: AlertStore,
        bus: EventBus,
        supervisor: Supervisor,
        deliveries: Deliveries,
        *,
        claim: Claim | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self._supervisor = supervisor
        self.deliveries = deliveries
        self._claim = claim
        self.evaluator = Evaluator()
        self._channels: dict[str, dict[str, Any]] = {}
        self._subscription: Subscription | None = None
        self.evaluated = 0
        self.fired = 0

    async def start(self) -> None:
        await self.deliveries.start()
        self._subscription = await self._bus.subscribe(
            TOPIC_ENRICHED_UNDERLYING, TOPIC_ENRICHED_CHAIN, TOPIC_RULES
        )
        for record in await self._store.list_alert_rules():
            self._load(record)
        self._supervisor.spawn(self._pump(self._subscription), name="alerts-evaluator")

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None
        await self.deliveries.close()

    def _load(self, record: dict[str, Any] | None, rule_id: str | None = None) -> None:
        if record is None or not record.get("enabled", True):
            if rule_id is not None:
                self.evaluator.remove(rule_id)
                self._channels.pop(rule_id, None)
            return
        try:
            rule = Rule.from_record(record)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("alert_rule_unreadable", rule_id=record.get("id"), error=repr(exc))
            return
        self.evaluator.add(rule)
        self._channels[rule.id] = dict(record.get("channels") or {})

    async def _pump(self, subscription: Subscription) -> None:
        async for message in subscription:
            try:
                await self.handle(message)
            except Exception as exc:
                log.error("alert_evaluation_error", topic=message.topic, error=repr(exc))
            await asyncio.sleep(0)

    async def handle(self, message: Message) -> list[dict[str, Any]]:
        """Evaluate one bus message; returns the alerts this process fired."""
        if message.topic == TOPIC_RULES:
            rule_id = str(message.payload.get("rule_id"))
            self._load(await self._store.get_alert_rule(rule_id), rule_id)
            return []
        self.evaluated += 1
        out = []
        for alert in self.evaluator.evaluate(message.topic, message.payload):
            if self._claim is not None and not await self._claim(
                f"alert:{alert['rule_id']}:{alert['event_id']}"
            ):
                continue
            stored = await record_and_publish(self._store, self._bus.publish, alert)
            self.fired += 1
            await self.deliveries.submit(stored, self._channels.get(alert["rule_id"], {}))
            out.append(stored)
        return out
