"""Issue 18 items 4 and 5 with a real python-socketio client against uvicorn: tokens are checked
against storage at connect, sessions end when their token expires, reserved event names sent by
a client never reach a handler, and oversized messages get an ``error`` event."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import socketio
from socketio import packet

from deltastream.auth.service import issue_token
from deltastream.core.bus import TOPIC_ALERTS, TOPIC_ENRICHED_UNDERLYING
from deltastream.core.metrics import SOCKET_CLIENTS
from deltastream.realtime.server import EVENT_BURST, EVENT_RATE_PER_S
from tests.factories import enriched_tick
from tests.realtime.conftest import WAIT_S, ClientFactory, Recorder, until, user_token
from tests.realtime.factories import make_alert

SENTINEL = "session-security-sentinel"


async def _refused(url: str, token: str) -> dict[str, Any]:
    client = socketio.AsyncClient(reconnection=False)
    errors: list[dict[str, Any]] = []
    client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=WAIT_S)
    (error,) = errors
    return error


# --- item 4 --------------------------------------------------------------------------------


async def test_tokens_of_missing_or_revoked_users_are_refused_at_connect(live_app) -> None:
    async with live_app() as srv:
        ghost, _ = issue_token(srv.runtime.settings, "999999", "ghost@example.com", "access")
        assert (await _refused(srv.url, ghost))["data"] == {"code": "invalid_token"}
        token, _ = await user_token(srv.runtime, "revoked@example.com")
        await srv.runtime.repo.bump_token_version("revoked@example.com")
        assert (await _refused(srv.url, token))["data"] == {"code": "invalid_token"}
        await srv.runtime.repo.delete_user("revoked@example.com")
        assert (await _refused(srv.url, token))["data"] == {"code": "invalid_token"}


def _short_token(srv: Any, user_id: str, email: str) -> str:
    settings = srv.runtime.settings
    _ = settings.signing_secret  # resolve the (generated) secret before copying the settings
    brief = settings.model_copy(update={"jwt_access_ttl": 5})
    token, _ = issue_token(brief, user_id, email, "access")
    return token


async def test_an_expired_session_is_downgraded_when_reads_are_public(
    live_app, connect: ClientFactory
) -> None:
    async with live_app() as srv:
        _, user_id = await user_token(srv.runtime, "brief@example.com")
        client = await connect(srv.url, auth={"token": _short_token(srv, user_id, "brief@example.com")})
        assert client.of("connected")[0]["rooms"] == ["general", f"user:{user_id}"]
        (expired,) = await client.wait_for("error", lambda e: e.get("code") == "token_expired")
        assert "public data only" in expired["message"]
        # Still connected and served public data, but no longer in the user's room.
        await srv.publish(TOPIC_ALERTS, make_alert(user_id=user_id, alert_id="private"))
        await srv.publish(TOPIC_ALERTS, make_alert(alert_id="public"))
        await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=SENTINEL))
        await client.wait_for("underlying_update", lambda t: t.get("tick_id") == SENTINEL)
        assert client.client.connected
    assert [a["alert_id"] for a in client.of("alert")] == ["public"]


async def test_an_expired_session_is_dropped_when_reads_are_private(live_app, connect: ClientFactory) -> None:
    async with live_app(public_reads=False) as srv:
        _, user_id = await user_token(srv.runtime, "brief@example.com")
        client = await connect(srv.url, auth={"token": _short_token(srv, user_id, "brief@example.com")})
        await client.wait_for("error", lambda e: e.get("code") == "token_expired")
        await until(lambda: not client.client.connected)
        await until(lambda: not srv.realtime.gateway.clients)


# --- item 5 --------------------------------------------------------------------------------


async def _raw_event(client: Recorder, data: list[Any]) -> None:
    await client.client._send_packet(client.client.packet_class(packet.EVENT, namespace="/", data=data))


async def test_reserved_event_names_never_run_handlers(live_app, connect: ClientFactory) -> None:
    async with live_app(socket_max_rooms=2) as srv:
        before = SOCKET_CLIENTS._value.get()
        client = await connect(srv.url)
        gateway = srv.realtime.gateway
        for symbol in ("NIFTY", "BANKNIFTY"):
            await client.call("subscribe", {"type": "product", "symbol": symbol}, "subscribed")
        (sid,) = gateway.clients
        state = gateway.clients[sid]
        for event in ("connect", "disconnect", "connect_error", "disconnecting"):
            await client.client.emit(event, {"HTTP_ORIGIN": "x"})
        await _raw_event(client, [12345, {}])
        errors = await client.wait_for("error", lambda e: e["code"] == "reserved_event", count=5)
        assert "'connect' is reserved" in errors[0]["message"]
        # The connection's state was neither reset nor removed, and the gauge did not move.
        assert gateway.clients == {sid: state}
        assert SOCKET_CLIENTS._value.get() == before + 1
        assert state.subscriptions == {"product:NIFTY", "product:BANKNIFTY"}
        over = await client.call("subscribe", {"type": "product", "symbol": "SPY"}, "error")
        assert over["code"] == "too_many_rooms"
    await until(lambda: SOCKET_CLIENTS._value.get() == before)


async def test_reserved_events_are_counted_against_the_rate_limit(srv, connect: ClientFactory) -> None:
    client = await connect(srv.url)
    sent = int(EVENT_BURST) * 5
    started = time.monotonic()
    for _ in range(sent):
        await client.client.emit("connect", {})
    await client.wait_for("error", lambda e: e["code"] == "rate_limited")
    # Events of one connection are handled in order: once a later get_products is answered (the
    # bucket has refilled), the whole flood has been handled.
    async with asyncio.timeout(WAIT_S):
        while not client.of("products"):
            await client.client.emit("get_products")
            await asyncio.sleep(0.2)
    elapsed_s = time.monotonic() - started
    refused = [e for e in client.of("error") if e["code"] == "reserved_event"]
    # Only the burst plus what the bucket refilled while the flood lasted was let through.
    assert len(refused) <= EVENT_BURST + EVENT_RATE_PER_S * elapsed_s + 1
    assert len(refused) < sent


async def test_an_oversized_message_gets_an_error_and_the_connection_stays(
    srv, connect: ClientFactory
) -> None:
    client = await connect(srv.url)
    for size in (100_000, 1_000_000):
        await client.client.emit("subscribe", {"type": "product", "symbol": "x" * size})
    errors = await client.wait_for("error", lambda e: e["code"] == "message_too_large", count=2)
    assert "at most 65536 bytes" in errors[0]["message"]
    products = await client.call("get_products", None, "products")
    assert "NIFTY" in products["products"]
    assert client.client.connected
