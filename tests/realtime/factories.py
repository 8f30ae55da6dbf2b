"""Realtime's own test payloads (alerts) and how a subscriber sees a published payload.

The enriched payloads (ticks, chains, candles, surfaces) come from ``tests.factories``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deltastream.core import jsonx
from deltastream.core.bus import SCHEMA_VERSION

EXPIRY = "2030-01-31"
TS = "2030-01-02T09:15:00Z"


def delivered(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` as a Socket.IO client receives it: JSON once (datetimes as ISO ``Z`` strings),
    with the schema version the bus adds when the publisher did not set one."""
    decoded: dict[str, Any] = jsonx.loads(jsonx.dumps(payload))
    return {**decoded, "schema": decoded.get("schema", SCHEMA_VERSION)}


def make_alert(user_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "alert_id": "a1",
        "product": "NIFTY",
        "metric": "pcr_oi",
        "value": 1.3,
        "fired_at": TS,
    }
    if user_id is not None:
        body["user_id"] = user_id
    return {**body, **overrides}
