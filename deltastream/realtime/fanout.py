"""Local fan-out of one broadcast to the union of several rooms, encoded once, never blocking.

python-socketio's ``emit`` would build one asyncio task per recipient and, behind the Redis
manager, republish every broadcast to the other replicas. Here every replica already receives
every bus message, so each one delivers to its *own* clients only, and the packet text is
built once per broadcast: the bus payload bytes are spliced in unchanged (``orjson.Fragment``),
so a chain is never decoded and re-encoded per client, nor even once.

Each Engine.IO socket has an unbounded send queue drained by its own writer task, so enqueueing
never waits for a slow client. What a stalled client *can* do is grow its queue forever; past
``max_backlog`` packets it is evicted (Socket.IO disconnect; stock clients reconnect and
resubscribe) instead of holding memory for data it will never read in time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import orjson
import socketio
from engineio import packet as eio_packet

from deltastream.core.logging import get_logger
from deltastream.core.metrics import SOCKET_EMITS_TOTAL

log = get_logger("realtime")

NAMESPACE = "/"
DEFAULT_MAX_BACKLOG = 1_000
_YIELD_EVERY = 256


def encode_event(event: str, raw: bytes) -> str:
    """Socket.IO EVENT packet text for the default namespace, ``2["event",<raw>]``.

    ``raw`` must be one JSON value (the bus payload bytes); it is copied, not re-serialised.
    """
    return "2" + orjson.dumps([event, orjson.Fragment(raw)]).decode()


class Broadcaster:
    """Deliver broadcasts to this process's clients: once per client, encoded once per call."""

    def __init__(self, server: socketio.AsyncServer, max_backlog: int = DEFAULT_MAX_BACKLOG) -> None:
        self.server = server
        self.max_backlog = max_backlog
        self.frames = 0
        """Frames queued to clients since start (one per client per broadcast)."""
        self.evicted = 0
        """Clients disconnected because their send backlog passed ``max_backlog``."""
        self._evicting: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    def recipients(self, rooms: Sequence[str]) -> dict[str, str]:
        """``{sid: eio_sid}`` of the local clients in any of ``rooms``, each client once."""
        return dict(self.server.manager.get_participants(NAMESPACE, list(rooms)))

    async def broadcast(self, event: str, raw: bytes, rooms: Sequence[str]) -> int:
        """Queue ``event`` with payload ``raw`` (JSON bytes) to every client in ``rooms``.

        Returns how many clients it was queued to. Never awaits a client's network write.
        """
        targets = self.recipients(rooms)
        if not targets:
            return 0
        pkt = eio_packet.Packet(eio_packet.MESSAGE, encode_event(event, raw))
        sockets = self.server.eio.sockets
        sent = 0
        for i, (sid, eio_sid) in enumerate(targets.items(), 1):
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed or sid in self._evicting:
                continue
            if sock.queue.qsize() >= self.max_backlog:
                self._evict(sid, eio_sid, sock.queue.qsize())
                continue
            await sock.send(pkt)  # an unbounded asyncio.Queue.put: returns without suspending
            sent += 1
            if i % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # a very large room must not starve the clients' own tasks
        self.frames += sent
        SOCKET_EMITS_TOTAL.labels(event).inc()
        return sent

    def _evict(self, sid: str, eio_sid: str, backlog: int) -> None:
        self._evicting.add(sid)
        self.evicted += 1
        log.warning("socket_client_evicted", client_id=sid, backlog=backlog, reason="slow_consumer")
        task = asyncio.create_task(self._disconnect(sid, eio_sid), name=f"socket-evict-{sid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _disconnect(self, sid: str, eio_sid: str) -> None:
        try:
            # Locally (the client is ours) and without waiting for its queue to drain: it won't.
            await self.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
            sock = self.server.eio.sockets.get(eio_sid)
            if sock is not None and not sock.closed:
                await sock.close(wait=False, abort=True)
        except Exception as exc:  # eviction is best effort; the ping timeout reaps what is left
            log.warning("socket_evict_failed", client_id=sid, error=repr(exc))
        finally:
            self._evicting.discard(sid)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
