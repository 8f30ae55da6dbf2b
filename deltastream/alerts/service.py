"""Alert rules per user (CRUD, history, test fire) and the shape a rule has on the wire.

A rule change is announced on the bus (``alerts:rules``) so every evaluator reloads it, in this
process or in any replica. A webhook gets a random per-rule secret at creation: it is returned
once, in the create response, and never echoed again; channel URLs are always masked.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from deltastream.alerts.delivery import Deliveries, mask_url
from deltastream.alerts.repository import AlertStore
from deltastream.alerts.schemas import AlertRuleIn, AlertRulePatch, ChannelsIn
from deltastream.core.bus import TOPIC_ALERTS
from deltastream.core.clock import utcnow
from deltastream.core.errors import NotFoundError
from deltastream.core.jsonx import isoformat_z
from deltastream.feed.dependencies import product_name
from deltastream.storage import Record

TOPIC_RULES = "alerts:rules"
Publish = Callable[[str, Mapping[str, Any]], Awaitable[None]]


def _channels(
    channels: ChannelsIn, old: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], str | None]:
    stored: dict[str, Any] = {}
    new_secret = None
    if channels.webhook is not None:
        url = str(channels.webhook.url)
        previous = (old or {}).get("webhook") or {}
        secret = previous.get("secret")
        if not secret:
            secret = new_secret = secrets.token_urlsafe(32)
        stored["webhook"] = {"url": url, "secret": secret}
    if channels.apprise:
        stored["apprise"] = list(channels.apprise)
    return stored, new_secret


def public_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    channels = rule.get("channels") or {}
    shown: dict[str, Any] = {}
    if channels.get("webhook"):
        shown["webhook"] = {"url": mask_url(channels["webhook"]["url"])}
    if channels.get("apprise"):
        shown["apprise"] = [mask_url(url) for url in channels["apprise"]]
    return {
        "id": rule["id"],
        "name": rule.get("name") or "",
        "product": rule["product"],
        "expiry": rule.get("expiry"),
        "condition": rule["condition"],
        "cooldown_seconds": rule.get("cooldown_seconds", 300),
        "enabled": bool(rule.get("enabled", True)),
        "expires_at": rule.get("expires_at"),
        "created_at": rule["created_at"],
        "channels": shown,
    }


class Alerts:
    def __init__(self, store: AlertStore, publish: Publish, deliveries: Deliveries | None = None) -> None:
        self._store = store
        self._publish = publish
        self.deliveries = deliveries

    async def _owned(self, user_id: str, rule_id: str) -> Record:
        rule = await self._store.get_alert_rule(rule_id)
        if rule is None or str(rule.get("user_id")) != user_id:
            raise NotFoundError(f"No alert {rule_id!r}", code="alert_not_found")  # never say whose it is
        return rule

    async def create(self, user_id: str, body: AlertRuleIn) -> dict[str, Any]:
        product = await product_name(body.product)  # an unknown product is the feed's 404
        channels, secret = _channels(body.channels)
        record = body.model_dump(mode="json", exclude={"channels"})
        record["product"] = product
        record.update(user_id=user_id, channels=channels, created_at=utcnow(), expires_at=body.expires_at)
        rule_id = await self._store.create_alert_rule(record)
        await self._publish(TOPIC_RULES, {"rule_id": rule_id})
        out = public_rule({**record, "id": rule_id})
        out["webhook_secret"] = secret
        return out

    async def list(self, user_id: str) -> list[dict[str, Any]]:
        return [public_rule(rule) for rule in await self._store.list_alert_rules(user_id)]

    async def get(self, user_id: str, rule_id: str) -> dict[str, Any]:
        return public_rule(await self._owned(user_id, rule_id))

    async def update(self, user_id: str, rule_id: str, patch: AlertRulePatch) -> dict[str, Any]:
        rule = await self._owned(user_id, rule_id)
        changes = patch.model_dump(mode="json", exclude_unset=True, exclude={"channels", "expires_at"})
        rule.update(changes)
        if "expires_at" in patch.model_fields_set:
            rule["expires_at"] = patch.expires_at
        secret = None
        if patch.channels is not None:
            rule["channels"], secret = _channels(patch.channels, rule.get("channels"))
        await self._store.replace_alert_rule(rule_id, rule)
        await self._publish(TOPIC_RULES, {"rule_id": rule_id})
        out = public_rule(rule)
        out["webhook_secret"] = secret
        return out

    async def delete(self, user_id: str, rule_id: str) -> None:
        await self._owned(user_id, rule_id)
        await self._store.delete_alert_rule(rule_id)
        await self._publish(TOPIC_RULES, {"rule_id": rule_id})

    async def history(self, user_id: str, cursor: str | None, limit: int) -> dict[str, Any]:
        items = await self._store.list_alert_events(user_id, before=cursor, limit=limit)
        history = [_event(item) for item in items]
        next_cursor = history[-1]["id"] if len(history) == limit else None
        return {"count": len(history), "history": history, "next_cursor": next_cursor}

    async def test(self, user_id: str, rule_id: str) -> dict[str, Any]:
        """Fire once to every channel of the rule (and the socket), marked ``test: true``."""
        rule = await self._owned(user_id, rule_id)
        cond = rule["condition"]
        now = utcnow()
        alert = {
            "alert_id": rule_id,
            "rule_id": rule_id,
            "user_id": user_id,
            "name": rule.get("name") or "",
            "product": rule["product"],
            "expiry": rule.get("expiry"),
            "metric": cond["field"],
            "operator": cond["op"],
            "level": cond["level"],
            "value": cond["level"],
            "event_id": f"test:{rule_id}:{isoformat_z(now)}",
            "fired_at": isoformat_z(now),
            "test": True,
        }
        alert = await record_and_publish(self._store, self._publish, alert)
        channels = ["socket"]
        if self.deliveries is not None:
            channels += await self.deliveries.submit(alert, rule.get("channels") or {})
        return {"alert": alert, "channels": channels}


async def record_and_publish(store: AlertStore, publish: Publish, alert: dict[str, Any]) -> dict[str, Any]:
    """Store a fired alert in the history and publish it on ``alerts:fired``; returns it with ``id``."""
    history_id = await store.add_alert_event({**alert, "timestamp": utcnow()})
    alert = {**alert, "id": history_id}
    await publish(TOPIC_ALERTS, alert)
    return alert


def _event(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k != "timestamp"}
    out.setdefault("test", False)
    return out
