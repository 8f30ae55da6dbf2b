"""The vendor adapter base: mapping a foreign wire format through the same validation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from deltastream.feed.events import OptionChain, UnderlyingTick
from deltastream.feed.sources import FeedSource
from deltastream.feed.vendor import Translated, VendorAdapter, chain_payload, tick_payload


class AcmeFeed(VendorAdapter):
    """A fake vendor with short field names, fed from memory; drops the connection once."""

    name = "acme"
    backoff_s = 0.0

    def __init__(self, sessions: list[list[dict[str, Any]]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sessions = sessions
        self.connects = 0

    async def messages(self) -> AsyncIterator[Any]:
        session = self.sessions[self.connects]
        self.connects += 1
        for message in session:
            if message == {"drop": True}:
                raise ConnectionResetError("peer went away")
            yield message

    def translate(self, message: dict[str, Any]) -> Iterable[Translated]:
        if message["kind"] == "idx":
            yield tick_payload(message["sym"], message["ltp"], message["ts"], volume=message.get("vol", 0))
        elif message["kind"] == "chain":
            quotes = [
                {
                    "strike": q["k"],
                    "option_type": "CALL" if q["cp"] == "C" else "PUT",
                    "bid": q["b"],
                    "ask": q["a"],
                    "last": q["l"],
                    "volume": q["v"],
                    "open_interest": q["oi"],
                }
                for q in message["quotes"]
            ]
            yield chain_payload(message["sym"], message["exp"], message["spot"], message["ts"], quotes)


TS = "2025-01-20T04:00:00Z"


def _quote(k: float, cp: str, bid: float, ask: float) -> dict[str, Any]:
    return {"k": k, "cp": cp, "b": bid, "a": ask, "l": round((bid + ask) / 2, 2), "v": 10, "oi": 500}


async def test_a_vendor_maps_validates_and_survives_a_disconnect() -> None:
    chain = {
        "kind": "chain",
        "sym": "SPY",
        "exp": "2025-01-24",
        "spot": 475.1,
        "ts": TS,
        "quotes": [
            _quote(480, "P", 6.0, 6.1),
            _quote(475, "C", 3.0, 3.1),
            _quote(480, "C", 1.2, 1.3),
            _quote(475, "P", 2.9, 3.0),
        ],
    }
    crossed = {**chain, "quotes": [*chain["quotes"][:3], _quote(475, "P", 3.5, 3.0)]}
    sessions = [
        [{"kind": "idx", "sym": "SPY", "ltp": 475.1, "ts": TS, "vol": 7}, {"drop": True}],
        [crossed, chain, {"kind": "idx", "sym": "XYZ", "ltp": 1.0, "ts": TS}],
    ]
    vendor = AcmeFeed(sessions)
    assert isinstance(vendor, FeedSource)

    events = [e async for e in vendor.stream()]

    assert vendor.reconnects == 1 and vendor.connects == 2
    assert vendor.rejected == 2  # the crossed put and the unknown product
    tick, good = events
    assert isinstance(tick, UnderlyingTick) and tick.volume == 7
    assert isinstance(good, OptionChain)
    assert good.strikes == [475.0, 480.0]
    assert [q.symbol for q in good.calls] == ["SPY20250124C475", "SPY20250124C480"]
    assert good.puts[1].bid == 6.0 and good.puts[1].expiry == "2025-01-24"
