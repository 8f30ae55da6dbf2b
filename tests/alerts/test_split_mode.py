"""Split mode: two evaluator processes on real Redis fire each alert exactly once."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def test_two_evaluator_processes_fire_each_alert_once(redis_url: str, redis_prefix: str) -> None:
    count = 200
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.alerts.claim_worker",
            redis_url,
            redis_prefix,
            str(count),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await asyncio.wait_for(p.communicate(), 60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    won = [json.loads(out) for out, _ in outputs]
    both = won[0] + won[1]
    assert len(both) == count  # every alert fired ...
    assert len(set(both)) == count  # ... exactly once, by one of the two processes
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{redis_prefix}alert:*"))
        assert len(keys) == count
        client.delete(*keys)
    finally:
        client.close()
