"""The running app: a rule made over REST fires once on enriched events, reaches a Socket.IO
client in the owner's room and a local webhook with a valid signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import httpx

from deltastream.app import create_app
from deltastream.core.bus import TOPIC_ENRICHED_CHAIN
from deltastream.settings import Settings
from tests.factories import enriched_chain, now
from tests.realtime.conftest import API_ONLY, ClientFactory, serve, until

from .conftest import Receiver, rule_body


async def test_pcr_crossing_reaches_socket_and_webhook(
    settings: Settings, connect: ClientFactory, receiver: Receiver
) -> None:
    async with serve(create_app(settings.model_copy(update={"rate_limit_enabled": False}), API_ONLY)) as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as http:
            reg = await http.post(
                "/api/auth/register",
                json={"email": "e2e@example.com", "password": "correct-horse-9", "name": "E"},
            )
            user_id, token = reg.json()["user_id"], reg.json()["token"]
            created = await http.post(
                "/api/alerts",
                json=rule_body(channels={"webhook": {"url": receiver.url}}),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert created.status_code == 201, created.text
            rule = created.json()
            component = srv.runtime.alert_evaluator
            assert component is not None
            await until(lambda: len(component.evaluator) == 1)

            owner = await connect(srv.url, auth={"token": token})
            stranger = await connect(srv.url)
            t0 = now().replace(microsecond=0)
            for i, pcr in enumerate([1.1, 1.15, 1.25, 1.3, 1.28]):
                chain = enriched_chain(timestamp=(t0 + timedelta(seconds=i)).isoformat(), pcr_oi=pcr)
                await srv.publish(TOPIC_ENRICHED_CHAIN, dict(chain))
            await until(lambda: component.evaluated >= 5)

            alerts = await owner.wait_for("alert")
            await receiver.wait(1)
            assert len(owner.of("alert")) == 1
            alert = alerts[0]
            assert (alert["alert_id"], alert["user_id"], alert["metric"], alert["value"]) == (
                rule["id"],
                user_id,
                "pcr_oi",
                1.25,
            )
            assert stranger.of("alert") == []
            body, headers = receiver.calls[0]
            signature = (
                "sha256=" + hmac.new(rule["webhook_secret"].encode(), body, hashlib.sha256).hexdigest()
            )
            assert headers["X-DeltaStream-Signature"] == signature
            assert json.loads(body)["id"] == alert["id"]
            history = (
                await http.get("/api/alerts/history", headers={"Authorization": f"Bearer {token}"})
            ).json()
            assert [h["id"] for h in history["history"]] == [alert["id"]]
