"""Replay never writes into live history by accident (issue 10): an embedded `replay` refuses a
SQLite file a running server uses, and `run --replay FILE` serves the recording from its own
database through the REST API and Socket.IO, leaving the live database as it was."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import socketio

from deltastream.core import jsonx
from tests.core.test_cli import ROOT, run_cli
from tests.fixtures.servers import free_port, wait_for_port


def _start(cwd: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DELTASTREAM_")}
    return subprocess.Popen(
        [sys.executable, "-m", "deltastream", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return err


def _recorded_prices(path: Path, product: str) -> set[float]:
    prices = set()
    for line in path.read_text().splitlines():
        rec = jsonx.loads(line)
        payload = rec.get("payload") or rec.get("data") or {}
        if payload.get("product") == product and "price" in payload and "calls" not in payload:
            prices.add(float(payload["price"]))
    return prices


def _recorded_times_us(path: Path) -> set[int]:
    from deltastream.core.jsonx import parse_ts

    out = set()
    for line in path.read_text().splitlines():
        rec = jsonx.loads(line)
        payload = rec.get("payload") or rec.get("data") or {}
        if "timestamp" in payload:
            out.add(int(parse_ts(payload["timestamp"]).timestamp() * 1_000_000))
    return out


def _tick_times_us(db: Path) -> set[int]:
    with sqlite3.connect(db) as conn:
        return {int(ts) for (ts,) in conn.execute("SELECT ts FROM underlying_ticks")}


def _digest(db: Path) -> dict[str, str]:
    """The bytes of the database and of any WAL/SHM files beside it."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(db.parent.glob(db.name + "*"))
        if not p.name.endswith(".lock")
    }


def test_replay_refuses_the_database_of_a_running_server(tmp_path: Path) -> None:
    recording = tmp_path / "s.jsonl"
    assert run_cli(tmp_path, "record", "--seconds", "1", "--no-progress", str(recording)).returncode == 0
    live = tmp_path / "live.db"
    port = free_port()
    server = _start(tmp_path, "run", DELTASTREAM_PORT=str(port), DELTASTREAM_SQLITE_PATH=str(live))
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        proc = run_cli(tmp_path, "replay", "--speed", "0", "--no-progress", str(recording), DELTASTREAM_SQLITE_PATH=str(live))
    finally:
        _stop(server)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "run --replay" in proc.stderr and str(live) in proc.stderr
    # with the server gone the same replay is allowed (the lock dies with the process)
    # the refused replay wrote nothing: the live ticks are the server's own, all after the recording
    recorded, live_ticks = _recorded_times_us(recording), _tick_times_us(live)
    assert live_ticks and not recorded & live_ticks
    assert min(live_ticks) > max(recorded)
    ok = run_cli(tmp_path, "replay", "--speed", "0", "--no-progress", str(recording), DELTASTREAM_SQLITE_PATH=str(live))
    assert ok.returncode == 0, ok.stderr
    assert recorded & _tick_times_us(live)  # the same check sees a replay that did write


def test_run_replay_serves_the_recording_from_its_own_database(tmp_path: Path) -> None:
    recording = tmp_path / "s.jsonl"
    assert run_cli(tmp_path, "record", "--seconds", "2", "--no-progress", str(recording)).returncode == 0
    recorded = _recorded_prices(recording, "NIFTY")
    assert recorded
    port = free_port()
    server = _start(tmp_path, "run", "--replay", str(recording), "--speed", "0", DELTASTREAM_PORT=str(port))
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        served: set[float] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and served != recorded:
            got = httpx.get(f"http://127.0.0.1:{port}/api/data/underlying/NIFTY", params={"limit": 1000}, timeout=10)
            if got.status_code == 200:
                served = {float(t["price"]) for t in got.json()["ticks"]}
            time.sleep(0.3)
    finally:
        _stop(server)
    assert served == recorded
    assert (tmp_path / "s.jsonl.replay.db").exists()
    assert not (tmp_path / "data").exists()  # the default (live) database was never created


