"""The component with its channels: webhook signature, retries then dead letter, evaluation unaffected."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from deltastream.alerts.component import AlertsComponent
from deltastream.alerts.delivery import SIGNATURE_HEADER, Deliveries
from deltastream.core.bus import TOPIC_ALERTS, TOPIC_ENRICHED_CHAIN, InProcessBus, Message
from deltastream.core.lifecycle import Supervisor
from deltastream.storage.sqlite import SQLiteRepository
from tests.factories import enriched_chain, now

from .conftest import Receiver

T0 = now().replace(microsecond=0)


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[SQLiteRepository]:
    repo = SQLiteRepository(tmp_path / "alerts.db")
    await repo.start()
    try:
        yield repo
    finally:
        await repo.close()


async def make_component(
    store: SQLiteRepository, attempts: int = 3
) -> tuple[AlertsComponent, InProcessBus, Supervisor]:
    bus, supervisor = InProcessBus(), Supervisor()
    await bus.start()
    deliveries = Deliveries(store, supervisor, attempts=attempts, backoff_s=0.01, timeout_s=5)
    component = AlertsComponent(store, bus, supervisor, deliveries)
    await component.start()
    return component, bus, supervisor


def chain(seconds: float, pcr: float) -> Message:
    payload = dict(enriched_chain(timestamp=(T0 + timedelta(seconds=seconds)).isoformat(), pcr_oi=pcr))
    return Message(topic=TOPIC_ENRICHED_CHAIN, payload=payload)


async def add_rule(store: SQLiteRepository, url: str, secret: str = "s3cret", **cond: object) -> str:
    condition = {"field": "pcr_oi", "op": "crosses_above", "level": 1.2, **cond}
    return await store.create_alert_rule(
        {
            "user_id": "7",
            "product": "NIFTY",
            "condition": condition,
            "cooldown_seconds": 0,
            "enabled": True,
            "channels": {"webhook": {"url": url, "secret": secret}},
        }
    )


async def test_webhook_gets_a_valid_signature_and_history_is_stored(
    store: SQLiteRepository, receiver: Receiver
) -> None:
    rid = await add_rule(store, receiver.url)
    component, bus, supervisor = await make_component(store)
    fired_on_bus = await bus.subscribe(TOPIC_ALERTS)
    try:
        fired = []
        for i, pcr in enumerate([1.0, 1.3, 1.35]):
            fired += await component.handle(chain(i, pcr))
        assert [a["rule_id"] for a in fired] == [rid]
        await receiver.wait(1)
        body, headers = receiver.calls[0]
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers[SIGNATURE_HEADER] == expected
        sent = json.loads(body)
        assert (sent["rule_id"], sent["metric"], sent["value"], sent["user_id"]) == (rid, "pcr_oi", 1.3, "7")
        history = await store.list_alert_events("7")
        assert [h["id"] for h in history] == [fired[0]["id"]]
        message = await fired_on_bus.get(timeout=5)
        assert message is not None and message.payload["id"] == fired[0]["id"]
    finally:
        await fired_on_bus.close()
        await component.stop()
        await supervisor.close()
        await bus.close()


async def test_webhook_500_three_times_is_retried_then_dead_lettered(
    store: SQLiteRepository, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500, 500]
    await add_rule(store, receiver.url, op=">", level=1.2)
    component, bus, supervisor = await make_component(store, attempts=3)
    try:
        first = await component.handle(chain(0, 1.5))
        assert len(first) == 1
        # Evaluation goes on while the webhook is being retried: the next events are evaluated
        # and fire (cooldown 0, re-armed by the dip) before the first delivery has given up.
        assert await component.handle(chain(1, 1.0)) == []
        second = await component.handle(chain(2, 1.5))
        assert len(second) == 1 and component.evaluated == 3
        await receiver.wait(4)  # three tries of the first alert, then the second alert
        await component.deliveries.drain()
        letters = await store.list_dead_letters(source="alerts")
        assert len(letters) == 1
        letter = letters[0]
        assert letter["reason"] == "webhook_failed" and letter["attempts"] == 3
        assert letter["payload"]["alert"]["id"] == first[0]["id"]
        assert "127.0.0.1" in letter["payload"]["url"] and "/hook" not in letter["payload"]["url"]
        assert len(receiver.calls) == 4
    finally:
        await component.stop()
        await supervisor.close()
        await bus.close()


async def test_rule_changes_reach_the_running_evaluator(store: SQLiteRepository, receiver: Receiver) -> None:
    component, bus, supervisor = await make_component(store)
    try:
        assert len(component.evaluator) == 0
        rid = await add_rule(store, receiver.url, op=">")
        await component.handle(Message(topic="alerts:rules", payload={"rule_id": rid}))
        assert len(component.evaluator) == 1
        await store.delete_alert_rule(rid)
        await component.handle(Message(topic="alerts:rules", payload={"rule_id": rid}))
        assert len(component.evaluator) == 0
        assert await component.handle(chain(0, 1.5)) == []
    finally:
        await component.stop()
        await supervisor.close()
        await bus.close()
