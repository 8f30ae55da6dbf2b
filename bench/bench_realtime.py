"""Realtime benchmark: tick -> Socket.IO client latency, and fan-out to 100-1,000 clients.

``python -m bench.bench_realtime [--duration 10] [--sizes 100,500,1000] [--no-redis]``

- The server is a separate process (one uvicorn worker, pinned to one core): ``create_app`` with
  the api role, plus a publisher task in the same process that puts synthetic enriched ticks on
  the bus stamped with ``sent_ns`` (wall clock). In ``redis`` mode the bus is Redis, so every
  tick goes out to Redis and back before the bridge sees it. ``run`` / ``run-redis`` start every
  role instead (real simulator -> enrichment -> storage -> bus -> socket) and the latency is
  measured from the feed's own tick ``timestamp``.
- Clients are raw Engine.IO websockets (the Socket.IO v4 protocol spoken by hand, as light as a
  client gets) in this process, pinned to the other core. Each subscribes to one ``product:{p}``
  room and is in ``general``, so it receives every product's tick once. Latency = receive time
  minus the stamp; samples from the first second are dropped (warm-up).
- Peer, same run: ``stock`` replaces our fan-out with python-socketio's own
  ``AsyncServer.emit(to=[general, product:p])`` (json per emit, one task per recipient).
- Last row: the largest fan-out again with the server's gc gen0 threshold at 100,000.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson

PRODUCTS = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX", "AAPL", "TSLA", "SPY", "QQQ")
WARMUP_S = 1.0
# underlying_update goes to general + product:{p} (every client gets every product: 8 Hz each);
# ohlc_update only to product:{p} (each client gets its own product: 1 Hz at 1 Hz per room).
TOPICS = {"underlying_update": "enriched:underlying", "ohlc_update": "enriched:ohlc"}
REDIS_URL = os.environ.get("DELTASTREAM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _cores() -> tuple[int | None, int | None]:
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[-1], cpus[0]) if len(cpus) > 1 else (None, None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping())
    except Exception:
        return False


async def _publish_forever(runtime: Any, rate_hz: float, topic: str) -> None:
    """``rate_hz`` enriched events per product per second on ``topic``, products evenly
    staggered, each stamped with ``sent_ns`` right before it is published."""

    step_s = 1.0 / (rate_hz * len(PRODUCTS))
    next_at = time.monotonic()
    for tick_id in itertools.count(1):
        product = PRODUCTS[tick_id % len(PRODUCTS)]
        payload = {
            "type": "UNDERLYING_ENRICHED",
            "product": product,
            "price": 100.0 + tick_id % 50,
            "tick_id": tick_id,
            "change": 0.1,
            "change_pct": 0.001,
            "timestamp": "2030-01-02T09:15:00Z",
            "processed_at": "2030-01-02T09:15:00Z",
            "sent_ns": time.time_ns(),
        }
        await runtime.bus.publish(topic, payload)
        next_at += step_s
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


def _use_stock_emit(component: Any) -> None:
    """The peer: deliver through python-socketio's ``emit`` instead of our fan-out."""
    from deltastream.realtime.events import broadcasts_for

    async def deliver(message: Any) -> int:
        for item in broadcasts_for(message):
            await component.server.emit(
                item.event, orjson.loads(item.raw), to=list(item.rooms), ignore_queue=True
            )
        return 0

    component.deliver = deliver


async def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from deltastream.app import create_app
    from deltastream.settings import Settings
    from deltastream.wiring import ALL_ROLES, ROLE_API

    overrides: dict[str, Any] = {"env": "test", "sqlite_path": Path(args.db), "log_level": "ERROR"}
    overrides["rate_limit_enabled"] = False
    if args.mode in ("redis", "run-redis"):
        overrides |= {"redis_url": REDIS_URL, "redis_prefix": f"bench:rt:{uuid.uuid4().hex[:8]}:"}
    if args.mode.startswith("run"):
        overrides |= {
            "feed_interval": 1.0 / args.rate,
            "feed_products": list(PRODUCTS),
            "feed_chain_every": 5,
        }
    settings = Settings(**overrides)
    roles = ALL_ROLES if args.mode.startswith("run") else frozenset({ROLE_API})
    app = create_app(settings, roles)
    runtime = app.state.runtime
    if args.peer == "stock":
        _use_stock_emit(runtime.realtime)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.01)
    if args.gc_gen0:
        gc.set_threshold(args.gc_gen0, 50, 1000)  # fewer full collections: see BENCHMARKS.md
    publisher = (
        None
        if args.mode.startswith("run")
        else asyncio.create_task(_publish_forever(runtime, args.rate, TOPICS[args.event]))
    )
    await serving
    if publisher is not None:
        publisher.cancel()


