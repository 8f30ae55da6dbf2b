"""A worker process that takes an enrichment task and hangs while holding it (killed by tests).

``python -m tests.enrichment.slow_worker MARKER``: configured from ``DELTASTREAM_*`` like
``deltastream run-worker``, but ``process_tick`` writes ``MARKER`` and then sleeps, so the task
stays unacknowledged in the Redis stream until another worker reclaims it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from deltastream.enrichment import service
from deltastream.settings import get_settings
from deltastream.wiring import ROLE_WORKER, build_runtime


async def main(marker: Path) -> None:
    async def hold(pipeline: Any, tick: dict[str, Any]) -> bool:
        await asyncio.to_thread(marker.write_text, str(tick["timestamp"]))
        await asyncio.sleep(3600)
        return False

    service.process_tick = hold  # type: ignore[assignment]  # this process only
    settings = get_settings()
    runtime = build_runtime(settings, frozenset({ROLE_WORKER}), components={"enrichment-worker"})
    await runtime.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
