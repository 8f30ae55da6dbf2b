"""Record a session, replay it, and get exactly the same messages back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deltastream.core import jsonx
from deltastream.core.bus import (
    TOPIC_MARKET_CHAIN,
    TOPIC_MARKET_UNDERLYING,
    InProcessBus,
    Subscription,
    create_bus,
)
from deltastream.core.errors import DeltaStreamError
from deltastream.feed.cli import record_session
from deltastream.feed.recording import CSV_COLUMNS, read_records
from deltastream.feed.replay import ReplaySource, parse_speed
from deltastream.feed.service import pump
from deltastream.settings import Settings

from .factories import make_tick


async def _drain(sub: Subscription) -> list[tuple[str, dict[str, Any], bytes]]:
    out = []
    while sub.qsize():
        message = await sub.get(timeout=1.0)
        out.append((message.topic, message.payload, message.raw()))
    return out


@pytest.mark.parametrize("name", ["session.jsonl", "session.csv", "session.csv.gz"])
async def test_record_then_replay_reproduces_every_message_exactly(
    settings: Settings, tmp_path: Path, name: str
) -> None:
    settings = settings.model_copy(update={"feed_products": ["NIFTY", "AAPL", "SPY"]})
    path = tmp_path / name
    recording_bus = InProcessBus()
    published_sub = await recording_bus.subscribe("market:*")
    counts = await record_session(settings, path, 0.6, bus=recording_bus)
    published = await _drain(published_sub)
    assert counts["ticks"] >= 3 and counts["chains"] >= 1
    assert len(published) == counts["ticks"] + counts["chains"]
    assert {t for t, _, _ in published} == {TOPIC_MARKET_UNDERLYING, TOPIC_MARKET_CHAIN}

    replay_bus = InProcessBus()
    replayed_sub = await replay_bus.subscribe("market:*")
    source = ReplaySource(path, speed=0)
    assert await pump(source, replay_bus) == len(published)
    replayed = await _drain(replayed_sub)

    assert source.rejected == 0
    assert [(t, p) for t, p, _ in replayed] == [(t, p) for t, p, _ in published]
    assert [jsonx.loads(raw) for _, _, raw in replayed] == [jsonx.loads(raw) for _, _, raw in published]
    assert [raw for _, _, raw in replayed] == [raw for _, _, raw in published]


async def test_the_jsonl_file_holds_topic_and_payload_per_line(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"feed_products": ["TSLA"]})
    path = tmp_path / "s.jsonl"
    await record_session(settings, path, 0.3, bus=InProcessBus())
    lines = [jsonx.loads(line) for line in path.read_bytes().splitlines()]
    assert lines and all(set(line) == {"topic", "payload"} for line in lines)
    assert lines[0]["topic"] == TOPIC_MARKET_UNDERLYING and lines[0]["payload"]["product"] == "TSLA"
    assert len(list(read_records(path))) == len(lines)


async def test_csv_has_one_row_per_tick_and_per_quote(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"feed_products": ["SPY"], "feed_expiries": 2, "feed_strikes": 5})
    path = tmp_path / "s.csv"
    counts = await record_session(settings, path, 0.3, bus=InProcessBus())
    rows = path.read_text().splitlines()
    assert rows[0].split(",") == list(CSV_COLUMNS)
    kinds = [row.split(",", 1)[0] for row in rows[1:]]
    assert kinds.count("UNDERLYING") == counts["ticks"]
    assert kinds.count("QUOTE") == counts["chains"] * 5 * 2


async def test_a_hand_written_csv_replays(tmp_path: Path) -> None:
    path = tmp_path / "hand.csv"
    path.write_text(
        "timestamp,record_type,product,price,spot_price,expiry,option_type,strike,bid,ask,last,volume,"
        "open_interest,symbol\n"
        "2025-01-20T04:00:00Z,UNDERLYING,AAPL,185.2,,,,,,,,10,,\n"
        "2025-01-20T04:00:00Z,QUOTE,AAPL,,185.2,2025-01-24,PUT,185,2.1,2.2,2.15,5,100,AAPL20250124P185\n"
        "2025-01-20T04:00:00Z,QUOTE,AAPL,,185.2,2025-01-24,CALL,185,2.3,2.4,2.35,7,90,AAPL20250124C185\n"
        "2025-01-20T04:00:00Z,QUOTE,AAPL,,185.2,2025-01-24,CALL,180,6.0,6.2,6.1,3,40,AAPL20250124C180\n"
        "2025-01-20T04:00:00Z,QUOTE,AAPL,,185.2,2025-01-24,PUT,180,0.8,0.9,0.85,4,60,AAPL20250124P180\n"
        "2025-01-20T04:00:01Z,TRADE,AAPL,,,,,,,,,,,\n"
    )
    source = ReplaySource(path, speed=0)
    events = [e async for e in source.stream()]
    assert source.rejected == 1  # the unknown record_type row
    tick, chain = events
    assert tick.price == 185.2 and tick.volume == 10
    assert chain.strikes == [180.0, 185.0]
    assert [q.option_type for q in chain.calls] == ["CALL", "CALL"]
    assert chain.puts[1].open_interest == 100 and chain.calls[0].last == 6.1


async def test_replay_honours_recorded_timing_divided_by_speed(settings: Settings, tmp_path: Path) -> None:
    base = make_tick(settings, timestamp="2025-01-20T04:00:00Z")
    path = tmp_path / "timed.jsonl"
    stamps = ["2025-01-20T04:00:00Z", "2025-01-20T04:00:01Z", "2025-01-20T04:00:03Z"]
    path.write_bytes(b"".join(jsonx.dumps({**base, "timestamp": ts}) + b"\n" for ts in stamps))
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    source = ReplaySource(path, speed="2x", sleep=fake_sleep)
    events = [e async for e in source.stream()]
    assert len(events) == 3
    assert waits == pytest.approx([0.0, 0.5, 1.5], abs=0.05)


def test_speed_parsing() -> None:
    assert parse_speed("10x") == 10.0 and parse_speed(0) == 0.0 and parse_speed("2.5") == 2.5
    for bad in ("fast", "-1", "nan"):
        with pytest.raises(DeltaStreamError):
            parse_speed(bad)


def test_a_missing_replay_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DeltaStreamError, match="not found"):
        ReplaySource(tmp_path / "nope.jsonl")


async def test_replay_onto_redis_reaches_a_subscriber_unchanged(
    settings: Settings, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    settings = settings.model_copy(
        update={"feed_products": ["BANKNIFTY"], "redis_url": redis_url, "redis_prefix": redis_prefix}
    )
    path = tmp_path / "s.jsonl"
    await record_session(settings, path, 0.3, bus=InProcessBus())
    recorded = [(r.topic, r.payload) for r in read_records(path)]

    bus = create_bus(settings)
    await bus.start()
    try:
        sub = await bus.subscribe("market:*")
        assert await pump(ReplaySource(path, speed=0), bus) == len(recorded)
        received = [await sub.get(timeout=10) for _ in recorded]
    finally:
        await bus.close()
    assert [(m.topic, m.payload) for m in received] == recorded