@dataclass
class Fleet:
    """Raw websocket clients; each records (receive - stamp) for every ``event`` frame."""

    url: str
    event: str
    latencies_ms: list[float] = field(default_factory=list)
    since_processed_ms: list[float] = field(default_factory=list)
    """Real pipeline only: receive time minus the pipeline's ``processed_at`` (bus + sockets)."""
    frames: int = 0
    measuring: bool = False
    sockets: list[Any] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def connect(self, n: int, concurrency: int = 50) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                ws = await self._handshake(PRODUCTS[i % len(PRODUCTS)])
            self.sockets.append(ws)
            self.readers.append(asyncio.create_task(self._read(ws)))

        await asyncio.gather(*(one(i) for i in range(n)))

    async def _handshake(self, product: str) -> Any:
        from websockets.asyncio.client import connect

        ws = await connect(self.url, compression=None, ping_interval=None, max_queue=None, open_timeout=60)
        await ws.recv()  # Engine.IO open
        await ws.send("40")
        while not str(await ws.recv()).startswith("40"):
            pass
        await ws.send('42["subscribe",' + orjson.dumps({"type": "product", "symbol": product}).decode() + "]")
        while '"subscribed"' not in str(await ws.recv()):
            pass
        return ws

    async def _read(self, ws: Any) -> None:
        with contextlib.suppress(Exception):
            async for frame in ws:
                if frame == "2":
                    await ws.send("3")  # Engine.IO ping -> pong
                    continue
                if not self.measuring or not frame.startswith(self._prefix):
                    continue
                now = time.time()
                tick = orjson.loads(frame[2:])[1]
                if "sent_ns" in tick:
                    stamp = tick["sent_ns"] / 1e9
                else:
                    stamp = _epoch(tick["timestamp"])
                    self.since_processed_ms.append((now - _epoch(tick["processed_at"])) * 1000.0)
                self.latencies_ms.append((now - stamp) * 1000.0)
                self.frames += 1

    @property
    def _prefix(self) -> str:
        return f'42["{self.event}"'

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@contextlib.contextmanager
def _server(mode: str, rate: float, peer: str, event: str, gc_gen0: int) -> Any:
    port = _free_port()
    server_core, _ = _cores()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "bench.bench_realtime", "serve", "--mode", mode, "--port", str(port)]
        cmd += ["--rate", str(rate), "--peer", peer, "--event", event, "--db", str(Path(tmp) / "bench.db")]
        cmd += ["--gc-gen0", str(gc_gen0)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if server_core is not None:
            os.sched_setaffinity(proc.pid, {server_core})
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError("server not ready")
                time.sleep(0.1)
            yield f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    mode: str,
    clients: int,
    rate: float,
    duration: float,
    peer: str = "ours",
    event: str = "underlying_update",
    gc_gen0: int = 0,
) -> dict[str, Any]:
    """Start a server, connect ``clients``, record ``duration`` s after a warm-up, summarise."""
    with _server(mode, rate, peer, event, gc_gen0) as (url, pid):
        fleet = Fleet(url, event)
        started = time.perf_counter()
        await fleet.connect(clients)
        connect_s = time.perf_counter() - started
        await asyncio.sleep(WARMUP_S)
        fleet.measuring = True
        cpu0, t0 = _cpu_s(pid), time.perf_counter()
        await asyncio.sleep(duration)
        fleet.measuring = False
        cpu_share = (_cpu_s(pid) - cpu0) / (time.perf_counter() - t0)
        await fleet.close()
    lat = np.asarray(fleet.latencies_ms)
    tail = np.asarray(fleet.since_processed_ms)
    per_client_hz = rate * (len(PRODUCTS) if event == "underlying_update" else 1)
    expected = clients * per_client_hz * duration
    return {
        "mode": mode,
        "event": event,
        "per_client_hz": per_client_hz,
        "peer": peer + (f", gc gen0 {gc_gen0:,}" if gc_gen0 else ""),
        "clients": clients,
        "rate_hz": rate,
        "frames_per_s": fleet.frames / duration,
        "delivered_pct": 100.0 * fleet.frames / expected if expected else 0.0,
        "p50_ms": float(np.percentile(lat, 50)) if lat.size else float("nan"),
        "p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
        "max_ms": float(lat.max()) if lat.size else float("nan"),
        "p99_after_pipeline_ms": float(np.percentile(tail, 99)) if tail.size else None,
        "server_cpu": cpu_share,
        "connect_s": connect_s,
    }


