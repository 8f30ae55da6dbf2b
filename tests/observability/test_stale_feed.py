"""Stale-feed detection end to end: kill the feed, the age metric climbs and /health says so."""

from __future__ import annotations

import re
from typing import Any

from deltastream.core.bus import TOPIC_MARKET_UNDERLYING, InProcessBus
from deltastream.core.lifecycle import Supervisor
from deltastream.feed.monitor import FeedMonitor
from deltastream.settings import Settings
from deltastream.wiring import ALL_ROLES
from tests.fixtures.api import running_api
from tests.fixtures.runtimes import wait_until


def _age(metrics: str, product: str) -> float:
    found = re.search(rf'^deltastream_feed_last_tick_age_seconds{{product="{product}"}} (\S+)$', metrics, re.M)
    assert found, f"no age series for {product}"
    return float(found.group(1))


async def test_killing_the_feed_makes_the_age_climb_and_health_report_stale(settings: Settings) -> None:
    settings = settings.model_copy(update={"stale_after_seconds": 0.5})
    async with running_api(settings, ALL_ROLES) as api:
        runtime = api.runtime
        assert runtime.feed is not None and runtime.feed_monitor is not None
        product = runtime.feed_monitor.products[0]

        async def ticking() -> bool:
            return bool(runtime.feed_monitor and runtime.feed_monitor.snapshot()[product]["ticked"])

        await wait_until(ticking)
        healthy = (await api.client.get("/health")).json()
        assert healthy["feeds"][product]["stale"] is False
        assert healthy["checks"]["feed"] == "ok"

        await runtime.feed.stop()  # the feed dies; the rest of the process lives on
        first = _age((await api.client.get("/metrics")).text, product)

        async def reported_stale() -> bool:
            body = (await api.client.get("/health")).json()
            return bool(body["feeds"][product]["stale"])

        await wait_until(reported_stale, timeout_s=10)
        body: dict[str, Any] = (await api.client.get("/health")).json()
        later = _age((await api.client.get("/metrics")).text, product)

        assert later > first and later > 0.5
        assert body["status"] == "degraded"
        assert product in body["checks"]["feed"] and body["checks"]["feed"].startswith("stale")
        assert body["feeds"][product]["last_tick_age_seconds"] > 0.5
        assert re.search(rf'^deltastream_feed_stale{{product="{product}"}} 1\.0$', (await api.client.get("/metrics")).text, re.M)
        ready = await api.client.get("/ready")
        assert "feed" not in ready.json().get("checks", ready.json().get("error", {}).get("details", {}).get("checks", {}))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_monitor_ages_each_product_on_its_own_and_recovers_on_a_tick(settings: Settings) -> None:
    settings = settings.model_copy(update={"stale_after_seconds": 10.0})
    clock = FakeClock()
    bus = InProcessBus()
    monitor = FeedMonitor(settings, bus, Supervisor(), clock=clock)
    first, second = monitor.products[:2]
    await monitor.start()
    try:
        clock.now += 5
        assert monitor.stale_products() == [], "a fresh monitor is not stale before the threshold"
        monitor.seen(first)
        clock.now += 6
        assert monitor.stale_products() == [p for p in monitor.products if p != first]
        assert monitor.snapshot()[first] == {"stale": False, "last_tick_age_seconds": 6.0, "ticked": True}
        assert monitor.snapshot()[second]["ticked"] is False and monitor.snapshot()[second]["stale"] is True

        await bus.publish(TOPIC_MARKET_UNDERLYING, {"product": second, "price": 1.0})
        await bus.publish(TOPIC_MARKET_UNDERLYING, {"product": "NOT_A_PRODUCT", "price": 1.0})

        async def second_fresh() -> bool:
            return not monitor.is_stale(second)

        await wait_until(second_fresh)
        assert monitor.age(second) == 0.0
        assert "NOT_A_PRODUCT" not in monitor.snapshot()
    finally:
        await monitor.stop()
