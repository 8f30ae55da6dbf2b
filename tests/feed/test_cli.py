"""``deltastream record`` and ``deltastream replay`` as real subprocesses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from deltastream.core import jsonx
from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING
from deltastream.storage.sqlite import SQLiteRepository


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTASTREAM_")}
    env.update(
        DELTASTREAM_ENV="test",
        DELTASTREAM_SQLITE_PATH=str(tmp_path / "cli.db"),
        DELTASTREAM_FEED_INTERVAL="0.05",
        DELTASTREAM_FEED_SEED="11",
        DELTASTREAM_FEED_PRODUCTS="NIFTY,AAPL",
        DELTASTREAM_LOG_LEVEL="WARNING",
    )
    return env


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deltastream", *args],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_record_for_a_second_then_replay_as_fast_as_possible(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    recorded = _cli(tmp_path, "record", "--seconds", "1", str(path))
    assert recorded.returncode == 0, recorded.stderr
    lines = [jsonx.loads(line) for line in path.read_bytes().splitlines()]
    topics = {line["topic"] for line in lines}
    assert topics == {TOPIC_MARKET_UNDERLYING, TOPIC_MARKET_CHAIN}
    assert {line["payload"]["product"] for line in lines} == {"NIFTY", "AAPL"}
    assert f"to {path}" in recorded.stderr

    replayed = _cli(tmp_path, "replay", str(path), "--speed", "0", "--drain", "1", "--no-progress")
    assert replayed.returncode == 0, replayed.stderr
    assert f"replayed {len(lines)} messages" in replayed.stderr
    assert "(0 rejected)" in replayed.stderr
    # embedded replay runs the local pipeline too: the session is enriched and stored
    stored_ticks, stored_chains = asyncio.run(_stored(tmp_path / "cli.db"))
    recorded_nifty = [
        x for x in lines if x["topic"] == TOPIC_MARKET_UNDERLYING and x["payload"]["product"] == "NIFTY"
    ]
    assert stored_ticks == len(recorded_nifty)
    assert stored_chains > 0


async def _stored(db: Path) -> tuple[int, int]:
    repo = SQLiteRepository(db)
    await repo.start()
    try:
        ticks = await repo.list_ticks("NIFTY", limit=10_000)
        chains = await repo.list_chains("AAPL", limit=10_000)
        return len(ticks), len(chains)
    finally:
        await repo.close()


def test_replay_of_a_missing_file_fails_with_one_line(tmp_path: Path) -> None:
    result = _cli(tmp_path, "replay", str(tmp_path / "nope.jsonl"), "--speed", "0")
    assert result.returncode == 2
    assert "replay file not found" in result.stderr and "Traceback" not in result.stderr
