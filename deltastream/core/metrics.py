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
