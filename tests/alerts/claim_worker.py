"""One evaluator process for ``test_split_mode``: evaluates the same events as its twin and prints,
as JSON, the event ids it won the Redis claim for. ``python -m tests.alerts.claim_worker URL PREFIX N``."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta

from deltastream.alerts.component import redis_claim
from deltastream.alerts.evaluator import Evaluator, Rule
from deltastream.core.bus import TOPIC_ENRICHED_CHAIN

T0 = datetime(2030, 1, 2, 9, 15, tzinfo=UTC)


async def main(url: str, prefix: str, count: int) -> None:
    claim = redis_claim(url, prefix, ttl_s=60)
    rule = Rule(
        id="r1",
        user_id="u1",
        product="NIFTY",
        field="pcr_oi",
        op="crosses_above",
        level=1.2,
        cooldown_seconds=0,
    )
    evaluator = Evaluator([rule])
    won: list[str] = []
    for i in range(count * 2):  # alternate below/above: every second event fires
        pcr = 1.0 if i % 2 == 0 else 1.5
        event = {
            "product": "NIFTY",
            "expiry": "2030-01-31",
            "timestamp": (T0 + timedelta(seconds=i)).isoformat(),
            "pcr_oi": pcr,
        }
        for alert in evaluator.evaluate(TOPIC_ENRICHED_CHAIN, event):
            if await claim(f"alert:{alert['rule_id']}:{alert['event_id']}"):
                won.append(alert["event_id"])
    print(json.dumps(won))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