def _row(r: dict[str, Any]) -> str:
    return (
        f"| {r['mode']} | {r['event']} | {r['peer']} | {r['clients']} | {r['rate_hz']:g} Hz x {len(PRODUCTS)} | "
        f"{r['per_client_hz']:g} Hz | "
        f"{r['frames_per_s']:,.0f} | {r['delivered_pct']:.1f} % | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
        f"{r['max_ms']:.1f} | {100 * r['server_cpu']:.0f} % |"
        + (
            f" p99 from processed_at: {r['p99_after_pipeline_ms']:.2f} ms"
            if r["p99_after_pipeline_ms"]
            else ""
        )
    )


async def _bench(args: argparse.Namespace) -> None:
    _, client_core = _cores()
    if client_core is not None:
        os.sched_setaffinity(0, {client_core})
    redis = not args.no_redis and _redis_up()
    if not redis:
        print(f"# Redis scenarios skipped: no Redis answers at {REDIS_URL}")
    print(f"# load average before: {os.getloadavg()}")
    print(
        "| mode | event | fan-out | clients | rooms x rate | per client | frames/s | delivered | p50 ms | p99 ms "
        "| max ms | server CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    latency_modes = ["embedded", "run"] + (["redis", "run-redis"] if redis else [])
    for mode in latency_modes:
        print(_row(await measure(mode, args.latency_clients, args.latency_rate, args.duration)), flush=True)
    for size in args.sizes:
        for event in ("ohlc_update", "underlying_update"):
            for peer in ("ours", "stock"):
                print(_row(await measure("embedded", size, 1.0, args.duration, peer, event)), flush=True)
    # The p99 tail above is full (gen2) collections of the server's heap; a higher gen0
    # threshold makes them rare. Same scenario, only the GC setting changed:
    tuned = await measure(
        "embedded", max(args.sizes), 1.0, args.duration, "ours", "underlying_update", 100_000
    )
    print(_row(tuned), flush=True)
    print(f"# load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", default="bench", choices=["bench", "serve"])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[100, 500, 1000])
    parser.add_argument("--latency-clients", type=int, default=20)
    parser.add_argument("--latency-rate", type=float, default=5.0, help="ticks/s per product (8 products)")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--mode", default="embedded", choices=["embedded", "redis", "run", "run-redis"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--peer", default="ours", choices=["ours", "stock"])
    parser.add_argument("--event", default="underlying_update", choices=sorted(TOPICS))
    parser.add_argument("--db", default="")
    parser.add_argument(
        "--gc-gen0", type=int, default=0, help="server: gc gen0 threshold (0 = Python's default)"
    )
    args = parser.parse_args()
    from uvicorn.loops.auto import auto_loop_factory

    # The loop `deltastream run` gets from uvicorn (uvloop when installed), on both sides.
    with asyncio.Runner(loop_factory=auto_loop_factory(use_subprocess=False)) as runner:
        runner.run(_serve(args) if args.role == "serve" else _bench(args))


if __name__ == "__main__":
    main()
