"""Feed use cases: choose a source from settings, and pump a source onto the bus.

``DELTASTREAM_FEED_SOURCE`` selects the source:

* ``simulator`` (default): :class:`~deltastream.feed.simulator.MarketSimulator`;
* ``replay:FILE`` or ``replay:FILE?speed=10``: :class:`~deltastream.feed.replay.ReplaySource`
  (speed 1 by default, 0 = as fast as possible);
* ``vendor:package.module:ClassName``: a :class:`~deltastream.feed.vendor.VendorAdapter`
  subclass, built as ``ClassName(settings, on_reject=...)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from deltastream.core.bus import EventBus
from deltastream.core.bus.base import stamp
from deltastream.core.errors import DeltaStreamError
from deltastream.core.logging import get_logger
from deltastream.feed.sources import FeedSource
from deltastream.feed.validation import RejectHandler, to_payload, topic_for
from deltastream.settings import Settings

log = get_logger("feed")

Published = Callable[[str, dict[str, Any]], Awaitable[None] | None]


def _config_error(message: str) -> DeltaStreamError:
    return DeltaStreamError(message, code="config_error", status_code=500)


def split_replay_spec(spec: str) -> tuple[str, str]:
    """``"FILE?speed=10"`` → ``("FILE", "10")``; no query → speed ``"1"``."""
    path, _, query = spec.partition("?speed=")
    return path, (query or "1")


def build_source(settings: Settings, *, on_reject: RejectHandler | None = None) -> FeedSource:
    """The source named by ``settings.feed_source`` (see the module docstring)."""
    kind, _, arg = settings.feed_source.partition(":")
    if kind == "simulator" and not arg:
        from deltastream.feed.simulator import MarketSimulator

        return MarketSimulator(settings, on_reject=on_reject)
    if kind == "replay" and arg:
        from deltastream.feed.replay import ReplaySource

        path, speed = split_replay_spec(arg)
        return ReplaySource(path, speed=speed, on_reject=on_reject)
    if kind == "vendor" and ":" in arg:
        module_name, _, class_name = arg.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            raise _config_error(
                f"DELTASTREAM_FEED_SOURCE={settings.feed_source}: cannot load it ({exc})"
            ) from None
        source: FeedSource = factory(settings, on_reject=on_reject)
        return source
    raise _config_error(
        f"DELTASTREAM_FEED_SOURCE={settings.feed_source!r} is not a source: use simulator, "
        "replay:FILE[?speed=N] or vendor:package.module:ClassName"
    )


async def pump(source: FeedSource, bus: EventBus, on_published: Published | None = None) -> int:
    """Publish every event of ``source`` on ``bus`` until the source ends; return the count.

    The published payload is the event's JSON form stamped with the schema version, the same
    dict subscribers receive; ``on_published(topic, payload)`` sees each one (recording, stats).
    A failed publish (Redis away) loses that message, is logged, and the feed carries on.
    """
    count = failures = 0
    async for event in source.stream():
        topic = topic_for(event)
        payload = stamp(to_payload(event))
        try:
            await bus.publish(topic, payload)
        except Exception as exc:  # a bus outage must not end the feed; the next tick retries
            failures += 1
            if failures == 1 or failures % 100 == 0:
                log.warning("feed_publish_failed", topic=topic, failures=failures, error=repr(exc))
            continue
        count += 1
        if on_published is not None:
            result = on_published(topic, payload)
            if result is not None:
                await result
    return count
