"""REST API benchmark: requests/s and latency of the latest-chain route and ``/health``.

``python -m bench.bench_api [--duration 10] [--connections 32] [--tool auto|wrk|python]``

- Data: the real pipeline runs (all roles, simulator, 21 strikes, 4 expiries of NIFTY) for a
  couple of seconds into a temporary SQLite file, so the served chain is a real enriched chain.
- Servers (separate processes, one uvicorn worker each, pinned to the same CPU core):
  ``deltastream`` = ``create_app`` with the API role only (rate limiting off, log level WARNING so
  per-request log lines are off), the same at the default INFO level (one JSON log line per
  request, to /dev/null), and ``bare`` = a FastAPI app with one JSON route and one route returning
  the same chain bytes (the peer, measured in the same run).
- Load: ``wrk`` (``apt-get install wrk``) when present, pinned to the other core, else a Python
  httpx load generator; ``--connections`` keep-alive connections for ``--duration`` seconds each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PRODUCT = "NIFTY"


def _cores() -> tuple[int, int]:
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[-1], cpus[0]


def _settings(db: Path, **overrides: Any) -> Any:
    from deltastream.settings import Settings

    values: dict[str, Any] = {"log_level": "WARNING", "rate_limit_enabled": False, **overrides}
    return Settings(env="test", sqlite_path=db, **values)


async def _fill(db: Path, seconds: float) -> None:
    from deltastream.wiring import ALL_ROLES, build_runtime

    runtime = build_runtime(
        _settings(db, feed_seed=11, feed_interval=0.05, feed_products=[PRODUCT], feed_chain_every=2),
        ALL_ROLES,
    )
    await runtime.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await runtime.stop()


def serve(kind: str, db: Path, port: int, core: int) -> None:
    """Child process: one uvicorn worker serving ``kind``: ``deltastream``, ``deltastream-info``
    (default INFO level: one JSON log line per request, written to /dev/null) or ``bare``."""
    import uvicorn
    from fastapi import FastAPI, Response

    os.sched_setaffinity(0, {core})
    if kind.startswith("deltastream"):
        from deltastream.app import create_app
        from deltastream.core.logging import configure_logging
        from deltastream.wiring import ROLE_API

        settings = _settings(db, log_level="INFO" if kind == "deltastream-info" else "WARNING")
        configure_logging(settings.log_level, settings.log_format)
        app = create_app(settings, frozenset({ROLE_API}))
    else:
        chain_bytes = Path(db.with_suffix(".chain.json")).read_bytes()
        app = FastAPI()

        @app.get("/json")
        async def bare_json() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/bytes")
        async def bare_bytes() -> Response:
            return Response(chain_bytes, media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, workers=1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, timeout_s: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):  # not listening yet
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        time.sleep(0.1)
    raise TimeoutError(url)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def run_wrk(url: str, connections: int, duration: int, core: int) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, preexec_fn=lambda: os.sched_setaffinity(0, {core})
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "errors": float(errors.group(1)) if errors else 0.0,
    }


async def _python_load(url: str, connections: int, duration: int) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        stop = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code >= 400

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
        "errors": float(errors),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--fill-seconds", type=float, default=2.0)
    parser.add_argument(
        "--serve", choices=("deltastream", "deltastream-info", "bare"), help=argparse.SUPPRESS
    )
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--core", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.db, args.port, args.core)
        return 0

    tool = ("wrk" if shutil.which("wrk") else "python") if args.tool == "auto" else args.tool
    server_core, load_core = _cores()
    workdir = Path(tempfile.mkdtemp(prefix="deltastream-bench-api-"))
    db = workdir / "bench.db"
    asyncio.run(_fill(db, args.fill_seconds))

    procs: dict[str, subprocess.Popen[bytes]] = {}
    ports = {"deltastream": _free_port(), "deltastream-info": _free_port(), "bare": _free_port()}
    results: dict[str, dict[str, float]] = {}
    try:
        kind = "deltastream"
        procs[kind] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.bench_api",
                "--serve",
                kind,
                "--db",
                str(db),
                "--port",
                str(ports[kind]),
                "--core",
                str(server_core),
            ]
        )
        base = f"http://127.0.0.1:{ports[kind]}"
        _wait(f"{base}/health")
        import httpx

        expiries = httpx.get(f"{base}/api/data/expiries/{PRODUCT}").json()["expiries"]
        latest = httpx.get(f"{base}/api/data/chain/{PRODUCT}/latest", params={"expiry": expiries[0]})
        latest.raise_for_status()
        db.with_suffix(".chain.json").write_bytes(latest.content)
        kind = "bare"
        procs[kind] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.bench_api",
                "--serve",
                kind,
                "--db",
                str(db),
                "--port",
                str(ports[kind]),
                "--core",
                str(server_core),
            ]
        )
        bare = f"http://127.0.0.1:{ports[kind]}"
        _wait(f"{bare}/json")
        kind = "deltastream-info"
        procs[kind] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.bench_api",
                "--serve",
                kind,
                "--db",
                str(db),
                "--port",
                str(ports[kind]),
                "--core",
                str(server_core),
            ],
            stdout=subprocess.DEVNULL,
        )
        logged = f"http://127.0.0.1:{ports[kind]}"
        _wait(f"{logged}/health")
        targets = {
            "latest chain (?expiry=)": f"{base}/api/data/chain/{PRODUCT}/latest?expiry={expiries[0]}",
            "latest chain (nearest expiry)": f"{base}/api/data/chain/{PRODUCT}/latest",
            "latest chain, INFO request logs": f"{logged}/api/data/chain/{PRODUCT}/latest?expiry={expiries[0]}",
            "/health": f"{base}/health",
            "bare FastAPI: same chain bytes": f"{bare}/bytes",
            "bare FastAPI: small JSON": f"{bare}/json",
        }
        for name, url in targets.items():
            httpx.get(url).raise_for_status()
            if tool == "wrk":
                results[name] = run_wrk(url, args.connections, args.duration, load_core)
            else:
                results[name] = asyncio.run(_python_load(url, args.connections, args.duration))
            row = results[name]
            print(
                f"{name:34s} {row['rps']:9.0f} req/s  p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:7.2f} ms  errors {row['errors']:.0f}",
                flush=True,
            )
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    chain_rps = results["latest chain (?expiry=)"]["rps"]
    print()
    print(
        f"tool: {tool}, {args.connections} connections, {args.duration}s per endpoint, one uvicorn worker on cpu {server_core}"
    )
    print(f"chain payload: {len(latest.content)} bytes ({len(latest.json()['calls'])} strikes)")
    print(
        f"latest chain vs bare FastAPI serving the same bytes: {chain_rps / results['bare FastAPI: same chain bytes']['rps']:.2f}x"
    )
    print(
        f"latest chain vs bare FastAPI small JSON:             {chain_rps / results['bare FastAPI: small JSON']['rps']:.2f}x"
    )
    print(f"target >= 3000 req/s per worker: {'met' if chain_rps >= 3000 else 'NOT met'} ({chain_rps:.0f})")
    print(json.dumps({"bench": "api", "tool": tool, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
