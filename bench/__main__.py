"""``python -m bench`` (``make bench``): run every benchmark, each in its own process.

Each benchmark prints ratios against a peer measured in the same run. Select some with
``python -m bench quant pipeline``.
"""

from __future__ import annotations

import subprocess
import sys
import time

SUITES = ("quant", "pipeline", "api", "realtime", "ai", "dashboard", "alerts")


def main(argv: list[str]) -> int:
    chosen = argv or list(SUITES)
    unknown = sorted(set(chosen) - set(SUITES))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== bench {name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.bench_{name}"])
        print(f"=== bench {name}: exit {code} in {time.perf_counter() - started:.1f}s ===", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
