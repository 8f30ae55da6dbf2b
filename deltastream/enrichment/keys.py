"""Names the pipeline writes: cache keys, task names and the task stream.

The API and realtime contexts read these keys and topics; the key patterns are the seed's
(SPEC §5). Every key is relative: the cache adds ``settings.redis_prefix`` itself.
"""

from __future__ import annotations

from datetime import date

TASK_PROCESS_TICK = "process_tick"
TASK_COMPUTE_OHLC = "compute_ohlc"
TASK_ENRICH_CHAIN = "enrich_chain"
TASK_COMPUTE_SURFACE = "compute_surface"
TASK_NAMES = (TASK_PROCESS_TICK, TASK_COMPUTE_OHLC, TASK_ENRICH_CHAIN, TASK_COMPUTE_SURFACE)

DEAD_LETTER_SOURCE = "enrichment"

OHLC_WINDOWS_MIN = (1, 5, 15)

# A session open must outlive its UTC day, whatever the clock skew between processes.
SESSION_OPEN_TTL_S = 36 * 3600


def latest_underlying(product: str) -> str:
    """The enriched tick (``enriched:underlying`` payload), TTL ``cache_ttl``."""
    return f"latest:underlying:{product}"


def latest_chain(product: str, expiry: str) -> str:
    """The full enriched chain (the ``/chain/{p}/latest`` response body), TTL ``cache_ttl``."""
    return f"latest:chain:{product}:{expiry}"


def latest_pcr(product: str, expiry: str) -> str:
    """``{pcr_oi, pcr_volume, timestamp}`` of the newest chain, TTL ``cache_ttl``."""
    return f"latest:pcr:{product}:{expiry}"


def live_expiries(product: str) -> str:
    """``{product, expiries: [...], updated_at}``: expiries with a chain in the last ``cache_ttl``."""
    return f"expiries:{product}"


def ohlc(product: str, window_min: int) -> str:
    """The in-progress candle of one window, TTL = the window."""
    return f"ohlc:{product}:{window_min}m"


def surface(product: str) -> str:
    """The newest volatility surface, TTL ``cache_ttl``."""
    return f"volatility_surface:{product}"


def session_open(product: str, day: date) -> str:
    """``{price, timestamp}`` of the first tick of ``day`` (UTC) seen for ``product``."""
    return f"session_open:{product}:{day.isoformat()}"


def task_stream(prefix: str) -> str:
    """The Redis stream holding queued enrichment tasks."""
    return f"{prefix}deltastream:tasks"


TASK_CONSUMER_GROUP = "deltastream-enrichment"
