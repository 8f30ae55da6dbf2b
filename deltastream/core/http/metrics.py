"""HTTP metrics recorded by prometheus-fastapi-instrumentator into the default registry.

The series are created once per process (like ``core.metrics``) and shared by every app
instance, so a second ``create_app`` in the same process still records its requests.
Names and labels are the instrumentator's defaults, which dashboards expect.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from prometheus_fastapi_instrumentator.metrics import Info

HTTP_REQUESTS_TOTAL = Counter(
    "http_requests_total",
    "Total number of requests by method, status and handler.",
    ["method", "status", "handler"],
)
HTTP_REQUEST_DURATION_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Latency of HTTP requests by method and handler, seconds.",
    ["method", "handler"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def record_request(info: Info) -> None:
    """Instrumentation callback: one count and one latency observation per request."""
    HTTP_REQUESTS_TOTAL.labels(info.method, info.modified_status, info.modified_handler).inc()
    HTTP_REQUEST_DURATION_SECONDS.labels(info.method, info.modified_handler).observe(info.modified_duration)