async def test_run_replay_serves_sockets_and_leaves_the_live_database_untouched(tmp_path: Path) -> None:
    """A python-socketio client of `run --replay FILE --speed 1` receives the recorded ticks, and
    the default (live) database in the same directory keeps every byte."""
    import asyncio

    recording = tmp_path / "s.jsonl"
    rec = run_cli(
        tmp_path, "record", "--seconds", "4", "--no-progress", str(recording),
        DELTASTREAM_FEED_PRODUCTS="NIFTY", DELTASTREAM_FEED_INTERVAL="0.2",
    )
    assert rec.returncode == 0, rec.stderr
    recorded = _recorded_prices(recording, "NIFTY")
    assert len(recorded) >= 10
    assert run_cli(tmp_path, "migrate").returncode == 0  # the live database, as `make run` leaves it
    live = tmp_path / "data" / "deltastream.db"
    before = _digest(live)
    assert before
    port = free_port()
    server = _start(tmp_path, "run", "--replay", str(recording), "--speed", "1", DELTASTREAM_PORT=str(port))
    ticks: list[dict[str, object]] = []
    five = asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)

    @client.on("underlying_update")
    async def _on_tick(data: dict[str, object]) -> None:
        ticks.append(data)
        if len(ticks) >= 5:
            five.set()

    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 60)
        await client.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=10)
        await client.emit("subscribe", {"type": "product", "symbol": "NIFTY"})
        # paced at speed 1 the replay runs ~4 s, so the socket sees most of it live
        await asyncio.wait_for(five.wait(), timeout=30)
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            served: set[float] = set()
            while time.monotonic() < deadline and served != recorded:
                got = await http.get("/api/data/underlying/NIFTY", params={"limit": 1000})
                if got.status_code == 200:
                    served = {float(t["price"]) for t in got.json()["ticks"]}
                await asyncio.sleep(0.3)
    finally:
        if client.connected:
            await client.disconnect()
        err = await asyncio.to_thread(_stop, server)
    assert "Traceback" not in err, err
    assert len(ticks) >= 5, (len(ticks), err[-500:])
    assert {t["product"] for t in ticks} == {"NIFTY"}
    assert {float(str(t["price"])) for t in ticks} <= recorded  # the recording, nothing else
    assert served == recorded  # and REST serves the whole session
    assert _digest(live) == before  # the live database was never opened for writing
    assert (tmp_path / "s.jsonl.replay.db").exists()


async def test_replay_onto_a_redis_deployment_reaches_its_sockets_and_rest(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    """`deltastream replay FILE` with Redis configured publishes onto the running deployment's bus:
    its dispatcher and worker store the session (REST) and its Socket.IO clients receive it. The
    deployment simulates NIFTY only, so every BANKNIFTY tick it serves came from the replay."""
    import asyncio

    from tests.fixtures.runtimes import _delete_prefixed

    recording = tmp_path / "s.jsonl"
    rec = run_cli(
        tmp_path, "record", "--seconds", "2", "--no-progress", str(recording),
        DELTASTREAM_FEED_PRODUCTS="BANKNIFTY", DELTASTREAM_FEED_INTERVAL="0.2",
    )
    assert rec.returncode == 0, rec.stderr
    recorded = _recorded_prices(recording, "BANKNIFTY")
    assert len(recorded) >= 5
    on_redis = {"DELTASTREAM_REDIS_URL": redis_url, "DELTASTREAM_REDIS_PREFIX": redis_prefix}
    port = free_port()
    server = _start(
        tmp_path, "run", DELTASTREAM_PORT=str(port), DELTASTREAM_FEED_PRODUCTS="NIFTY",
        DELTASTREAM_SQLITE_PATH=str(tmp_path / "deployment.db"), **on_redis,
    )
    ticks: list[dict[str, object]] = []
    first = asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)

    @client.on("underlying_update")
    async def _on_tick(data: dict[str, object]) -> None:
        if data.get("product") == "BANKNIFTY":
            ticks.append(data)
            first.set()

    served: set[float] = set()
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 60)
        await client.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=10)
        await client.emit("subscribe", {"type": "product", "symbol": "BANKNIFTY"})
        replay = await asyncio.to_thread(
            run_cli, tmp_path, "replay", "--speed", "0", "--no-progress", str(recording), **on_redis
        )
        assert replay.returncode == 0, replay.stderr
        # with Redis the replay only publishes: its own storage (dead letters only) holds no tick
        assert not _tick_times_us(tmp_path / "data" / "deltastream.db")
        await asyncio.wait_for(first.wait(), timeout=30)
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            while time.monotonic() < deadline and served != recorded:
                got = await http.get("/api/data/underlying/BANKNIFTY", params={"limit": 1000})
                if got.status_code == 200:
                    served = {float(t["price"]) for t in got.json()["ticks"]}
                await asyncio.sleep(0.3)
    finally:
        if client.connected:
            await client.disconnect()
        err = await asyncio.to_thread(_stop, server)
        _delete_prefixed(redis_url, redis_prefix)
    assert "Traceback" not in err, err
    assert served == recorded
    assert ticks and {float(str(t["price"])) for t in ticks} <= recorded
