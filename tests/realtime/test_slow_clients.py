"""A stalled client (raw Engine.IO websocket that stops reading) must not delay anyone else."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from deltastream.core.bus import TOPIC_ENRICHED_CHAIN
from deltastream.enrichment.events import EnrichedChain
from tests.factories import enriched_chain
from tests.realtime.conftest import WAIT_S, ClientFactory, LiveServer, Recorder, until

BIG_CHAIN_STRIKES = 400  # ~270 KB per chain_update: a few dozen fill the loopback socket buffers
MAX_CHAINS = 2_000


@functools.cache
def _big_chain() -> EnrichedChain:
    """Built once (its figures cost O(strikes²)); each publish only changes ``spot_price``."""
    return enriched_chain(n_strikes=BIG_CHAIN_STRIKES)


@contextlib.asynccontextmanager
async def stalled_client(
    srv: LiveServer, room: dict[str, Any]
) -> AsyncIterator[tuple[ClientConnection, str]]:
    """Handshake by hand, subscribe, then never read again; yields (websocket, socket.io sid)."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", srv.port))
    raw.setblocking(False)
    url = f"ws://127.0.0.1:{srv.port}/socket.io/?EIO=4&transport=websocket"
    ws = await connect(url, sock=raw, max_queue=1, compression=None, ping_interval=None, open_timeout=WAIT_S)
    try:
        async with asyncio.timeout(WAIT_S):
            assert str(await ws.recv()).startswith("0{")  # Engine.IO open
            await ws.send("40")  # Socket.IO connect to "/"
            ack = str(await ws.recv())
            assert ack.startswith("40{"), ack
            sid = json.loads(ack[2:])["sid"]
            await ws.send("42" + json.dumps(["subscribe", room]))
            while '"subscribed"' not in str(await ws.recv()):
                pass
        yield ws, sid
    finally:
        ws.transport.abort()


def _backlog(srv: LiveServer, sid: str) -> int:
    server = srv.realtime.server
    eio_sid = server.manager.eio_sid_from_sid(sid, "/")
    sock = server.eio.sockets.get(eio_sid) if eio_sid else None
    return sock.queue.qsize() if sock is not None else -1


async def _feed_until(
    srv: LiveServer, healthy: Recorder, done: Callable[[], bool], *, start: int = 0, extra: int = 0
) -> int:
    """Publish big chains, each read by ``healthy`` before the next (it shares this event loop),
    until ``done()`` (whatever the host's socket buffer sizes), then ``extra`` more. ``start`` is
    how many were published before; returns the running total."""
    published = start
    while published < MAX_CHAINS and not done():
        await _one_chain(srv, healthy, published)
        published += 1
    assert done(), f"still not done after {MAX_CHAINS} chains"
    for _ in range(extra):
        await _one_chain(srv, healthy, published)
        published += 1
    return published


async def _one_chain(srv: LiveServer, healthy: Recorder, i: int) -> None:
    await srv.publish(TOPIC_ENRICHED_CHAIN, {**_big_chain(), "spot_price": float(i)})
    await healthy.wait_for("chain_update", count=i + 1)  # delivered while the other is stuck


async def test_a_stalled_client_does_not_delay_the_others(srv: LiveServer, connect: ClientFactory) -> None:
    async with stalled_client(srv, {"type": "chain", "symbol": "NIFTY"}) as (_, stalled_sid):
        healthy = await connect(srv.url)
        await healthy.call("subscribe", {"type": "chain", "symbol": "NIFTY"}, "subscribed")
        # One chain queues two packets (summary + update) that a live writer takes at once; more
        # than two waiting means its writer is stuck on the full socket.
        published = await _feed_until(srv, healthy, lambda: _backlog(srv, stalled_sid) > 4)
        stuck_at = _backlog(srv, stalled_sid)
        published = await _feed_until(srv, healthy, lambda: True, start=published, extra=20)
        # Each chain adds chain_summary + chain_update to the stalled queue; nobody waits on it.
        assert _backlog(srv, stalled_sid) >= stuck_at + 20
        received = healthy.of("chain_update")
        assert [c["spot_price"] for c in received] == [float(i) for i in range(published)]
        assert stalled_sid in srv.realtime.gateway.clients  # under the limit: still connected


async def test_a_client_past_the_backlog_limit_is_evicted(srv: LiveServer, connect: ClientFactory) -> None:
    srv.realtime.broadcaster.max_backlog = 10
    async with stalled_client(srv, {"type": "chain", "symbol": "NIFTY"}) as (_, stalled_sid):
        healthy = await connect(srv.url)
        await healthy.call("subscribe", {"type": "chain", "symbol": "NIFTY"}, "subscribed")
        await _feed_until(srv, healthy, lambda: srv.realtime.broadcaster.evicted > 0, extra=5)
        await until(lambda: stalled_sid not in srv.realtime.gateway.clients)
        assert srv.realtime.broadcaster.evicted == 1
        assert stalled_sid not in srv.realtime.broadcaster.recipients(["chain:NIFTY"])
        assert healthy.client.get_sid() in srv.realtime.broadcaster.recipients(["chain:NIFTY"])
