"""Realtime context: the Socket.IO server, its rooms and the bridge from the bus to the rooms.

Owns no table. Public surface: ``RealtimeComponent`` (built by the composition root for the api role), ``mount_socketio`` (serves
``/socket.io/`` from the FastAPI app) and ``external_emitter`` (push to rooms from any process).
See docs/socket.md for the events and payloads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deltastream.realtime.server import SOCKETIO_PATH, external_emitter

if TYPE_CHECKING:
    from deltastream.realtime.component import RealtimeComponent

__all__ = ["SOCKETIO_PATH", "external_emitter", "mount_socketio"]


def mount_socketio(app: Any, component: RealtimeComponent) -> None:
    """Serve Socket.IO at ``/socket.io/`` inside ``app``: one ASGI app for HTTP and sockets.

    Starlette passes the full path to a mounted app, so Engine.IO's path check sees
    ``/socket.io/...`` and stock clients connect with their default path.
    """
    app.mount("/" + SOCKETIO_PATH, component.asgi_app(), name="socketio")
