"""Enrichment use cases: each takes validated JSON-safe input, stores, caches, then publishes.

Order within every use case: compute → store (idempotent upsert) → cache → publish. Nothing is
cached or published for a tick or chain whose key was already stored (candles deduplicate on
their last tick time, see :mod:`~deltastream.enrichment.ohlc`), so a redelivered message is a
no-op downstream too. A record older than the one already cached as "latest" is stored (and
counted) but neither overwrites the latest keys nor is published, so realtime clients never see
time run backwards after a retry.

Publishing is therefore at most once per key: if a task fails after its upsert (the cache is
unreachable, say), its retry finds the key stored and publishes nothing. The next tick or chain
of the same product refreshes the cache and the subscribers.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from taskiq.exceptions import SendTaskError

from deltastream.core import jsonx
from deltastream.core.bus import (
    TOPIC_ENRICHED_CHAIN,
    TOPIC_ENRICHED_OHLC,
    TOPIC_ENRICHED_SURFACE,
    TOPIC_ENRICHED_UNDERLYING,
)
from deltastream.core.clock import utcnow
from deltastream.core.deadletters import DeadLetterSink, record_dead_letter
from deltastream.core.jsonx import parse_ts
from deltastream.core.logging import get_logger
from deltastream.core.metrics import (
    CHAINS_ENRICHED_TOTAL,
    ENRICHMENT_SECONDS,
    PCR_OI,
    PIPELINE_LAG_SECONDS,
    SPOT_PRICE,
    STORAGE_WRITE_ERRORS_TOTAL,
    TICKS_TOTAL,
    observe_stage,
)
from deltastream.enrichment import chain as chain_math
from deltastream.enrichment import keys, ohlc
from deltastream.enrichment import surface as surface_math
from deltastream.enrichment.events import MARKET_TOPICS, EnrichedTick, Surface
from deltastream.enrichment.pipeline import Pipeline
from deltastream.feed import (
    OptionChain,
    Rejected,
    UnderlyingTick,
    expiry_instant,
    get_product,
    validate_message,
)

log = get_logger("enrichment")

SCHEMA_VERSION = 1
_T = TypeVar("_T")


def _lag_s(event_ts: datetime) -> float:
    return max(0.0, (utcnow() - event_ts).total_seconds())


async def _store(kind: str, write: Awaitable[_T]) -> _T:
    """Await one storage write: its time is the ``storage_write`` stage, a failure is counted in
    ``deltastream_storage_write_errors_total{kind}`` and re-raised (the task retries it)."""
    started = time.perf_counter()
    try:
        return await write
    except Exception:
        STORAGE_WRITE_ERRORS_TOTAL.labels(kind=kind).inc()
        raise
    finally:
        observe_stage("storage_write", time.perf_counter() - started)


async def _cached(write: Awaitable[object]) -> None:
    """Await one cache write of a result (the ``cache_write`` stage)."""
    started = time.perf_counter()
    try:
        await write
    finally:
        observe_stage("cache_write", time.perf_counter() - started)


async def _newer_is_cached(pipeline: Pipeline, key: str, ts: datetime) -> bool:
    """True if the cached record under ``key`` has a timestamp after ``ts``."""
    cached = await pipeline.cache.get(key)
    return cached is not None and parse_ts(cached["timestamp"]) > ts


async def session_open(pipeline: Pipeline, product: str, price: float, ts: datetime) -> float:
    """The price of the earliest tick of ``ts``'s UTC day seen for ``product``.

    Kept in the cache (``session_open:{p}:{YYYY-MM-DD}``, 36 h TTL); an earlier tick seen later
    (a retry) replaces it, so the open does not depend on delivery order. If the cache is lost
    (a Redis restart without persistence) the next tick becomes the open.
    """
    key = keys.session_open(product, ts.date())
    current = await pipeline.cache.get(key)
    if current is not None and parse_ts(current["timestamp"]) <= ts:
        return float(current["price"])
    await pipeline.cache.set(key, {"price": price, "timestamp": ts}, keys.SESSION_OPEN_TTL_S)
    return price


async def process_tick(pipeline: Pipeline, tick: Mapping[str, Any]) -> bool:
    """Store, cache and publish one underlying tick; True if its (product, timestamp) was new.

    The enriched tick is the input plus ``change``/``change_pct`` (percent) against the session
    open (see :func:`session_open`), ``session_open`` itself and ``processed_at``.
    """
    product = str(tick["product"])
    ts = parse_ts(tick["timestamp"])
    price = float(tick["price"])
    open_price = await session_open(pipeline, product, price, ts)
    computed = time.perf_counter()
    change = price - open_price
    record: EnrichedTick = {
        "type": "UNDERLYING_ENRICHED",
        "product": product,
        "price": price,
        "timestamp": ts,
        "tick_id": int(tick.get("tick_id") or 0),
        "volume": int(tick.get("volume") or 0),
        "session_open": open_price,
        "change": round(change, 4),
        "change_pct": round(change / open_price * 100.0, 4) if open_price else 0.0,
        "processed_at": utcnow(),
        "schema": SCHEMA_VERSION,
    }
    observe_stage("enrich_compute", time.perf_counter() - computed)
    if not await _store("tick", pipeline.repo.upsert_tick(record)):
        return False
    lag = _lag_s(ts)
    PIPELINE_LAG_SECONDS.observe(lag)
    pipeline.stats.stored_tick(lag)
    TICKS_TOTAL.labels(product=product).inc()
    key = keys.latest_underlying(product)
    if await _newer_is_cached(pipeline, key, ts):
        return True
    SPOT_PRICE.labels(product=product).set(price)
    await _cached(pipeline.cache.set(key, record, pipeline.settings.cache_ttl))
    await pipeline.bus.publish(TOPIC_ENRICHED_UNDERLYING, record)
    return True


async def update_candles(pipeline: Pipeline, tick: Mapping[str, Any]) -> list[ohlc.Candle]:
    """Fold one tick into the 1/5/15-minute candles of its product; returns the candles it changed.

    Every changed candle is upserted (last write wins on (product, window, start_time), so the
    in-progress candle is always stored and a window that never sees another tick is not lost),
    cached under ``ohlc:{p}:{w}m`` for one window, and published on ``enriched:ohlc``. A candle
    closed by this tick is upserted and published once more with ``closed: true``.
    """
    product = str(tick["product"])
    ts = parse_ts(tick["timestamp"])
    price = float(tick["price"])
    changed: list[ohlc.Candle] = []
    # One lock per product: the read-modify-write of the three candle states must not interleave
    # with another tick of the same product running concurrently in this worker.
    async with pipeline.lock(f"ohlc:{product}"):
        for window in keys.OHLC_WINDOWS_MIN:
            key = keys.ohlc(product, window)
            state = await pipeline.cache.get(key)
            computed = time.perf_counter()
            update = ohlc.apply_tick(state, product, window, price, ts)
            observe_stage("enrich_compute", time.perf_counter() - computed)
            if not update.changed:
                continue
            for candle in (update.closed, update.current):
                if candle is None:
                    continue
                candle["schema"] = SCHEMA_VERSION
                await _store("candle", pipeline.repo.upsert_candle(candle))
                await pipeline.bus.publish(TOPIC_ENRICHED_OHLC, candle)
                changed.append(candle)
            await _cached(pipeline.cache.set(key, update.current, window * 60))
    return changed


async def _previous_chain(
    pipeline: Pipeline, product: str, expiry: str, ts: datetime, latest_ts: datetime | None
) -> Mapping[str, Any] | None:
    """The newest stored chain of (product, expiry) before ``ts``.

    The chain this process cached last is reused when it is still the one the shared cache names
    as latest (``latest:pcr``'s timestamp) and is older than ``ts``; otherwise storage is asked.
    """
    memo = pipeline.recent_chains.get((product, expiry))
    if memo is not None and latest_ts is not None and memo["timestamp"] == latest_ts < ts:
        return memo
    return await pipeline.repo.previous_chain(product, expiry, before=ts)


async def enrich_and_store_chain(pipeline: Pipeline, chain: Mapping[str, Any]) -> bool:
    """Enrich one validated chain, store it, cache it and publish it; True if its key was new.

    Idempotency key: (product, expiry, timestamp). Build-up and ``oi_change`` compare against the
    newest stored chain of the same product and expiry strictly before this one.
    """
    started = time.perf_counter()
    spec = get_product(str(chain["product"]))
    ts = parse_ts(chain["timestamp"])
    product, expiry = spec.name, str(chain["expiry"])
    pcr_key = keys.latest_pcr(product, expiry)
    cached = await pipeline.cache.get(pcr_key)
    previous = await _previous_chain(
        pipeline, product, expiry, ts, parse_ts(cached["timestamp"]) if cached else None
    )
    computed = time.perf_counter()
    enriched = await pipeline.batcher.enrich(chain_math.ChainInput(chain, spec, previous))
    enriched["schema"] = SCHEMA_VERSION
    # Encoded once (~18 KB): the same bytes are stored and cached as ``latest:chain``.
    data = jsonx.dumps(enriched)
    observe_stage("enrich_compute", time.perf_counter() - computed)
    if not await _store("chain", pipeline.repo.upsert_chain(enriched, data=data)):
        return False
    ENRICHMENT_SECONDS.observe(time.perf_counter() - started)
    lag = _lag_s(ts)
    PIPELINE_LAG_SECONDS.observe(lag)
    pipeline.stats.stored_chain(lag)
    CHAINS_ENRICHED_TOTAL.labels(product=product).inc()
    if await _newer_is_cached(pipeline, pcr_key, ts):
        return True
    PCR_OI.labels(product=product, expiry=expiry).set(enriched["pcr_oi"])
    ttl = pipeline.settings.cache_ttl
    await _cached(pipeline.cache.set_raw(keys.latest_chain(product, expiry), data, ttl))
    pcr = {"pcr_oi": enriched["pcr_oi"], "pcr_volume": enriched["pcr_volume"], "timestamp": ts}
    await _cached(pipeline.cache.set(pcr_key, pcr, ttl))
    pipeline.recent_chains[(product, expiry)] = enriched
    await pipeline.bus.publish(TOPIC_ENRICHED_CHAIN, enriched)
    return True


async def build_and_store_surface(
    pipeline: Pipeline, product: str, as_of: datetime | None = None
) -> Surface | None:
    """Build, store, cache and publish ``product``'s surface; None if it has no live chain.

    Live expiries are the unexpired ones with a chain stored in the last ``cache_ttl`` seconds
    (also cached as ``expiries:{p}`` for the API). Each one's latest chain comes from the cache,
    else from storage.
    """
    spec = get_product(product)
    now = as_of or utcnow()
    ttl = pipeline.settings.cache_ttl
    recent = await pipeline.repo.list_expiries(spec.name, since=now - timedelta(seconds=ttl))
    live = [e for e in recent if expiry_instant(spec, e) > now]
    await _forget_expired_gauges(pipeline, spec.name, now)
    await pipeline.cache.set(
        keys.live_expiries(spec.name), {"product": spec.name, "expiries": live, "updated_at": now}, ttl
    )
    chains = []
    for expiry in live:
        chain = await pipeline.cache.get(keys.latest_chain(spec.name, expiry))
        if chain is None:
            chain = await pipeline.repo.latest_chain(spec.name, expiry)
        if chain is not None:
            chains.append(chain)
    if not chains:
        return None
    surface = surface_math.build_surface(spec.name, chains)
    surface["schema"] = SCHEMA_VERSION
    await _store("surface", pipeline.repo.upsert_surface(surface))
    await _cached(pipeline.cache.set(keys.surface(spec.name), surface, ttl))
    await pipeline.bus.publish(TOPIC_ENRICHED_SURFACE, surface)
    return surface


async def _forget_expired_gauges(pipeline: Pipeline, product: str, now: datetime) -> None:
    """Drop the ``deltastream_pcr_oi`` series of expired expiries, so the label set stays bounded."""
    spec = get_product(product)
    for expiry in await pipeline.repo.list_expiries(product):
        if expiry_instant(spec, expiry) <= now:
            with contextlib.suppress(KeyError):
                PCR_OI.remove(product, expiry)


class TaskSender(Protocol):
    """Where :func:`dispatch_message` enqueues (the process's :class:`~deltastream.enrichment.queue.TaskQueue`)."""

    async def send(self, task_name: str, **kwargs: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class Dispatched:
    """What became of one market message: enqueued, or dead-lettered (with the record ids)."""

    accepted: bool
    chain_product: str | None = None
    dead_letter_ids: tuple[str, ...] = ()


async def dispatch_message(
    queue: TaskSender, sink: DeadLetterSink, topic: str, payload: Mapping[str, Any]
) -> Dispatched:
    """Validate one market message and enqueue its tasks; rejects are dead-lettered, never raised."""
    try:
        if topic not in MARKET_TOPICS:
            raise Rejected("unknown_type", f"no enrichment for topic {topic!r}", payload, topic)
        model = validate_message(payload, topic)
    except Rejected as rejected:
        dead_letter_id = await record_dead_letter(
            sink,
            source=keys.DEAD_LETTER_SOURCE,
            reason=rejected.reason,
            error=rejected.error,
            payload=dict(payload) if isinstance(payload, Mapping) else payload,
            topic=topic,
        )
        return Dispatched(False, dead_letter_ids=(dead_letter_id,))
    data = model.model_dump(mode="json")
    sends = (
        [(keys.TASK_PROCESS_TICK, {"tick": data}), (keys.TASK_COMPUTE_OHLC, {"tick": data})]
        if isinstance(model, UnderlyingTick)
        else [(keys.TASK_ENRICH_CHAIN, {"chain": data})]
    )
    failed: list[str] = []
    for task_name, kwargs in sends:
        try:
            await queue.send(task_name, **kwargs)
        except SendTaskError as exc:
            cause = exc.__cause__ or exc
            dead_letter_id = await record_dead_letter(
                sink,
                source=keys.DEAD_LETTER_SOURCE,
                reason="enqueue_failed",
                error=f"{type(cause).__name__}: {cause}",
                payload=kwargs,
                task=task_name,
            )
            failed.append(dead_letter_id)
    product = model.product if isinstance(model, OptionChain) and not failed else None
    return Dispatched(not failed, product, tuple(failed))
