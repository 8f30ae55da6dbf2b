"""Rejects and failures become dead letters; they can be listed and replayed (service and CLI)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from deltastream.cli import open_dead_letters
from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING
from deltastream.core.errors import ConflictError, NotFoundError
from deltastream.core.jsonx import loads
from deltastream.deadletters.cli import register as register_dead_letters
from deltastream.enrichment import service, tasks
from deltastream.feed import Rejected, validate_message
from deltastream.settings import Settings
from deltastream.wiring import Runtime
from tests.enrichment.factories import make_chain, make_tick
from tests.fixtures.runtimes import make_runtime, wait_until


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "RETRY_BASE_S", 0.01)


async def _dead_letters(runtime: Runtime, **filters: Any) -> list[dict[str, Any]]:
    return await runtime.dead_letters.list_dead_letters(**filters)


async def test_invalid_messages_are_dead_lettered_and_the_dispatcher_keeps_going(runtime: Runtime) -> None:
    crossed = make_chain(n_strikes=5)
    crossed["calls"][2] = {**crossed["calls"][2], "bid": 50.0, "ask": 10.0}
    bad = [
        (TOPIC_MARKET_UNDERLYING, make_tick(price=-5)),
        (TOPIC_MARKET_UNDERLYING, {"product": "NIFTY"}),
        (TOPIC_MARKET_UNDERLYING, make_tick(product="NIFTY", price="abc")),
        (TOPIC_MARKET_CHAIN, crossed),
    ]
    for topic, payload in bad:
        await runtime.bus.publish(topic, payload)
    await runtime.bus.publish(TOPIC_MARKET_UNDERLYING, make_tick(price=21501.0))

    async def good_tick_stored() -> bool:
        return len(await runtime.repo.list_ticks("NIFTY")) == 1

    await wait_until(good_tick_stored)
    rejected = await _dead_letters(runtime)
    assert len(rejected) == 4
    # One validation path: the dispatcher gives each message the reason the feed's edge gives it.
    assert sorted(d["reason"] for d in rejected) == sorted(_edge_reason(t, p) for t, p in bad)
    assert {d["reason"] for d in rejected} == {
        "invalid_price",
        "missing_field",
        "validation",
        "crossed_quote",
    }
    assert all(d["source"] == "enrichment" and d["topic"] and d["task"] is None for d in rejected)
    assert any("crossed quote" in d["error"] for d in rejected)
    assert any("price" in d["error"] for d in rejected)


async def test_unknown_product_is_dead_lettered_with_its_own_reason(runtime: Runtime) -> None:
    await runtime.bus.publish(TOPIC_MARKET_UNDERLYING, make_tick(product="NIFTY") | {"product": "DOGE"})
    await wait_until(lambda: _has_dead_letters(runtime, 1))
    (record,) = await _dead_letters(runtime)
    assert record["reason"] == "unknown_product" and "DOGE" in record["error"]


def _edge_reason(topic: str, payload: dict[str, Any]) -> str:
    with pytest.raises(Rejected) as caught:
        validate_message(payload, topic)
    return caught.value.reason


async def _has_dead_letters(runtime: Runtime, count: int) -> bool:
    return len(await _dead_letters(runtime, limit=1000)) >= count


async def test_a_failing_task_is_retried_then_dead_lettered_then_replayed(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = any_runtime
    calls: list[str] = []
    real = service.process_tick

    async def broken(pipeline: Any, tick: dict[str, Any]) -> bool:
        calls.append(tick["timestamp"])
        raise RuntimeError("storage on fire")

    monkeypatch.setattr(service, "process_tick", broken)
    tick = make_tick(price=21555.0)
    await runtime.bus.publish(TOPIC_MARKET_UNDERLYING, tick)
    await wait_until(lambda: _has_dead_letters(runtime, 1))
    (record,) = await _dead_letters(runtime)
    assert len(calls) == runtime.settings.task_retries == record["attempts"]
    assert record["reason"] == "task_failed" and record["task"] == "process_tick"
    assert "storage on fire" in record["error"]
    assert record["payload"]["tick"]["price"] == 21555.0

    monkeypatch.setattr(service, "process_tick", real)
    outcome = await runtime.dead_letters.replay(record["id"])
    assert outcome["action"] == "task" and outcome["accepted"] is True

    async def stored() -> bool:
        return [t["price"] for t in await runtime.repo.list_ticks("NIFTY")] == [21555.0]

    await wait_until(stored)
    assert await _dead_letters(runtime) == []
    assert len(await _dead_letters(runtime, include_replayed=True)) == 1
    with pytest.raises(ConflictError):
        await runtime.dead_letters.replay(record["id"])
    with pytest.raises(NotFoundError):
        await runtime.dead_letters.replay("999999")


async def test_replaying_a_rejected_message_revalidates_it(runtime: Runtime) -> None:
    await runtime.bus.publish(TOPIC_MARKET_UNDERLYING, make_tick(price=0))
    await wait_until(lambda: _has_dead_letters(runtime, 1))
    (record,) = await _dead_letters(runtime)
    outcome = await runtime.dead_letters.replay(record["id"])
    assert outcome["action"] == "dispatch" and outcome["accepted"] is False
    assert len(outcome["new_dead_letter_ids"]) == 1
    pending = await _dead_letters(runtime)
    assert [d["id"] for d in pending] == outcome["new_dead_letter_ids"]


async def test_cli_lists_and_replays_dead_letters(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELTASTREAM_SQLITE_PATH", str(settings.sqlite_path))
    monkeypatch.delenv("DELTASTREAM_REDIS_URL", raising=False)
    runtime = make_runtime(settings)
    await runtime.start()
    try:
        real = service.process_tick

        async def broken(pipeline: Any, tick: dict[str, Any]) -> bool:
            raise RuntimeError("boom")

        monkeypatch.setattr(service, "process_tick", broken)
        await runtime.bus.publish(TOPIC_MARKET_UNDERLYING, make_tick(price=21600.0))
        await wait_until(lambda: _has_dead_letters(runtime, 1))
        monkeypatch.setattr(service, "process_tick", real)
    finally:
        await runtime.stop()

    env = {
        **os.environ,
        "DELTASTREAM_SQLITE_PATH": str(settings.sqlite_path),
        "DELTASTREAM_LOG_LEVEL": "WARNING",
    }
    env.pop("DELTASTREAM_REDIS_URL", None)
    listed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "deltastream", "dead-letters", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    (record,) = loads(listed.stdout.strip().splitlines()[-1])
    assert record["task"] == "process_tick"

    replayed = await _invoke_in_thread(["dead-letters", "replay", record["id"]])
    assert replayed.exit_code == 0, replayed.output
    assert loads(replayed.output.strip().splitlines()[-1])["action"] == "task"

    check = make_runtime(settings, worker=False, dispatcher=False)
    await check.start()
    try:
        assert [t["price"] for t in await check.repo.list_ticks("NIFTY")] == [21600.0]
    finally:
        await check.stop()
    again = await _invoke_in_thread(["dead-letters", "replay", "--all"])
    assert again.exit_code == 0 and again.output.strip() == ""
    neither = await _invoke_in_thread(["dead-letters", "replay"])
    assert neither.exit_code == 2


async def _invoke_in_thread(args: list[str]) -> Any:
    """Run the enrichment CLI verbs; they call ``asyncio.run``, so off this test's event loop."""
    app = typer.Typer()
    register_dead_letters(app, open_dead_letters)
    return await asyncio.to_thread(CliRunner().invoke, app, args)
