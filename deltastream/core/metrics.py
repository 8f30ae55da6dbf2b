"""Prometheus metrics shared across contexts (one registry: the default one)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TICKS_TOTAL = Counter("deltastream_ticks_total", "Underlying ticks stored", ["product"])
CHAINS_ENRICHED_TOTAL = Counter(
    "deltastream_chains_enriched_total", "Option chains enriched and stored", ["product"]
)
ENRICHMENT_SECONDS = Histogram(
    "deltastream_enrichment_seconds",
    "Time to enrich and persist one chain",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
PIPELINE_LAG_SECONDS = Histogram(
    "deltastream_pipeline_lag_seconds",
    "Event time to stored",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DEAD_LETTERS_TOTAL = Counter("deltastream_dead_letters_total", "Dead-lettered messages", ["reason"])
BUS_DROPPED_TOTAL = Gauge("deltastream_bus_dropped", "Messages dropped for slow bus subscribers")
SOCKET_CLIENTS = Gauge("deltastream_socket_clients", "Connected Socket.IO clients")
SOCKET_EMITS_TOTAL = Counter("deltastream_socket_emits_total", "Socket.IO broadcasts", ["event"])
PCR_OI = Gauge(
    "deltastream_pcr_oi", "Put-call ratio by open interest of the newest chain", ["product", "expiry"]
)
SPOT_PRICE = Gauge("deltastream_spot_price", "Price of the newest underlying tick", ["product"])

# One histogram for the whole path from the feed to a client, one ``stage`` label per hop:
# feed_dispatch (feed publish -> dispatcher), queue_wait (enqueued -> task starts),
# enrich_compute, storage_write, cache_write, bus_socket (bus publish -> socket bridge) and
# socket_write (frames handed to the clients' sockets). Cross-process stages use wall clocks.
STAGES = (
    "feed_dispatch",
    "queue_wait",
    "enrich_compute",
    "storage_write",
    "cache_write",
    "bus_socket",
    "socket_write",
)
STAGE_SECONDS = Histogram(
    "deltastream_stage_seconds",
    "Time spent in one stage of the feed-to-client path",
    ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
for _stage in STAGES:  # every stage is exported from the start (dashboards and alerts need the series)
    STAGE_SECONDS.labels(stage=_stage)

FEED_LAST_TICK_AGE_SECONDS = Gauge(
    "deltastream_feed_last_tick_age_seconds",
    "Seconds since this process last saw an underlying tick of the product on the bus",
    ["product"],
)
FEED_STALE = Gauge(
    "deltastream_feed_stale", "1 while the product's feed is stale (no tick within the threshold)", ["product"]
)
STORAGE_WRITE_ERRORS_TOTAL = Counter(
    "deltastream_storage_write_errors_total", "Storage writes that raised", ["kind"]
)
for _kind in ("tick", "candle", "chain", "surface"):
    STORAGE_WRITE_ERRORS_TOTAL.labels(kind=_kind)
LOG_RECORDS_DROPPED_TOTAL = Counter(
    "deltastream_log_records_dropped_total", "Log records dropped because the ingest queue was full"
)


def observe_stage(stage: str, seconds: float) -> None:
    """Record ``seconds`` (clamped at 0: wall clocks of two processes may disagree) for ``stage``."""
    STAGE_SECONDS.labels(stage=stage).observe(max(0.0, seconds))
