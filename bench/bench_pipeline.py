"""Pipeline benchmark: enriched + persisted chains per second, and pipeline lag.

``python -m bench.bench_pipeline [--chains N] [--lag-seconds S]`` (pinned to one CPU core):

1. compute only: :func:`deltastream.enrichment.chain.enrich_chain` (IV + Greeks per quote, PCR,
   max pain, build-up, skew, GEX ...), one chain at a time and in batches of 64 (as the worker's
   batcher groups concurrent chains), against the seed's pure-Python per-chain enrichment
   (``bench.seed_reference.seed_enrich_chain``: PCR, ATM, straddle, O(n²) max pain, build-up;
   no IV, no Greeks) on the same chains: the ratio is ours / seed's chains per second;
2. enriched + persisted: :func:`deltastream.enrichment.service.enrich_and_store_chain` on
   embedded SQLite (previous-snapshot read, enrich, upsert, cache, publish), 64 in flight;
3. the whole embedded path: chains published on the in-process bus → dispatcher (validation) →
   in-memory taskiq broker → ``enrich_chain`` task → storage, until every chain is stored;
4. lag: the simulator at ``feed_interval`` 1.0 (default) and 0.1 (10×) through the whole
   embedded pipeline; lag = time an ``enriched:*`` event is received − its event timestamp,
   i.e. event → stored + cached + published.

Chains come from the feed simulator (21 strikes, 8 products × 4 expiries).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deltastream.core.bus import TOPIC_ENRICHED_CHAIN, TOPIC_ENRICHED_UNDERLYING, TOPIC_MARKET_CHAIN
from deltastream.core.jsonx import parse_ts
from deltastream.core.logging import configure_logging
from deltastream.enrichment import service
from deltastream.enrichment.chain import ChainInput, enrich_chain, enrich_chains
from deltastream.feed import OptionChain, get_product
from deltastream.feed.simulator import MarketSimulator
from deltastream.settings import Settings
from deltastream.wiring import ROLE_FEED, ROLE_WORKER, Runtime, build_runtime

START = datetime(2025, 1, 20, 4, 0, tzinfo=UTC)


def pin_one_core() -> str:
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})
    return f"cpu {cpus[-1]} of {len(cpus)}"


def settings_for(db: Path, **overrides: Any) -> Settings:
    return Settings(env="test", sqlite_path=db, log_level="ERROR", feed_seed=11, **overrides)


def simulated_chains(count: int) -> list[dict[str, Any]]:
    """``count`` validated chains as the dispatcher hands them to ``enrich_chain``."""
    settings = settings_for(Path("unused.db"), feed_chain_every=1)
    sim = MarketSimulator(settings)
    chains: list[dict[str, Any]] = []
    step = 0
    while len(chains) < count:
        now = START + timedelta(seconds=step)
        step += 1
        for topic, raw in sim.step(now):
            if topic == TOPIC_MARKET_CHAIN:
                chains.append(OptionChain.model_validate(raw).model_dump(mode="json"))
    return chains[:count]


def bench_compute(chains: list[dict[str, Any]], batch: int = 64) -> tuple[float, float, float | None]:
    """(ours one at a time, ours in batches, seed) chains per second, compute only.

    Ours includes the previous snapshot of the same product and expiry (OI change, build-up).
    """
    previous: dict[tuple[str, str], dict[str, Any]] = {}
    started = time.perf_counter()
    for chain in chains:
        key = (chain["product"], chain["expiry"])
        previous[key] = enrich_chain(
            chain, get_product(chain["product"]), previous.get(key), processed_at=START
        )
    single = len(chains) / (time.perf_counter() - started)
    items = [ChainInput(c, get_product(c["product"]), previous[(c["product"], c["expiry"])]) for c in chains]
    started = time.perf_counter()
    for i in range(0, len(items), batch):
        enrich_chains(items[i : i + batch], processed_at=START)
    batched = len(chains) / (time.perf_counter() - started)
    try:
        from bench.seed_reference import seed_enrich_chain
    except ImportError:
        return single, batched, None
    started = time.perf_counter()
    for chain in chains:
        seed_enrich_chain(chain)
    return single, batched, len(chains) / (time.perf_counter() - started)


async def bench_persist(chains: list[dict[str, Any]], db: Path, in_flight: int = 64) -> float:
    """Chains per second through ``enrich_and_store_chain`` on embedded SQLite."""
    runtime = build_runtime(settings_for(db), frozenset())
    await runtime.start()
    try:
        pipeline = runtime.task_queue.pipeline
        slots = asyncio.Semaphore(in_flight)

        async def one(chain: dict[str, Any]) -> bool:
            async with slots:
                return await service.enrich_and_store_chain(pipeline, chain)

        started = time.perf_counter()
        stored = await asyncio.gather(*(one(c) for c in chains))
        elapsed = time.perf_counter() - started
        assert all(stored), "every chain key is distinct, so every one must be new"
        return len(chains) / elapsed
    finally:
        await runtime.stop()


def _enrichment_runtime(settings: Settings, with_feed: bool = False) -> Runtime:
    wanted = {"enrichment-worker", "enrichment-dispatcher", *(["feed"] if with_feed else [])}
    return build_runtime(settings, frozenset({ROLE_WORKER, ROLE_FEED}), components=wanted)


async def bench_full_path(chains: list[dict[str, Any]], db: Path) -> float:
    """Chains per second from ``market:option_chain`` on the bus to stored, embedded."""
    settings = settings_for(db, bus_queue_size=len(chains) + 10)
    runtime = _enrichment_runtime(settings)
    await runtime.start()
    try:
        done = await runtime.bus.subscribe(TOPIC_ENRICHED_CHAIN, maxsize=len(chains) + 10)
        started = time.perf_counter()
        for chain in chains:
            await runtime.bus.publish(TOPIC_MARKET_CHAIN, chain)
        for _ in chains:
            await done.get(timeout=60)
        return len(chains) / (time.perf_counter() - started)
    finally:
        await runtime.stop()


async def bench_lag(db: Path, feed_interval: float, seconds: float) -> dict[str, Any]:
    """Lag percentiles (ms) of enriched ticks and chains with the simulator at ``feed_interval``."""
    settings = settings_for(db, feed_interval=feed_interval)
    runtime = _enrichment_runtime(settings, with_feed=True)
    await runtime.start()
    lags: dict[str, list[float]] = {TOPIC_ENRICHED_UNDERLYING: [], TOPIC_ENRICHED_CHAIN: []}
    try:
        sub = await runtime.bus.subscribe(*lags)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = await sub.get(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            received = datetime.now(UTC)
            lags[message.topic].append(
                (received - parse_ts(message.payload["timestamp"])).total_seconds() * 1e3
            )
    finally:
        await runtime.stop()

    def pct(values: list[float], q: float) -> float:
        return (
            statistics.quantiles(values, n=100, method="inclusive")[q - 1]
            if len(values) > 1
            else float("nan")
        )

    return {
        topic.split(":")[1]: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
        for topic, v in lags.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=4000)
    parser.add_argument("--lag-seconds", type=float, default=20.0)
    args = parser.parse_args()
    configure_logging("ERROR", "console")
    core = pin_one_core()
    print(f"machine: {platform.processor() or platform.machine()}, {core}, load {os.getloadavg()[0]:.2f}")

    chains = simulated_chains(args.chains)
    # The inputs stay alive for the whole run; keep the collector from rescanning them.
    gc.collect()
    gc.freeze()
    single, batched, seed = bench_compute(chains)
    print(f"compute only, one chain at a time: {single:,.0f} chains/s")
    print(f"compute only, batches of 64: {batched:,.0f} chains/s")
    if seed:
        print(
            f"seed pure-Python enrichment: {seed:,.0f} chains/s; ours/seed {single / seed:.2f}x one at a time, "
            f"{batched / seed:.2f}x batched (ours also solves IV + Greeks per quote)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        persisted = asyncio.run(bench_persist(chains, Path(tmp) / "persist.db"))
        print(f"enriched + persisted (SQLite, 64 in flight): {persisted:,.0f} chains/s (target >= 2,000)")
        if seed:
            print(f"  vs seed compute only: {persisted / seed:.2f}x")
        full = asyncio.run(bench_full_path(chains, Path(tmp) / "full.db"))
        print(f"bus -> dispatcher -> taskiq in-memory -> stored: {full:,.0f} chains/s")
        for interval in (1.0, 0.1):
            result = asyncio.run(bench_lag(Path(tmp) / f"lag{interval}.db", interval, args.lag_seconds))
            for kind, r in result.items():
                print(
                    f"lag at feed_interval {interval}: {kind}: n={r['n']} "
                    f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
                )


if __name__ == "__main__":
    main()
