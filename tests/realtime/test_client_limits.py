"""Bad input, per-client limits, connect auth, metrics and encode-once, against a real uvicorn."""

from __future__ import annotations

import time
from unittest import mock

import httpx
import pytest
import socketio

from deltastream.auth.service import issue_token
from deltastream.core.bus import TOPIC_ENRICHED_UNDERLYING, InProcessBus
from deltastream.core.lifecycle import Supervisor
from deltastream.core.metrics import SOCKET_CLIENTS, SOCKET_EMITS_TOTAL
from deltastream.realtime import fanout
from deltastream.realtime.component import RealtimeComponent
from deltastream.realtime.server import EVENT_BURST, EVENT_RATE_PER_S
from tests.factories import enriched_tick
from tests.realtime.conftest import WAIT_S, ClientFactory, LiveServer, until, user_token

BAD_SUBSCRIPTIONS = [
    ("NIFTY", "invalid_subscription"),
    ({"type": "product"}, "invalid_subscription"),
    ({"type": "product", "symbol": "DOGE"}, "not_found"),
    ({"type": "product", "symbol": ["NIFTY"]}, "invalid_subscription"),
    ({"type": "futures", "symbol": "NIFTY"}, "invalid_subscription"),
    ({"type": "chain", "symbol": "NIFTY", "expiry": "next week"}, "invalid_subscription"),
    (None, "invalid_subscription"),
]


async def test_malformed_subscriptions_get_errors_and_the_connection_stays(
    srv: LiveServer, connect: ClientFactory
) -> None:
    client = await connect(srv.url)
    codes = [(await client.call("subscribe", data, "error"))["code"] for data, _ in BAD_SUBSCRIPTIONS]
    bad_unsub = await client.call("unsubscribe", {"type": "chain"}, "error")
    assert codes == [code for _, code in BAD_SUBSCRIPTIONS]
    assert bad_unsub["code"] == "invalid_subscription"
    assert "symbol" in bad_unsub["message"]
    assert client.client.connected
    ok = await client.call("subscribe", {"type": "product", "symbol": "NIFTY"}, "subscribed")
    assert ok["room"] == "product:NIFTY"


async def test_unknown_event_gets_an_error(srv: LiveServer, connect: ClientFactory) -> None:
    client = await connect(srv.url)
    error = await client.call("subscribe_all", {"x": 1}, "error")
    assert error["code"] == "unknown_event"
    assert "subscribe_all" in error["message"]


async def test_handlers_also_answer_acknowledgements(srv: LiveServer, connect: ClientFactory) -> None:
    client = await connect(srv.url)
    ack = await client.client.call("subscribe", {"type": "product", "symbol": "SPY"}, timeout=WAIT_S)
    assert ack == {"room": "product:SPY", "message": "Subscribed to product:SPY"}


async def test_rooms_per_client_are_capped(live_app, connect: ClientFactory) -> None:
    async with live_app(socket_max_rooms=2) as srv:
        client = await connect(srv.url)
        for symbol in ("NIFTY", "BANKNIFTY"):
            await client.call("subscribe", {"type": "product", "symbol": symbol}, "subscribed")
        refused = await client.call("subscribe", {"type": "product", "symbol": "SPY"}, "error")
        again = await client.call("subscribe", {"type": "product", "symbol": "NIFTY"}, "subscribed")
        await client.call("unsubscribe", {"type": "product", "symbol": "BANKNIFTY"}, "unsubscribed")
        freed = await client.call("subscribe", {"type": "product", "symbol": "SPY"}, "subscribed")
    assert refused["code"] == "too_many_rooms"
    assert "at most 2 rooms" in refused["message"]
    assert again["room"] == "product:NIFTY"
    assert freed["room"] == "product:SPY"


async def test_a_spamming_client_is_throttled_without_hurting_others(
    srv: LiveServer, connect: ClientFactory
) -> None:
    spammer = await connect(srv.url)
    calm = await connect(srv.url)
    await calm.call("subscribe", {"type": "product", "symbol": "NIFTY"}, "subscribed")
    burst = int(EVENT_BURST) * 5
    started = time.monotonic()
    for _ in range(burst):
        await spammer.client.emit("subscribe", {"type": "product", "symbol": "NIFTY"})
    await spammer.wait_for("error", lambda e: e["code"] == "rate_limited")
    await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=1))
    await calm.wait_for("underlying_update")
    await spammer.wait_for("underlying_update")  # its events were handled before this broadcast
    elapsed_s = time.monotonic() - started
    throttled = [e for e in spammer.of("error") if e["code"] == "rate_limited"]
    dropped = burst - len(spammer.of("subscribed"))
    assert "per second" in throttled[0]["message"]
    assert dropped >= burst - EVENT_BURST - EVENT_RATE_PER_S * elapsed_s
    assert len(throttled) <= 1 + elapsed_s  # one notice per second, not one per dropped event
    assert spammer.client.connected


