"""Replay never writes into live history by accident (issue 10): an embedded `replay` refuses a
SQLite file a running server uses, and `run --replay FILE` serves the recording from its own
database through the REST API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
    ok = run_cli(tmp_path, "replay", "--speed", "0", "--no-progress", str(recording), DELTASTREAM_SQLITE_PATH=str(live))
    assert ok.returncode == 0, ok.stderr


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
