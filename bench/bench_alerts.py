"""Alert evaluation benchmark: 10,000 rules across 1,000 users, one enriched chain per evaluation.

    python -m bench.bench_alerts [--rules 10000] [--users 1000] [--events 2000]

Rules are spread over every product and every alertable field and operator (so one NIFTY chain
meets its share of them: those on NIFTY and a chain field). Each timed evaluation is one
``Evaluator.evaluate`` of a fresh 21-strike NIFTY chain (a new timestamp, PCR on a random walk
through the rules' levels so rules fire and re-arm). The baseline is the naive design measured in the same run: a linear scan
of every rule per event, checking product and scope, then the same per-rule step. Prints p50/p99
per evaluation for both and the ratio; the target is p99 <= 2 ms on one core.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from deltastream.alerts.evaluator import CHAIN_FIELDS, UNDERLYING_FIELDS, Evaluator, Rule, step
from deltastream.core.bus import TOPIC_ENRICHED_CHAIN
from deltastream.feed import PRODUCTS
from tests.factories import enriched_chain, now

TARGET_P99_MS = 2.0
OPS = (">", "<", "crosses_above", "crosses_below", "change_pct_over")


def make_rules(n: int, users: int, rng: random.Random) -> list[Rule]:
    products = list(PRODUCTS)
    fields = [f for f in (*CHAIN_FIELDS, *UNDERLYING_FIELDS) if f not in ("strike_oi", "strike_oi_change")]
    rules = []
    for i in range(n):
        op = rng.choice(OPS)
        field = rng.choice(fields)
        rules.append(
            Rule(
                id=str(i),
                user_id=str(i % users),
                product=rng.choice(products),
                field=field,
                op=op,
                level=rng.uniform(0.8, 1.6) if op != "change_pct_over" else rng.uniform(0.5, 5),
                hysteresis=0.01,
                window_minutes=5 if op == "change_pct_over" else None,
                cooldown_seconds=rng.choice((0, 60, 300)),
            )
        )
    return rules


def chains(count: int, rng: random.Random) -> list[dict[str, Any]]:
    base = dict(enriched_chain("NIFTY", n_strikes=21))
    t0 = now()
    out = []
    pcr_oi, pcr_volume = 1.2, 1.2
    for i in range(count):
        # A random walk, as between consecutive chains of a live feed (a few ticks of PCR per second).
        pcr_oi = min(1.7, max(0.7, pcr_oi + rng.gauss(0, 0.02)))
        pcr_volume = min(1.7, max(0.7, pcr_volume + rng.gauss(0, 0.03)))
        chain = dict(base)
        chain["timestamp"] = (t0 + timedelta(seconds=i)).isoformat()
        chain["pcr_oi"], chain["pcr_volume"] = pcr_oi, pcr_volume
        out.append(chain)
    return out


class LinearScan:
    """The baseline: every rule is looked at on every event (each with its own window)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.windows: dict[str, deque[tuple[datetime, float]]] = {r.id: deque() for r in rules}

    def evaluate(self, payload: dict[str, Any]) -> int:
        fired = 0
        product = payload["product"]
        stamp = datetime.fromisoformat(payload["timestamp"])
        for rule in self.rules:
            if rule.product != product or rule.field in UNDERLYING_FIELDS:
                continue
            value = payload.get(rule.field)
            if not isinstance(value, int | float):
                continue
            value = float(value)
            if rule.window_minutes is not None:
                window = self.windows[rule.id]
                window.append((stamp, value))
                while len(window) > 1 and window[0][0] < stamp - timedelta(minutes=rule.window_minutes):
                    window.popleft()
                base = window[0][1]
                value = 0.0 if base == 0 else abs(value - base) / abs(base) * 100.0
            if step(rule, value, stamp):
                fired += 1
        return fired


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(7)
    events = chains(args.events, rng)
    indexed = Evaluator(make_rules(args.rules, args.users, random.Random(11)))
    naive = LinearScan(make_rules(args.rules, args.users, random.Random(11)))
    on_nifty = sum(1 for r in naive.rules if r.product == "NIFTY" and r.field not in UNDERLYING_FIELDS)

    # CPU time of this thread (what one evaluation costs on one core; on a shared machine wall
    # time adds the scheduler's preemptions) and wall time, both per evaluation, interleaved so
    # both designs see the same machine load.
    cpu: dict[str, list[float]] = {"ours": [], "scan": []}
    wall: dict[str, list[float]] = {"ours": [], "scan": []}
    fired = scan_fired = 0
    for event in events:
        c0, w0 = time.thread_time(), time.perf_counter()
        fired += len(indexed.evaluate(TOPIC_ENRICHED_CHAIN, event))
        c1, w1 = time.thread_time(), time.perf_counter()
        scan_fired += naive.evaluate(event)
        c2, w2 = time.thread_time(), time.perf_counter()
        cpu["ours"].append((c1 - c0) * 1000)
        cpu["scan"].append((c2 - c1) * 1000)
        wall["ours"].append((w1 - w0) * 1000)
        wall["scan"].append((w2 - w1) * 1000)
    warm = len(events) // 10
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print(f"rules={args.rules} users={args.users} products={len(PRODUCTS)} on NIFTY chain fields={on_nifty}")
    print(f"events={len(events) - warm} (after {warm} warm-up) fired={fired} (linear scan: {scan_fired})")
    p99_cpu = 0.0
    for label, samples in (("cpu ", cpu), ("wall", wall)):
        p50, p99 = percentiles(samples["ours"][warm:])
        n50, n99 = percentiles(samples["scan"][warm:])
        if label == "cpu ":
            p99_cpu = p99
        print(f"{label} indexed evaluator: p50 {p50:.3f} ms  p99 {p99:.3f} ms")
        print(f"{label} linear scan      : p50 {n50:.3f} ms  p99 {n99:.3f} ms")
        print(f"{label} ratio (scan / indexed): p50 {n50 / p50:.1f}x  p99 {n99 / p99:.1f}x")
    print(
        ("PASS" if p99_cpu <= TARGET_P99_MS else "MISS")
        + f": cpu p99 {p99_cpu:.3f} ms, target <= {TARGET_P99_MS} ms"
    )


if __name__ == "__main__":
    main()
