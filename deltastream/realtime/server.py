"""The Socket.IO server: connection auth, subscriptions and per-client limits.

Client contract (seed event names): on connect the server emits ``connected {message,
client_id, rooms}`` and the client is in room ``general`` (and ``user:{id}`` when it sent a valid
token). ``subscribe`` / ``unsubscribe {type: product|chain, symbol, expiry?}`` answer
``subscribed`` / ``unsubscribed {room, message}``; ``get_products`` answers ``products
{products}``. Anything invalid answers ``error {message, code}`` and the connection stays up.
Each handler also returns its reply, so clients that emit with an acknowledgement get it there.

Limits: each client may hold ``settings.socket_max_rooms`` subscriptions and send
``EVENT_RATE_PER_S`` events per second (bursts of ``EVENT_BURST``); excess events are dropped
with one ``rate_limited`` error per second. Events of one client are handled in order on that
client's own connection task (``async_handlers=False``), so a flood costs its sender, not others.

Sessions: a token is checked at connect in full (signature, expiry, the user still exists at the
same token version). When it expires the session ends: with public reads on it is downgraded
(leaves ``user:{id}``, keeps public rooms) and told with ``error {code: token_expired}``; with
public reads off it gets that error and is disconnected. Reserved event names (``connect``,
``disconnect``...) and non-string event names sent by a client never reach a handler: they count
against the rate budget and answer ``error {code: reserved_event}``. A message over
``MAX_CLIENT_MESSAGE_BYTES`` is dropped with ``error {code: message_too_large}`` (the connection
stays up); above ``MAX_FRAME_BYTES`` Engine.IO closes the connection without reading it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import socketio

from deltastream.auth.service import verify_access_token
from deltastream.core.errors import AuthenticationError, DeltaStreamError, RateLimitedError, ValidationFailed
from deltastream.core.logging import get_logger
from deltastream.core.metrics import SOCKET_CLIENTS
from deltastream.feed import configured_products
from deltastream.realtime.fanout import NAMESPACE
from deltastream.realtime.schemas import (
    CONNECTED_MESSAGE,
    EV_CONNECTED,
    EV_ERROR,
    EV_FEED_STATUS,
    EV_GET_PRODUCTS,
    EV_PRODUCTS,
    EV_SUBSCRIBE,
    EV_SUBSCRIBED,
    EV_UNSUBSCRIBE,
    EV_UNSUBSCRIBED,
    ROOM_GENERAL,
    error_payload,
    parse_subscription,
    user_room,
)
from deltastream.settings import Settings

log = get_logger("realtime")

EVENT_RATE_PER_S = 20.0
EVENT_BURST = 40.0
MAX_CLIENT_MESSAGE_BYTES = 64 * 1024
MAX_FRAME_BYTES = 2 * 1024 * 1024
SOCKETIO_PATH = "socket.io"
# Socket.IO's reserved names: a client emitting one must not run the server's lifecycle handlers.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)

Handler = Callable[..., Awaitable[Any]]
#: Claims of a valid access token whose user still holds it; raises ``AuthenticationError``.
Authenticator = Callable[[str], Awaitable[dict[str, Any]]]


class TokenBucket:
    """``rate_per_s`` tokens per second up to ``burst``; one token per client event.

    A per-connection bucket lives and dies with its connection (``limits``' MemoryStorage would
    start a timer thread per expiry window on this hot path).
    """

    __slots__ = ("burst", "rate_per_s", "stamp", "tokens")

    def __init__(self, rate_per_s: float, burst: float) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate_per_s)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass
class ClientState:
    """What the server tracks per connection (local to this process, like the connection)."""

    user_id: str | None
    bucket: TokenBucket
    subscriptions: set[str] = field(default_factory=set)
    last_throttle_notice: float = 0.0
    expires_at: float | None = None  # Unix seconds: the token's ``exp``
    expiry: asyncio.TimerHandle | None = None


class GuardedServer(socketio.AsyncServer):
    """``AsyncServer`` that screens client packets before dispatch: oversized messages and reserved
    or non-string event names go to :attr:`gateway` instead of to any handler."""

    gateway: SocketGateway | None = None

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if isinstance(data, str | bytes) and len(data) > MAX_CLIENT_MESSAGE_BYTES:
            self._binary_packet.pop(eio_sid, None)  # drop a half-received binary event with it
            sid = self.manager.sid_from_eio_sid(eio_sid, NAMESPACE)
            if sid is not None and self.gateway is not None:
                await self.gateway.on_oversized(sid, len(data))
            return
        await super()._handle_eio_message(eio_sid, data)

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: Any, data: Any) -> None:
        event = data[0] if isinstance(data, list) and data else None
        if not isinstance(event, str) or event in RESERVED_EVENTS:
            sid = self.manager.sid_from_eio_sid(eio_sid, namespace or NAMESPACE)
            if sid is not None and self.gateway is not None:
                await self.gateway.on_reserved(sid, event)
            return
        await super()._handle_event(eio_sid, namespace, id, data)


def build_server(settings: Settings) -> GuardedServer:
    """An ASGI Socket.IO server. With Redis, an ``AsyncRedisManager`` on ``{prefix}socketio``
    lets any process (``external_emitter``) reach clients of every replica. Nothing connects
    here: the manager opens Redis when :meth:`SocketGateway.start` initialises it.

    Engine.IO's own CORS handling is off: the HTTP app's CORS middleware answers for
    ``/socket.io/`` as for every route (two layers would send two ``Access-Control-Allow-Origin``
    headers, which browsers reject), and :meth:`SocketGateway.on_connect` checks the ``Origin``
    of every connection, WebSocket included, against ``settings.cors_origins``.
    """
    manager: socketio.AsyncManager
    if settings.redis_url:
        manager = socketio.AsyncRedisManager(settings.redis_url, channel=settings.redis_prefix + "socketio")
    else:
        manager = socketio.AsyncManager()
    return GuardedServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=[],
        async_handlers=False,
        # Engine.IO closes a connection over this; up to it, GuardedServer answers an ``error``.
        max_http_buffer_size=MAX_FRAME_BYTES,
        logger=False,
        engineio_logger=False,
    )


def external_emitter(settings: Settings) -> socketio.AsyncRedisManager:
    """A write-only manager for processes without sockets (scripts, workers) to emit to rooms
    of every API replica: ``await emitter.emit("alert", payload, room="general")``."""
    if not settings.redis_url:
        raise ValidationFailed(
            "An external Socket.IO emitter needs DELTASTREAM_REDIS_URL", code="redis_required"
        )
    return socketio.AsyncRedisManager(
        settings.redis_url, channel=settings.redis_prefix + "socketio", write_only=True
    )


def _guarded(handler: Handler) -> Handler:
    """Turn an unexpected handler failure into an ``error`` event instead of a dead handler."""

    @wraps(handler)
    async def run(self: SocketGateway, sid: str, *args: Any) -> Any:
        try:
            return await handler(self, sid, *args)
        except Exception as exc:
            log.error("socket_handler_error", handler=handler.__name__, client_id=sid, error=repr(exc))
            return await self._error(
                sid, DeltaStreamError("Internal error handling the event", code="internal_error")
            )

    return run


class SocketGateway:
    """Owns the ``AsyncServer`` and its handlers; the bridge pushes through :attr:`server`."""

    def __init__(self, settings: Settings, authenticate: Authenticator | None = None) -> None:
        self.settings = settings
        self._authenticate = authenticate
        self.server = build_server(settings)
        self.server.gateway = self
        self.clients: dict[str, ClientState] = {}
        self.products = [spec.name for spec in configured_products(settings)]
        self.feed_status: Callable[[], dict[str, Any]] | None = None
        """Set by the realtime component when a feed monitor runs: each new client gets it."""
        on = self.server.on
        on("connect", self.on_connect)
        on("disconnect", self.on_disconnect)
        on(EV_SUBSCRIBE, self.on_subscribe)
        on(EV_UNSUBSCRIBE, self.on_unsubscribe)
        on(EV_GET_PRODUCTS, self.on_get_products)
        on("*", self.on_unknown)

    def start(self) -> None:
        """Initialise the client manager now (with Redis: start its listener) rather than on
        the first connection, so emits from other processes work from start-up."""
        if not self.server.manager_initialized:
            self.server.manager_initialized = True
            self.server.manager.initialize()

    async def stop(self) -> None:
        await self.server.shutdown()
        manager = self.server.manager
        listener = getattr(manager, "thread", None)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
        for conn in (getattr(manager, "pubsub", None), getattr(manager, "redis", None)):
            if conn is not None:
                try:
                    await conn.aclose()
                except Exception as exc:
                    log.warning("socket_manager_close_failed", error=repr(exc))

    def asgi_app(self) -> socketio.ASGIApp:
        """The ASGI app serving ``/socket.io/`` (to mount at ``/socket.io`` in the HTTP app)."""
        return socketio.ASGIApp(self.server, socketio_path=SOCKETIO_PATH)

    async def _claims(self, auth: Any) -> dict[str, Any] | None:
        """Verified token claims from the connect ``auth`` payload, or ``None`` when anonymous
        reads are allowed. Refuses the connection with a message that says what to do."""
        token = auth.get("token") if isinstance(auth, dict) else auth if isinstance(auth, str) else None
        if auth is not None and not isinstance(auth, dict | str):
            raise socketio.exceptions.ConnectionRefusedError(
                "Invalid connect auth: send an object like {token: '<access token>'}",
                {"code": "invalid_auth"},
            )
        if token is None or token == "":
            if self.settings.public_reads:
                return None
            raise socketio.exceptions.ConnectionRefusedError(
                "Authentication required: connect with auth {token: '<access token>'}",
                {"code": "unauthorized"},
            )
        if not isinstance(token, str):
            raise socketio.exceptions.ConnectionRefusedError(
                "Invalid token: must be a string", {"code": "invalid_token"}
            )
        token = token.removeprefix("Bearer ").strip()
        try:
            if self._authenticate is not None:
                return await self._authenticate(token)
            return verify_access_token(self.settings, token)
        except AuthenticationError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                f"Authentication failed: {exc.message}", {"code": exc.code}
            ) from None

    def _check_origin(self, environ: dict[str, Any]) -> None:
        """Browsers send ``Origin``; a page from an origin outside ``cors_origins`` may not
        connect (CORS does not cover WebSockets). Clients without the header are not browsers."""
        origin = environ.get("HTTP_ORIGIN")
        allowed = self.settings.cors_origins
        if origin and "*" not in allowed and origin not in allowed:
            raise socketio.exceptions.ConnectionRefusedError(
                f"Origin {origin} is not allowed (DELTASTREAM_CORS_ORIGINS)", {"code": "origin_not_allowed"}
            )

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if sid in self.clients:  # never twice for one connection (GuardedServer screens injections)
            return
        self._check_origin(environ)
        claims = await self._claims(auth)
        user_id = str(claims["sub"]) if claims else None
        rooms = [ROOM_GENERAL] + ([user_room(user_id)] if user_id else [])
        for room in rooms:
            await self.server.enter_room(sid, room, namespace=NAMESPACE)
        state = ClientState(user_id=user_id, bucket=TokenBucket(EVENT_RATE_PER_S, EVENT_BURST))
        if claims:
            state.expires_at = float(claims["exp"])
            delay = max(0.0, state.expires_at - time.time())
            state.expiry = asyncio.get_running_loop().call_later(delay, self._expire_later, sid)
        self.clients[sid] = state
        SOCKET_CLIENTS.inc()
        log.debug("client_connected", client_id=sid, user_id=user_id, total_clients=len(self.clients))
        # The server queues its CONNECT ack only after this handler returns; greeting from a task
        # keeps ``connected`` after the ack, as the protocol requires.
        self.server.start_background_task(self._greet, sid, rooms)

    async def _greet(self, sid: str, rooms: list[str]) -> None:
        await self._reply(sid, EV_CONNECTED, {"message": CONNECTED_MESSAGE, "client_id": sid, "rooms": rooms})
        if self.feed_status is not None:
            await self._reply(sid, EV_FEED_STATUS, self.feed_status())

    def _expire_later(self, sid: str) -> None:
        self.server.start_background_task(self._expire, sid)

    async def _expire(self, sid: str) -> None:
        """The client's token has expired: downgrade to anonymous (public reads) or disconnect."""
        state = self.clients.get(sid)
        if state is None or state.user_id is None:
            return
        user_id, state.user_id, state.expires_at = state.user_id, None, None
        if state.expiry is not None:
            state.expiry.cancel()
            state.expiry = None
        await self.server.leave_room(sid, user_room(user_id), namespace=NAMESPACE)
        log.info(
            "socket_token_expired", client_id=sid, user_id=user_id, downgraded=self.settings.public_reads
        )
        if self.settings.public_reads:
            message = "Token expired: public data only now; reconnect with a fresh token for user events"
        else:
            message = "Token expired: reconnect with a fresh token"
        await self._error(sid, AuthenticationError(message, code="token_expired"))
        if not self.settings.public_reads:
            await self.server.disconnect(sid, namespace=NAMESPACE)

    async def on_reserved(self, sid: str, event: Any) -> None:
        """A client sent a reserved or non-string event name: counted, refused, never handled."""
        if self._admit(sid) is None:
            return
        shown = event if isinstance(event, str) else type(event).__name__
        await self._error(
            sid,
            ValidationFailed(
                f"Event name '{shown}' is reserved or invalid; it was ignored", code="reserved_event"
            ),
        )

    async def on_oversized(self, sid: str, size: int) -> None:
        if self._admit(sid) is None:
            return
        await self._error(
            sid,
            ValidationFailed(
                f"Message of {size} bytes dropped: at most {MAX_CLIENT_MESSAGE_BYTES} bytes per message",
                code="message_too_large",
            ),
        )

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        state = self.clients.pop(sid, None)
        if state is not None:
            if state.expiry is not None:
                state.expiry.cancel()
            SOCKET_CLIENTS.dec()
            log.debug(
                "client_disconnected", client_id=sid, reason=str(reason), remaining_clients=len(self.clients)
            )

    @_guarded
    async def on_subscribe(self, sid: str, data: Any = None) -> dict[str, Any] | None:
        state = self._admit(sid)
        if state is None:
            return None
        try:
            request = parse_subscription(data)
        except DeltaStreamError as exc:
            return await self._error(sid, exc)
        room = request.room
        if room not in state.subscriptions and len(state.subscriptions) >= self.settings.socket_max_rooms:
            return await self._error(
                sid,
                ValidationFailed(
                    f"Subscription limit reached: at most {self.settings.socket_max_rooms} rooms per "
                    "connection; unsubscribe from one first",
                    code="too_many_rooms",
                ),
            )
        await self.server.enter_room(sid, room, namespace=NAMESPACE)
        state.subscriptions.add(room)
        log.info("client_subscribed", client_id=sid, room=room)
        return await self._reply(sid, EV_SUBSCRIBED, {"room": room, "message": f"Subscribed to {room}"})

    @_guarded
    async def on_unsubscribe(self, sid: str, data: Any = None) -> dict[str, Any] | None:
        state = self._admit(sid)
        if state is None:
            return None
        try:
            request = parse_subscription(data)
        except DeltaStreamError as exc:
            return await self._error(sid, exc)
        room = request.room
        await self.server.leave_room(sid, room, namespace=NAMESPACE)
        state.subscriptions.discard(room)
        log.info("client_unsubscribed", client_id=sid, room=room)
        return await self._reply(sid, EV_UNSUBSCRIBED, {"room": room, "message": f"Unsubscribed from {room}"})

    @_guarded
    async def on_get_products(self, sid: str, data: Any = None) -> dict[str, Any] | None:
        if self._admit(sid) is None:
            return None
        return await self._reply(sid, EV_PRODUCTS, {"products": self.products})

    async def on_unknown(self, event: str, sid: str, *args: Any) -> dict[str, Any] | None:
        if self._admit(sid) is None:
            return None
        known = ", ".join((EV_SUBSCRIBE, EV_UNSUBSCRIBE, EV_GET_PRODUCTS))
        return await self._error(
            sid, ValidationFailed(f"Unknown event '{event}': send one of {known}", code="unknown_event")
        )

    def _admit(self, sid: str) -> ClientState | None:
        """The client's state if this event fits its rate budget; ``None`` drops the event."""
        state = self.clients.get(sid)
        if state is not None and state.expires_at is not None and time.time() >= state.expires_at:
            # The timer has not fired yet: expire now, and drop the event if that disconnects.
            self.server.start_background_task(self._expire, sid)
            if not self.settings.public_reads:
                return None
        if state is None or state.bucket.take():
            return state
        now = time.monotonic()
        if now - state.last_throttle_notice >= 1.0:
            state.last_throttle_notice = now
            error = RateLimitedError(
                f"Too many events: at most {EVENT_RATE_PER_S:g} per second; extra events are dropped"
            )
            self.server.start_background_task(self._reply, sid, EV_ERROR, error_payload(error))
        return None

    async def _reply(self, sid: str, event: str, body: dict[str, Any]) -> dict[str, Any]:
        # The client is connected here, so skip the Redis queue the manager would publish to.
        await self.server.emit(event, body, to=sid, namespace=NAMESPACE, ignore_queue=True)
        return body

    async def _error(self, sid: str, exc: DeltaStreamError) -> dict[str, Any]:
        return await self._reply(sid, EV_ERROR, error_payload(exc))
