"""Replay of a recorded session (JSON Lines or CSV, see :mod:`.recording`) as a feed source.

Timing follows the recording: the gap between two messages' ``timestamp`` fields, divided by
``speed``, is waited before the second one (``speed=0`` replays as fast as possible). Messages
keep their recorded content (timestamps and tick ids included), so a replay republishes exactly
what was recorded. Each message is validated like any other source's; bad lines are dead-lettered
and skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Container
from datetime import datetime
from pathlib import Path
from typing import Any

from deltastream.core.errors import DeltaStreamError
from deltastream.core.jsonx import parse_ts
from deltastream.feed.products import PRODUCTS
from deltastream.feed.recording import read_records
from deltastream.feed.sources import EdgeSource
from deltastream.feed.validation import MarketEvent, Rejected, RejectHandler

Sleep = Callable[[float], Awaitable[Any]]


def parse_speed(value: str | float) -> float:
    """``10``, ``"10"``, ``"10x"`` → 10.0; ``0`` means as fast as possible; negative is refused."""
    text = str(value).strip().lower().removesuffix("x")
    try:
        speed = float(text)
    except ValueError:
        raise DeltaStreamError(f"invalid replay speed {value!r}: use a number such as 10 or 10x") from None
    if speed < 0 or speed != speed:
        raise DeltaStreamError(f"invalid replay speed {value!r}: must be 0 (as fast as possible) or more")
    return speed


def _event_time(payload: Any) -> datetime | None:
    if not isinstance(payload, dict):
        return None
    value = payload.get("timestamp")
    if not isinstance(value, str):
        return None
    try:
        return parse_ts(value)
    except ValueError:
        return None


class ReplaySource(EdgeSource):
    """A :class:`~deltastream.feed.sources.FeedSource` reading a recorded session once, then ending.

    ``consumed``/``size`` (bytes) give progress; ``published`` counts the events yielded.
    """

    name = "replay"

    def __init__(
        self,
        path: str | Path,
        *,
        speed: float | str = 1.0,
        on_reject: RejectHandler | None = None,
        products: Container[str] = PRODUCTS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(on_reject=on_reject, products=products)
        self.path = Path(path)
        if not self.path.is_file():
            raise DeltaStreamError(f"replay file not found: {self.path}", code="not_found", status_code=404)
        self.speed = parse_speed(speed)
        self.size = self.path.stat().st_size
        self.consumed = 0
        self._sleep = sleep

    async def stream(self) -> AsyncIterator[MarketEvent]:
        loop = asyncio.get_running_loop()
        origin: tuple[datetime, float] | None = None
        for record in read_records(self.path):
            self.consumed = record.consumed
            if record.reason is not None:
                await self.reject(Rejected(record.reason, record.error, record.payload, record.topic))
                continue
            at = _event_time(record.payload)
            if self.speed > 0 and at is not None:
                if origin is None:
                    origin = (at, loop.time())
                due = origin[1] + (at - origin[0]).total_seconds() / self.speed
                await self._sleep(max(due - loop.time(), 0.0))
            else:
                await self._sleep(0)  # let subscribers drain between messages
            event = await self.admit(record.payload, record.topic)
            if event is not None:
                yield event
        self.consumed = self.size
