"""Routing: which server event, to which rooms, each bus message becomes.

| bus topic               | event               | rooms                                     |
|-------------------------|---------------------|-------------------------------------------|
| `enriched:underlying`   | `underlying_update` | `general`, `product:{p}`                  |
| `enriched:option_chain` | `chain_summary`     | `general`, `chain:{p}`                    |
|                         | `chain_update`      | `chain:{p}`, `chain:{p}:{expiry}`         |
| `enriched:ohlc`         | `ohlc_update`       | `product:{p}`                             |
| `enriched:surface`      | `surface_update`    | `product:{p}`, `chain:{p}`                |
| `alerts:fired`          | `alert`             | `user:{user_id}`, else `general`          |

Each row is one broadcast: a client in several of its rooms receives it once. `general` carries
one small event per tick and per chain of every product, nothing more: candles are republished on
every tick for each of the 1/5/15-minute windows (three times the tick rate), surfaces are
expiries x strikes, and full chains are large, so those go only to the rooms that asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from deltastream.core import jsonx
from deltastream.core.bus import (
    TOPIC_ALERTS,
    TOPIC_ENRICHED_CHAIN,
    TOPIC_ENRICHED_OHLC,
    TOPIC_ENRICHED_SURFACE,
    TOPIC_ENRICHED_UNDERLYING,
    Message,
)
from deltastream.realtime.schemas import (
    CHAIN_SUMMARY_FIELDS,
    EV_ALERT,
    EV_CHAIN,
    EV_CHAIN_SUMMARY,
    EV_OHLC,
    EV_SURFACE,
    EV_UNDERLYING,
    ROOM_GENERAL,
    chain_room,
    product_room,
    user_room,
)

BRIDGED_TOPICS = ("enriched:*", TOPIC_ALERTS)


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One server event: ``raw`` JSON bytes to the union of ``rooms``."""

    event: str
    rooms: tuple[str, ...]
    raw: bytes


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def broadcasts_for(message: Message) -> list[Broadcast]:
    """The broadcasts one bus message produces (empty for topics the sockets don't carry).

    The full payloads go out as the bus delivered them (``message.raw()``, never re-encoded);
    only ``chain_summary`` is built here, and encoded once.
    """
    payload = message.payload
    product = _text(payload.get("product"))
    topic = message.topic
    if topic == TOPIC_ALERTS:
        user_id = payload.get("user_id")
        owner = str(user_id) if isinstance(user_id, str | int) and str(user_id) else None
        return [Broadcast(EV_ALERT, (user_room(owner),) if owner else (ROOM_GENERAL,), message.raw())]
    if topic == TOPIC_ENRICHED_UNDERLYING:
        return [Broadcast(EV_UNDERLYING, _general_and(product), message.raw())]
    if product is None:
        return []
    if topic == TOPIC_ENRICHED_OHLC:
        return [Broadcast(EV_OHLC, (product_room(product),), message.raw())]
    if topic == TOPIC_ENRICHED_SURFACE:
        return [Broadcast(EV_SURFACE, (product_room(product), chain_room(product)), message.raw())]
    if topic == TOPIC_ENRICHED_CHAIN:
        summary = {name: payload.get(name) for name in CHAIN_SUMMARY_FIELDS}
        expiry = _text(payload.get("expiry"))
        chain_rooms = (chain_room(product),) + ((chain_room(product, expiry),) if expiry else ())
        return [
            Broadcast(EV_CHAIN_SUMMARY, (ROOM_GENERAL, chain_room(product)), jsonx.dumps(summary)),
            Broadcast(EV_CHAIN, chain_rooms, message.raw()),
        ]
    return []


def _general_and(product: str | None) -> tuple[str, ...]:
    return (ROOM_GENERAL, product_room(product)) if product else (ROOM_GENERAL,)