async def _refusal(url: str, auth: object, headers: dict[str, str] | None = None) -> dict:
    """Connect expecting a refusal; returns the ``connect_error`` payload the server sent."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list[dict] = []
    client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            url, auth=auth, headers=headers or {}, transports=["websocket"], wait_timeout=WAIT_S
        )
    (error,) = errors
    return error


async def test_connect_requires_a_token_when_reads_are_private(live_app, connect: ClientFactory) -> None:
    async with live_app(public_reads=False) as srv:
        missing = await _refusal(srv.url, None)
        garbage = await _refusal(srv.url, {"token": "not-a-jwt"})
        wrong_shape = await _refusal(srv.url, {"token": 12345})
        token, user_id = await user_token(srv.runtime, "u7@example.com")
        allowed = await connect(srv.url, auth={"token": token})
    assert missing["message"].startswith("Authentication required")
    assert missing["data"] == {"code": "unauthorized"}
    assert garbage["message"] == "Authentication failed: Invalid token"
    assert garbage["data"] == {"code": "invalid_token"}
    assert wrong_shape["data"] == {"code": "invalid_token"}
    assert allowed.of("connected")[0]["rooms"] == ["general", f"user:{user_id}"]


async def test_a_bad_token_is_refused_even_when_reads_are_public(srv: LiveServer) -> None:
    refresh, _ = issue_token(srv.runtime.settings, "u8", "u8@example.com", "refresh")
    refused = await _refusal(srv.url, {"token": refresh})
    assert refused["message"] == "Authentication failed: Invalid token"


async def test_metrics_count_clients_and_broadcasts(srv: LiveServer, connect: ClientFactory) -> None:
    clients_before = SOCKET_CLIENTS._value.get()
    emits_before = SOCKET_EMITS_TOTAL.labels("underlying_update")._value.get()
    first = await connect(srv.url)
    second = await connect(srv.url)
    assert SOCKET_CLIENTS._value.get() == clients_before + 2
    await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick())
    await first.wait_for("underlying_update")
    await second.wait_for("underlying_update")
    assert SOCKET_EMITS_TOTAL.labels("underlying_update")._value.get() == emits_before + 1
    await second.client.disconnect()
    await until(lambda: SOCKET_CLIENTS._value.get() == clients_before + 1)


@pytest.mark.parametrize("n_clients", [1, 12])
async def test_each_broadcast_is_encoded_once_whatever_the_audience(
    srv: LiveServer, connect: ClientFactory, n_clients: int
) -> None:
    clients = [await connect(srv.url) for _ in range(n_clients)]
    for client in clients:
        await client.call("subscribe", {"type": "product", "symbol": "NIFTY"}, "subscribed")
    with mock.patch.object(fanout, "encode_event", wraps=fanout.encode_event) as encoder:
        for tick_id in range(1, 4):
            await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=tick_id))
        for client in clients:
            await client.wait_for("underlying_update", count=3)
    assert encoder.call_count == 3
    assert all([t["tick_id"] for t in c.of("underlying_update")] == [1, 2, 3] for c in clients)


async def test_cors_answers_once_and_foreign_origins_cannot_connect(live_app, connect: ClientFactory) -> None:
    async with live_app(cors_origins=["http://app.example"]) as srv:
        async with httpx.AsyncClient(base_url=srv.url) as http:
            handshake = await http.get(
                "/socket.io/",
                params={"EIO": "4", "transport": "polling"},
                headers={"Origin": "http://app.example"},
            )
        foreign = await _refusal(srv.url, None, headers={"Origin": "http://evil.example"})
        allowed = await connect(srv.url)
    assert handshake.headers.get_list("access-control-allow-origin") == ["http://app.example"]
    assert foreign["data"] == {"code": "origin_not_allowed"}
    assert "http://evil.example" in foreign["message"]
    assert allowed.of("connected")[0]["rooms"] == ["general"]


def test_building_the_server_connects_nothing(settings) -> None:
    dead = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0", "redis_prefix": "x:"})
    component = RealtimeComponent(dead, InProcessBus(), Supervisor())
    manager = component.server.manager
    assert isinstance(manager, socketio.AsyncRedisManager)
    assert manager.channel == "x:socketio"
    assert manager.redis is None and not manager.connected
