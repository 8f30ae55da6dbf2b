"""Garbage at the edge becomes dead letters with a reason; valid messages keep flowing."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest

from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING
from deltastream.core.jsonx import dumps
from deltastream.feed.replay import ReplaySource
from deltastream.feed.validation import DeadLetterRejects, Rejected, validate_message
from deltastream.feed.vendor import Translated, VendorAdapter
from deltastream.settings import Settings
from deltastream.storage import create_repository
from deltastream.wiring import Backend

from .factories import make_chain, make_tick


@pytest.fixture
async def repo(settings: Settings) -> AsyncIterator[Backend]:
    repository = create_repository(settings)
    await repository.start()
    yield repository
    await repository.close()


class PassThrough(VendorAdapter):
    """A fake vendor whose wire format already is DeltaStream's: tests the base's edge."""

    name = "fake"

    def __init__(self, items: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.items = items

    async def messages(self) -> AsyncIterator[Any]:
        for item in self.items:
            yield item

    def translate(self, message: Any) -> Iterable[Translated]:
        yield None, message


def _garbage(settings: Settings) -> list[tuple[Any, str]]:
    tick = make_tick(settings)
    chain = make_chain(settings)
    crossed = copy.deepcopy(chain)
    crossed["calls"][3]["bid"] = crossed["calls"][3]["ask"] + 5
    negative_bid = copy.deepcopy(chain)
    negative_bid["puts"][0]["bid"] = -1.0
    nan_ask = copy.deepcopy(chain)
    nan_ask["calls"][0]["ask"] = float("nan")
    no_calls = {k: v for k, v in chain.items() if k != "calls"}
    short = copy.deepcopy(chain)
    short["puts"] = short["puts"][:-1]
    no_price = {k: v for k, v in tick.items() if k != "price"}
    return [
        ("just a string", "not_an_object"),
        (42, "not_an_object"),
        ([tick], "not_an_object"),
        ({}, "unknown_type"),
        ({**tick, "price": float("nan")}, "invalid_price"),
        ({**tick, "price": float("inf")}, "invalid_price"),
        ({**tick, "price": -21500.0}, "invalid_price"),
        ({**tick, "price": 0}, "invalid_price"),
        ({**tick, "price": 1e300}, "invalid_price"),
        ({**tick, "price": "twenty"}, "validation"),
        ({**tick, "volume": 10**30}, "validation"),
        ({**tick, "timestamp": "yesterday"}, "validation"),
        ({**tick, "product": 123}, "validation"),
        ({**tick, "product": "DOGE"}, "unknown_product"),
        (no_price, "missing_field"),
        (crossed, "crossed_quote"),
        (negative_bid, "invalid_price"),
        (nan_ask, "invalid_price"),
        (no_calls, "missing_field"),
        (short, "validation"),
        ({**chain, "product": "DOGE"}, "unknown_product"),
    ]


@pytest.mark.parametrize("index", range(21))
def test_each_kind_of_garbage_gets_its_reason(settings: Settings, index: int) -> None:
    payload, reason = _garbage(settings)[index]
    with pytest.raises(Rejected) as info:
        validate_message(payload)
    assert info.value.reason == reason, info.value.error
    assert info.value.error
    assert info.value.payload is payload


async def test_mixed_garbage_is_dead_lettered_and_the_feed_keeps_running(
    settings: Settings, repo: Backend
) -> None:
    tick, chain = make_tick(settings), make_chain(settings)
    garbage = _garbage(settings)
    stream = [tick, *[g for g, _ in garbage[:10]], chain, *[g for g, _ in garbage[10:]], tick]
    rejects = DeadLetterRejects(repo)
    source = PassThrough(stream, on_reject=rejects)

    events = [event async for event in source.stream()]

    assert [e.type for e in events] == ["UNDERLYING", "OPTION_CHAIN", "UNDERLYING"]
    assert (source.accepted, source.rejected, rejects.count) == (3, len(garbage), len(garbage))
    letters = await repo.list_dead_letters(limit=100)
    assert len(letters) == len(garbage)
    assert sorted(d["reason"] for d in letters) == sorted(r for _, r in garbage)
    assert {d["source"] for d in letters} == {"feed"}
    by_reason = {d["reason"]: d for d in letters}
    assert by_reason["unknown_product"]["topic"] in (TOPIC_MARKET_UNDERLYING, TOPIC_MARKET_CHAIN)
    assert by_reason["crossed_quote"]["topic"] == TOPIC_MARKET_CHAIN
    assert "crossed quote" in by_reason["crossed_quote"]["error"]
    not_objects = [d["payload"] for d in letters if d["reason"] == "not_an_object"]
    assert "just a string" in not_objects and 42 in not_objects
    huge = next(d for d in letters if d["reason"] == "validation" and "volume" in d["error"])
    assert huge["payload"]["volume"] == str(10**30)  # stored, not crashed on


async def test_replayed_garbage_lines_are_dead_lettered(
    settings: Settings, repo: Backend, tmp_path: Path
) -> None:
    tick = make_tick(settings)
    path = tmp_path / "mixed.jsonl"
    lines = [
        dumps({"topic": TOPIC_MARKET_UNDERLYING, "payload": tick}).decode(),
        "{not json",
        "",
        dumps({**tick, "price": "NaN"}).decode(),
        dumps({"topic": TOPIC_MARKET_UNDERLYING, "payload": {**tick, "product": "DOGE"}}).decode(),
        dumps(tick).decode(),
    ]
    path.write_text("\n".join(lines) + "\n")
    source = ReplaySource(path, speed=0, on_reject=DeadLetterRejects(repo))

    events = [event async for event in source.stream()]

    assert len(events) == 2 and source.consumed == source.size
    letters = await repo.list_dead_letters(limit=10)
    assert sorted(d["reason"] for d in letters) == ["bad_json", "invalid_price", "unknown_product"]
    assert next(d for d in letters if d["reason"] == "bad_json")["payload"] == "{not json"


async def test_a_vendor_mapping_error_is_dead_lettered(settings: Settings, repo: Backend) -> None:
    class Broken(PassThrough):
        def translate(self, message: Any) -> Iterable[Translated]:
            if message == "boom":
                raise KeyError("ltp")
            yield None, message

    tick = make_tick(settings)
    source = Broken(["boom", tick], on_reject=DeadLetterRejects(repo))
    events = [event async for event in source.stream()]
    assert len(events) == 1
    (letter,) = await repo.list_dead_letters(limit=10)
    assert letter["reason"] == "vendor_mapping" and "ltp" in letter["error"] and letter["payload"] == "boom"


async def test_a_failing_dead_letter_store_does_not_stop_the_feed(settings: Settings) -> None:
    class DownSink:
        async def add_dead_letter(self, record: dict[str, Any]) -> str:
            raise ConnectionError("storage is down")

    tick = make_tick(settings)
    source = PassThrough(["junk", tick], on_reject=DeadLetterRejects(DownSink()))
    events = [event async for event in source.stream()]
    assert [e.product for e in events] == [tick["product"]] and source.rejected == 1
