"""Pure parts: bus message -> broadcasts, subscription validation, packet encoding, token bucket."""

from __future__ import annotations

import orjson
import pytest

from deltastream.core import jsonx
from deltastream.core.bus import TOPIC_ALERTS, TOPIC_ENRICHED_CHAIN, TOPIC_MARKET_CHAIN, Message
from deltastream.core.errors import NotFoundError, ValidationFailed
from deltastream.realtime.events import broadcasts_for
from deltastream.realtime.fanout import encode_event
from deltastream.realtime.schemas import parse_subscription
from deltastream.realtime.server import TokenBucket
from tests.factories import enriched_chain
from tests.realtime.factories import EXPIRY, TS, make_alert


def test_chain_message_becomes_summary_and_full_chain_broadcasts() -> None:
    chain = enriched_chain(
        "NIFTY",
        EXPIRY,
        timestamp=TS,
        spot_price=21510.0,
        pcr_oi=1.0123,
        pcr_volume=0.9876,
        atm_straddle_price=210.5,
        max_pain_strike=21500.0,
    )
    message = Message(TOPIC_ENRICHED_CHAIN, chain, jsonx.dumps(chain))
    summary, full = broadcasts_for(message)
    assert (summary.event, summary.rooms) == ("chain_summary", ("general", "chain:NIFTY"))
    assert orjson.loads(summary.raw) == {
        "product": "NIFTY",
        "expiry": EXPIRY,
        "spot_price": 21510.0,
        "pcr_oi": 1.0123,
        "pcr_volume": 0.9876,
        "atm_straddle_price": 210.5,
        "max_pain_strike": 21500.0,
        "timestamp": TS,
    }
    assert (full.event, full.rooms) == ("chain_update", ("chain:NIFTY", f"chain:NIFTY:{EXPIRY}"))
    assert full.raw is message.data  # forwarded as delivered, not re-encoded


def test_alert_routes_to_owner_room_else_general() -> None:
    (owned,) = broadcasts_for(Message(TOPIC_ALERTS, make_alert(user_id="u1")))
    (public,) = broadcasts_for(Message(TOPIC_ALERTS, make_alert()))
    assert owned.rooms == ("user:u1",)
    assert public.rooms == ("general",)


def test_topics_the_sockets_do_not_carry_produce_nothing() -> None:
    assert broadcasts_for(Message(TOPIC_MARKET_CHAIN, enriched_chain(timestamp=TS))) == []
    assert broadcasts_for(Message(TOPIC_ENRICHED_CHAIN, {"expiry": EXPIRY})) == []


def test_encode_event_splices_the_payload_bytes() -> None:
    raw = b'{"product":"NIFTY","price":1.5}'
    text = encode_event("underlying_update", raw)
    assert text == '2["underlying_update",{"product":"NIFTY","price":1.5}]'


@pytest.mark.parametrize(
    ("data", "error", "needle"),
    [
        ("NIFTY", ValidationFailed, "send an object"),
        ({"symbol": "NIFTY"}, ValidationFailed, "type"),
        ({"type": "option", "symbol": "NIFTY"}, ValidationFailed, "type"),
        ({"type": "product"}, ValidationFailed, "symbol"),
        ({"type": "product", "symbol": 7}, ValidationFailed, "symbol"),
        ({"type": "product", "symbol": ""}, ValidationFailed, "symbol"),
        ({"type": "product", "symbol": "DOGE"}, NotFoundError, "Unknown product 'DOGE'"),
        ({"type": "chain", "symbol": "NIFTY", "expiry": "31-01-2030"}, ValidationFailed, "YYYY-MM-DD"),
        ({"type": "chain", "symbol": "NIFTY", "expiry": "2030-02-30"}, ValidationFailed, "YYYY-MM-DD"),
        ({"type": "chain", "symbol": "NIFTY", "expiry": 20300131}, ValidationFailed, "expiry"),
        ({"type": "product", "symbol": "NIFTY", "expiry": EXPIRY}, ValidationFailed, "only to chain"),
    ],
)
def test_invalid_subscriptions_are_refused_with_a_readable_message(
    data: object, error: type, needle: str
) -> None:
    with pytest.raises(error) as caught:
        parse_subscription(data)
    assert needle in caught.value.message


def test_valid_subscriptions_canonicalise_the_room() -> None:
    assert parse_subscription({"type": "product", "symbol": "nifty"}).room == "product:NIFTY"
    assert (
        parse_subscription({"type": "chain", "symbol": "Spy", "expiry": EXPIRY}).room == f"chain:SPY:{EXPIRY}"
    )


def test_token_bucket_allows_a_burst_then_refills() -> None:
    bucket = TokenBucket(rate_per_s=10.0, burst=3.0)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    bucket.stamp -= 0.2  # 0.2 s later: two tokens back
    assert [bucket.take() for _ in range(3)] == [True, True, False]
