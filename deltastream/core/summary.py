"""The one INFO line a running process prints every ``DELTASTREAM_SUMMARY_INTERVAL`` seconds.

``summary ticks_per_s=… chains_per_s=… lag_p95_ms=… socket_clients=… dead_letters=…``: what a
person watching ``make run`` needs, in place of per-task and per-request lines (those are DEBUG).
The composition root hands :class:`SummaryComponent` its figures as explicit probes (plain
callables over the components of this process); a figure this process does not have (socket
clients in a worker) is left out of the line.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deltastream.core.deadletters import DeadLetterSink
from deltastream.core.lifecycle import Supervisor
from deltastream.core.logging import get_logger

log = get_logger("summary")

LAG_SAMPLES = 20_000  # the p95 is over the newest samples of an interval, at most this many


@dataclass
class PipelineStats:
    """What the enrichment pipeline of this process stored, and how late (event time to stored)."""

    ticks: int = 0
    chains: int = 0
    _lags: deque[float] = field(default_factory=lambda: deque(maxlen=LAG_SAMPLES))

    def stored_tick(self, lag_s: float) -> None:
        self.ticks += 1
        self._lags.append(lag_s)

    def stored_chain(self, lag_s: float) -> None:
        self.chains += 1
        self._lags.append(lag_s)

    def take_lag_p95(self) -> float | None:
        """The 95th percentile (nearest rank) of the lags since the last call, in seconds; None if
        nothing was stored since. The samples are consumed."""
        if not self._lags:
            return None
        ordered = sorted(self._lags)
        self._lags.clear()
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


class CountingDeadLetters:
    """A :class:`DeadLetterSink` that counts what this process dead-lettered through it."""

    def __init__(self, sink: DeadLetterSink) -> None:
        self._sink = sink
        self.count = 0

    async def add_dead_letter(self, record: dict[str, Any]) -> str:
        dead_letter_id = await self._sink.add_dead_letter(record)
        self.count += 1
        return dead_letter_id


@dataclass(frozen=True)
class SummaryProbes:
    """Readers of this process's figures; None where the process has no such figure."""

    ticks: Callable[[], int] | None = None  # running totals
    chains: Callable[[], int] | None = None
    lag_p95_s: Callable[[], float | None] | None = None  # over the interval (consumes samples)
    socket_clients: Callable[[], int] | None = None
    dead_letters: Callable[[], int] | None = None  # running total


class SummaryComponent:
    """Logs :meth:`snapshot` at INFO every ``interval_s`` seconds while started."""

    name = "summary"

    def __init__(self, probes: SummaryProbes, supervisor: Supervisor, interval_s: float) -> None:
        self.probes = probes
        self.interval_s = interval_s
        self._supervisor = supervisor
        self._task: asyncio.Task[Any] | None = None
        self._at = time.monotonic()
        self._counts = (0, 0)

    def _totals(self) -> tuple[int, int]:
        p = self.probes
        return (p.ticks() if p.ticks else 0, p.chains() if p.chains else 0)

    def reset(self) -> None:
        """Start a new interval now (the first one starts at :meth:`start`)."""
        self._at, self._counts = time.monotonic(), self._totals()

    def snapshot(self) -> dict[str, Any]:
        """The figures of the interval since the last snapshot (or :meth:`reset`); starts the next."""
        now = time.monotonic()
        elapsed = max(now - self._at, 1e-9)
        totals = self._totals()
        p = self.probes
        out: dict[str, Any] = {}
        if p.ticks:
            out["ticks_per_s"] = round((totals[0] - self._counts[0]) / elapsed, 1)
        if p.chains:
            out["chains_per_s"] = round((totals[1] - self._counts[1]) / elapsed, 1)
        if p.lag_p95_s:
            lag = p.lag_p95_s()
            out["lag_p95_ms"] = None if lag is None else round(lag * 1000.0, 1)
        if p.socket_clients:
            out["socket_clients"] = p.socket_clients()
        if p.dead_letters:
            out["dead_letters"] = p.dead_letters()
        self._at, self._counts = now, totals
        return out

    async def start(self) -> None:
        self.reset()
        self._task = self._supervisor.spawn(self._run(), name="summary")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=1.0)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            log.info("summary", **self.snapshot())
