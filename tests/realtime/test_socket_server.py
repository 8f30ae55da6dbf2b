"""The Socket.IO contract against a real uvicorn: client events, server events, rooms, once-per-client."""

from __future__ import annotations

import json

import httpx

from deltastream.core.bus import (
    TOPIC_ALERTS,
    TOPIC_ENRICHED_CHAIN,
    TOPIC_ENRICHED_OHLC,
    TOPIC_ENRICHED_SURFACE,
    TOPIC_ENRICHED_UNDERLYING,
)
from deltastream.realtime.schemas import CHAIN_SUMMARY_FIELDS, CONNECTED_MESSAGE
from tests.factories import candle, enriched_chain, enriched_tick, surface
from tests.realtime.conftest import WAIT_S, ClientFactory, LiveServer, user_token
from tests.realtime.factories import EXPIRY, delivered, make_alert

SENTINEL = 999_999


def _tick_ids(events: list[dict]) -> list[int]:
    return [e["tick_id"] for e in events]


async def test_one_app_serves_http_and_socketio(srv: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=srv.url) as http:
        health = await http.get("/health")
        handshake = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert health.status_code == 200
    assert handshake.status_code == 200
    assert handshake.text.startswith('0{"sid":')


async def test_connect_greets_with_client_id_in_general(srv: LiveServer, connect: ClientFactory) -> None:
    client = await connect(srv.url)
    (greeting,) = client.of("connected")
    assert greeting == {
        "message": CONNECTED_MESSAGE,
        "client_id": client.client.get_sid(),
        "rooms": ["general"],
    }


async def test_long_polling_transport_works_through_the_mount(srv: LiveServer) -> None:
    """Stock clients start on HTTP long-polling before upgrading: speak it by hand."""

    async def poll(http: httpx.AsyncClient, params: dict[str, str]) -> list[str]:
        response = await http.get("/socket.io/", params=params)
        assert response.status_code == 200
        return response.text.split("\x1e")

    tick = enriched_tick(tick_id=5)
    async with httpx.AsyncClient(base_url=srv.url, timeout=WAIT_S) as http:
        (opened,) = await poll(http, {"EIO": "4", "transport": "polling"})
        params = {"EIO": "4", "transport": "polling", "sid": json.loads(opened[1:])["sid"]}
        assert (await http.post("/socket.io/", params=params, content="40")).text == "OK"
        packets = await poll(http, params)
        while not any(p.startswith('42["connected"') for p in packets):
            packets += await poll(http, params)
        await srv.publish(TOPIC_ENRICHED_UNDERLYING, tick)
        (update,) = await poll(http, params)
    assert packets[0].startswith('40{"sid":')
    assert json.loads(update[2:]) == ["underlying_update", delivered(tick)]


async def test_subscribe_and_unsubscribe_reply_with_the_room(srv: LiveServer, connect: ClientFactory) -> None:
    client = await connect(srv.url)
    product = await client.call("subscribe", {"type": "product", "symbol": "nifty"}, "subscribed")
    chain = await client.call("subscribe", {"type": "chain", "symbol": "BANKNIFTY"}, "subscribed")
    dated = await client.call(
        "subscribe", {"type": "chain", "symbol": "NIFTY", "expiry": EXPIRY}, "subscribed"
    )
    left = await client.call("unsubscribe", {"type": "product", "symbol": "NIFTY"}, "unsubscribed")
    assert product == {"room": "product:NIFTY", "message": "Subscribed to product:NIFTY"}
    assert chain["room"] == "chain:BANKNIFTY"
    assert dated["room"] == f"chain:NIFTY:{EXPIRY}"
    assert left == {"room": "product:NIFTY", "message": "Unsubscribed from product:NIFTY"}
    assert srv.realtime.gateway.clients[client.client.get_sid()].subscriptions == {
        "chain:BANKNIFTY",
        f"chain:NIFTY:{EXPIRY}",
    }


async def test_unsubscribed_client_stops_receiving_the_room(srv: LiveServer, connect: ClientFactory) -> None:
    client = await connect(srv.url)
    await client.call("subscribe", {"type": "chain", "symbol": "NIFTY"}, "subscribed")
    await srv.publish(TOPIC_ENRICHED_CHAIN, enriched_chain(spot_price=1.0))
    await client.wait_for("chain_update")
    await client.call("unsubscribe", {"type": "chain", "symbol": "NIFTY"}, "unsubscribed")
    await srv.publish(TOPIC_ENRICHED_CHAIN, enriched_chain(spot_price=2.0))
    await client.wait_for("chain_summary", lambda s: s["spot_price"] == 2.0)
    assert [c["spot_price"] for c in client.of("chain_update")] == [1.0]


async def test_get_products_lists_the_configured_products(live_app, connect: ClientFactory) -> None:
    async with live_app(feed_products=["NIFTY", "spy"]) as srv:
        client = await connect(srv.url)
        reply = await client.call("get_products", None, "products")
    assert reply == {"products": ["NIFTY", "SPY"]}


async def test_underlying_update_reaches_each_client_once(srv: LiveServer, connect: ClientFactory) -> None:
    both = await connect(srv.url)
    await both.call("subscribe", {"type": "product", "symbol": "NIFTY"}, "subscribed")
    general_only = await connect(srv.url)
    ticks = [enriched_tick(tick_id=tick_id) for tick_id in range(1, 6)]
    for tick in ticks:
        await srv.publish(TOPIC_ENRICHED_UNDERLYING, tick)
    await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=SENTINEL))
    for client in (both, general_only):
        await client.wait_for("underlying_update", lambda t: t["tick_id"] == SENTINEL)
        assert _tick_ids(client.of("underlying_update")) == [1, 2, 3, 4, 5, SENTINEL]
    first = both.of("underlying_update")[0]
    assert first == delivered(ticks[0])


