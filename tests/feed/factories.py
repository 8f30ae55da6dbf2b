"""Small builders for feed tests: a fixed clock and simulator output as plain dicts."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING
from deltastream.feed.simulator import MarketSimulator
from deltastream.feed.validation import to_payload, validate_message
from deltastream.settings import Settings

# A Monday morning UTC: Indian and US sessions are both open or ahead on this day.
T0 = datetime(2025, 1, 20, 4, 0, tzinfo=UTC)


class SteppingClock:
    """Returns ``start``, then ``start + step``, ... on each call."""

    def __init__(self, start: datetime = T0, step_s: float = 1.0) -> None:
        self.now = start
        self.step = timedelta(seconds=step_s)

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


def simulate(settings: Settings, rounds: int, *, start: datetime = T0) -> list[tuple[str, dict[str, Any]]]:
    """``rounds`` simulator intervals on a fixed clock, as published ``(topic, payload)`` pairs."""
    sim = MarketSimulator(settings, clock=SteppingClock(start, settings.feed_interval))
    out = []
    for _ in range(rounds):
        for topic, raw in sim.step():
            out.append((topic, to_payload(validate_message(raw, topic))))
    return out


def make_tick(settings: Settings, **overrides: Any) -> dict[str, Any]:
    tick = next(p for t, p in simulate(settings, 1) if t == TOPIC_MARKET_UNDERLYING)
    return {**tick, **overrides}


def make_chain(settings: Settings, **overrides: Any) -> dict[str, Any]:
    chain = next(p for t, p in simulate(settings, settings.feed_chain_every) if t == TOPIC_MARKET_CHAIN)
    return {**copy.deepcopy(chain), **overrides}
