"""The periodic summary line (issue 10): at the default level a running process prints one INFO
line per interval with ticks/s, chains/s, pipeline lag p95, socket clients and dead letters,
read from this process's own components."""

from __future__ import annotations

import asyncio
import json

import pytest

from deltastream.app import create_app
from deltastream.core.bus import TOPIC_MARKET_UNDERLYING
from deltastream.core.logging import configure_logging
from deltastream.core.summary import CountingDeadLetters, PipelineStats
from deltastream.settings import Settings
from deltastream.wiring import ALL_ROLES, ROLE_API, ROLE_FEED, ROLE_WORKER, build_runtime
from tests.realtime.conftest import ClientFactory, serve, until


def test_lag_p95_is_the_nearest_rank_of_the_interval_and_consumes_it() -> None:
    stats = PipelineStats()
    assert stats.take_lag_p95() is None
    for ms in range(1, 101):  # 1..100 ms, shuffled order must not matter
        stats.stored_tick(((ms * 37) % 100 + 1) / 1000.0)
    assert stats.take_lag_p95() == pytest.approx(0.095)
    assert stats.ticks == 100
    assert stats.take_lag_p95() is None  # the next interval starts empty
    stats.stored_chain(2.0)
    assert stats.take_lag_p95() == 2.0 and stats.chains == 1


async def test_counting_sink_counts_what_it_stored() -> None:
    stored: list[dict[str, object]] = []

    class Sink:
        async def add_dead_letter(self, record: dict[str, object]) -> str:
            stored.append(record)
            return str(len(stored))

    sink = CountingDeadLetters(Sink())
    assert await sink.add_dead_letter({"a": 1}) == "1"
    assert await sink.add_dead_letter({"a": 2}) == "2"
    assert sink.count == 2 and len(stored) == 2


def test_each_role_reports_the_figures_it_has(settings: Settings) -> None:
    def fields(roles: frozenset[str]) -> set[str]:
        rt = build_runtime(settings, roles)
        assert rt.summary is not None and rt.components[0] is rt.summary
        return set(rt.summary.snapshot())

    every = {"ticks_per_s", "chains_per_s", "lag_p95_ms", "socket_clients", "dead_letters"}
    assert fields(ALL_ROLES) == every
    assert fields(frozenset({ROLE_API})) == {"socket_clients", "dead_letters"}
    assert fields(frozenset({ROLE_FEED})) == {"ticks_per_s", "chains_per_s", "dead_letters"}
    assert fields(frozenset({ROLE_WORKER})) == {"ticks_per_s", "chains_per_s", "lag_p95_ms", "dead_letters"}
    # commands that only open storage (dead-letters list) or only publish (replay to Redis) print none
    assert build_runtime(settings, frozenset()).summary is None
    assert build_runtime(settings, frozenset({ROLE_FEED}), components={"feed"}).summary is None


async def test_the_running_app_logs_its_figures_at_info(
    settings: Settings, connect: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet_feed = {"summary_interval": 0.5, "feed_interval": 0.2, "feed_products": ["NIFTY"]}
    app = create_app(settings.model_copy(update=quiet_feed), ALL_ROLES)
    configure_logging("INFO", "json")
    try:
        async with serve(app) as srv:
            rt = srv.runtime
            assert rt.summary is not None and rt.realtime is not None
            probes = rt.summary.probes
            assert probes.dead_letters is not None and probes.ticks is not None
            dead, ticks, gateway = probes.dead_letters, probes.ticks, rt.realtime.gateway
            await connect(srv.url)
            await connect(srv.url)
            await until(lambda: len(gateway.clients) == 2)
            # one rejected market message: the dispatcher dead-letters it
            await rt.bus.publish(TOPIC_MARKET_UNDERLYING, {"product": "NIFTY", "price": "not a price"})
            await until(lambda: dead() >= 1)
            await until(lambda: ticks() > 0)
            lines: list[dict[str, object]] = []
            async with asyncio.timeout(10):
                while not any(
                    ln.get("socket_clients") == 2 and ln.get("lag_p95_ms") is not None
                    and float(str(ln["ticks_per_s"])) > 0 for ln in lines
                ):
                    await asyncio.sleep(0.2)
                    lines += [
                        json.loads(ln) for ln in capsys.readouterr().out.splitlines() if '"summary"' in ln
                    ]
    finally:
        configure_logging("WARNING", "json")
    line = next(ln for ln in lines if ln.get("socket_clients") == 2 and ln.get("lag_p95_ms") is not None)
    assert line["level"] == "info" and line["service"] == "summary"
    assert float(str(line["chains_per_s"])) >= 0
    assert 0 <= float(str(line["lag_p95_ms"])) < 60_000
    assert int(str(line["dead_letters"])) >= 1