async def test_product_room_only_gets_its_product(srv: LiveServer, connect: ClientFactory) -> None:
    client = await connect(srv.url)
    await client.call("subscribe", {"type": "product", "symbol": "NIFTY"}, "subscribed")
    await client.call("unsubscribe", {"type": "product", "symbol": "NIFTY"}, "unsubscribed")
    await srv.runtime.bus.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick("BANKNIFTY", tick_id=1))
    (tick,) = await client.wait_for("underlying_update")
    assert tick["product"] == "BANKNIFTY"  # still in `general`, which carries every product


async def test_chain_events_reach_the_right_rooms_once(srv: LiveServer, connect: ClientFactory) -> None:
    product_chain = await connect(srv.url)
    await product_chain.call("subscribe", {"type": "chain", "symbol": "NIFTY"}, "subscribed")
    await product_chain.call(
        "subscribe", {"type": "chain", "symbol": "NIFTY", "expiry": EXPIRY}, "subscribed"
    )
    dated_only = await connect(srv.url)
    await dated_only.call("subscribe", {"type": "chain", "symbol": "NIFTY", "expiry": EXPIRY}, "subscribed")
    general_only = await connect(srv.url)

    chain = enriched_chain("NIFTY", EXPIRY)
    await srv.publish(TOPIC_ENRICHED_CHAIN, chain)
    await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=SENTINEL))
    for client in (product_chain, dated_only, general_only):
        await client.wait_for("underlying_update", lambda t: t["tick_id"] == SENTINEL)

    sent = delivered(chain)
    summary = {name: sent[name] for name in CHAIN_SUMMARY_FIELDS}
    for client in (product_chain, dated_only, general_only):
        assert client.of("chain_summary") == [summary]
    assert product_chain.of("chain_update") == [sent]
    assert dated_only.of("chain_update") == [sent]
    assert general_only.of("chain_update") == []


async def test_nifty_chain_subscriber_gets_no_banknifty_chains(
    srv: LiveServer, connect: ClientFactory
) -> None:
    client = await connect(srv.url)
    await client.call("subscribe", {"type": "chain", "symbol": "NIFTY"}, "subscribed")
    await srv.publish(TOPIC_ENRICHED_CHAIN, enriched_chain("BANKNIFTY"))
    await srv.publish(TOPIC_ENRICHED_CHAIN, enriched_chain("NIFTY", "2030-02-28"))
    await client.wait_for("chain_update")
    await client.wait_for("chain_summary", count=2)
    assert [c["product"] for c in client.of("chain_update")] == ["NIFTY"]
    assert [s["product"] for s in client.of("chain_summary")] == ["BANKNIFTY", "NIFTY"]


async def test_ohlc_and_surface_routing(srv: LiveServer, connect: ClientFactory) -> None:
    product = await connect(srv.url)
    await product.call("subscribe", {"type": "product", "symbol": "NIFTY"}, "subscribed")
    chain = await connect(srv.url)
    await chain.call("subscribe", {"type": "chain", "symbol": "NIFTY"}, "subscribed")
    general_only = await connect(srv.url)

    bar = candle("NIFTY")
    await srv.publish(TOPIC_ENRICHED_OHLC, bar)
    await srv.publish(TOPIC_ENRICHED_SURFACE, surface("NIFTY"))
    await srv.publish(TOPIC_ENRICHED_SURFACE, surface("BANKNIFTY"))
    await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=SENTINEL))
    for client in (product, chain, general_only):
        await client.wait_for("underlying_update", lambda t: t["tick_id"] == SENTINEL)

    assert product.of("ohlc_update") == [delivered(bar)]
    assert chain.of("ohlc_update") == general_only.of("ohlc_update") == []
    assert [s["product"] for s in product.of("surface_update")] == ["NIFTY"]
    assert [s["product"] for s in chain.of("surface_update")] == ["NIFTY"]
    assert general_only.of("surface_update") == []


async def test_alert_goes_to_its_owner_or_to_everyone(live_app, connect: ClientFactory) -> None:
    async with live_app() as srv:
        token, user_id = await user_token(srv.runtime, "u42@example.com")
        owner = await connect(srv.url, auth={"token": token})
        other = await connect(srv.url)
        await srv.publish(TOPIC_ALERTS, make_alert(user_id=user_id, alert_id="private"))
        await srv.publish(TOPIC_ALERTS, make_alert(alert_id="public"))
        await owner.wait_for("alert", count=2)
        await other.wait_for("alert")
        await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=SENTINEL))
        await other.wait_for("underlying_update")
    assert owner.of("connected")[0]["rooms"] == ["general", f"user:{user_id}"]
    assert [a["alert_id"] for a in owner.of("alert")] == ["private", "public"]
    assert [a["alert_id"] for a in other.of("alert")] == ["public"]


async def test_a_bad_bus_message_does_not_stop_the_bridge(srv: LiveServer, connect: ClientFactory) -> None:
    client = await connect(srv.url)
    await client.call("subscribe", {"type": "chain", "symbol": "NIFTY"}, "subscribed")
    await srv.publish(TOPIC_ENRICHED_CHAIN, {"expiry": EXPIRY})  # no product: nothing to route
    await srv.publish(TOPIC_ENRICHED_CHAIN, {"product": "NIFTY", "expiry": 20300131})
    await srv.publish(TOPIC_ENRICHED_UNDERLYING, enriched_tick(tick_id=SENTINEL))
    await client.wait_for("underlying_update")
    (update,) = client.of("chain_update")
    assert update["expiry"] == 20300131
    assert client.of("chain_summary")[0]["pcr_oi"] is None
