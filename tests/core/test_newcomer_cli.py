"""Start-up mistakes a newcomer makes: one line on stderr, non-zero exit, no traceback, nothing
started (issue 10). And `make run` takes host and port from the settings."""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from deltastream.core.logging import configure_logging, resolve_format
from deltastream.settings import Settings
from tests.core.test_cli import ROOT, assert_one_line_error, run_cli


def test_an_unknown_product_is_one_line(tmp_path: Path) -> None:
    # the port check comes first; use a free one so the product check is what fails
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = run_cli(tmp_path, "run", DELTASTREAM_FEED_PRODUCTS="FOO", DELTASTREAM_PORT=str(port))
    assert_one_line_error(proc, "FOO", "NIFTY")
    assert not (tmp_path / "data").exists()


def test_a_port_in_use_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run_cli(tmp_path, "run", DELTASTREAM_PORT=str(port))
    assert_one_line_error(proc, f"127.0.0.1:{port}", "DELTASTREAM_PORT")
    # nothing was started: no database, no ticks written
    assert not (tmp_path / "data").exists()


def test_redis_unreachable_is_one_line_with_the_password_masked(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = run_cli(tmp_path, "run", DELTASTREAM_REDIS_URL="redis://bob:hunter2@127.0.0.1:1/0")
    assert time.monotonic() - started < 30
    assert_one_line_error(proc, "Redis", "127.0.0.1:1", "***")
    assert "hunter2" not in proc.stderr + proc.stdout


def test_redis_that_does_not_answer_times_out_within_5_s_in_one_line(tmp_path: Path) -> None:
    # 10.255.255.1 does not answer: without a connect timeout this would hang for minutes
    started = time.monotonic()
    proc = run_cli(tmp_path, "run", DELTASTREAM_REDIS_URL="redis://bob:hunter2@10.255.255.1:6379/0")
    elapsed = time.monotonic() - started
    assert_one_line_error(proc, "Redis", "10.255.255.1:6379", "***", "within 5 s")
    assert "hunter2" not in proc.stderr + proc.stdout
    assert elapsed < 25, elapsed  # 5 s of connect timeout plus interpreter start-up, generously
    assert not (tmp_path / "data").exists()  # nothing started


def test_mongo_unreachable_is_one_line_within_5_s_with_the_password_masked(tmp_path: Path) -> None:
    # 10.255.255.1 does not answer: the connect has to time out, not be refused
    started = time.monotonic()
    proc = run_cli(
        tmp_path, "run", DELTASTREAM_MONGO_URL="mongodb://bob:hunter2@10.255.255.1:27017/?connectTimeoutMS=60000"
    )
    elapsed = time.monotonic() - started
    assert_one_line_error(proc, "MongoDB", "10.255.255.1", "***")
    assert "hunter2" not in proc.stderr + proc.stdout
    assert elapsed < 25, elapsed  # 5 s of server selection plus interpreter start-up, generously


def test_record_into_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "record", "--seconds", "1", str(tmp_path / "nope" / "s.jsonl"))
    assert_one_line_error(proc, "nope")


def test_replay_with_every_line_rejected_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"not": "a message"}\n{"topic": "market:underlying", "payload": {"x": 1}}\n')
    proc = run_cli(tmp_path, "replay", "--speed", "0", "--no-progress", "--drain", "0", str(bad))
    assert proc.returncode != 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "rejected" in proc.stderr


@pytest.mark.parametrize("level", ["LOUD", "verbose", "5"])
def test_a_bad_log_level_is_refused(level: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Settings(log_level=level)
    with pytest.raises(ValueError):
        configure_logging(level)
    assert_one_line_error(run_cli(tmp_path, "run", DELTASTREAM_LOG_LEVEL=level), "LOG_LEVEL")


def test_log_format_auto_is_console_on_a_tty_and_json_otherwise() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    class Pipe:
        def isatty(self) -> bool:
            return False

    assert resolve_format("auto", Tty()) == "console"
    assert resolve_format("auto", Pipe()) == "json"
    assert resolve_format("json", Tty()) == "json"
    assert Settings().log_format == "auto"


def test_per_task_lines_are_debug_only(capsys: pytest.CaptureFixture[str]) -> None:
    taskiq = logging.getLogger("taskiq.receiver.receiver")
    try:
        configure_logging("INFO", "json")
        taskiq.info("Executing task %s with ID: %s", "t", "id-at-info")
        logging.getLogger("deltastream.test").warning("still-shown")
        configure_logging("DEBUG", "json")
        taskiq.info("Executing task %s with ID: %s", "t", "id-at-debug")
        out = capsys.readouterr().out
    finally:
        configure_logging("WARNING", "json")
    assert "id-at-info" not in out
    assert "still-shown" in out
    assert "id-at-debug" in out


def test_make_run_takes_host_and_port_from_the_settings() -> None:
    makefile = (ROOT / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "deltastream run" in run_recipe
    assert "--port" not in run_recipe and "--host" not in run_recipe
    dry = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert "--port" not in dry.stdout, dry.stdout


def test_make_run_serves_on_deltastream_port_and_the_banner_survives_log_level_warning(tmp_path: Path) -> None:
    """`DELTASTREAM_PORT=N make run` (the real Makefile recipe) serves on N, and the banner with
    the URL is printed even at `DELTASTREAM_LOG_LEVEL=WARNING`, which silences the INFO lines."""
    import os
    import signal

    import httpx

    from tests.fixtures.servers import free_port, wait_for_port

    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DELTASTREAM_") and k != "MAKEFLAGS"}
    env = {
        **clean,
        "DELTASTREAM_PORT": str(port),
        "DELTASTREAM_SQLITE_PATH": str(tmp_path / "run.db"),
        "DELTASTREAM_LOG_LEVEL": "WARNING",
        "DELTASTREAM_SUMMARY_INTERVAL": "1",
    }
    # -o: the venv is already installed by `make test`; take its stamp as up to date
    proc = subprocess.Popen(
        ["make", "-s", "-o", ".venv/.installed", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
        time.sleep(3)  # three summary intervals
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert f"http://127.0.0.1:{port}/docs" in err
    assert '"summary"' not in out and "migrations_applied" not in out  # INFO is silenced
    assert (tmp_path / "run.db").exists()


def test_the_licence_is_an_spdx_string() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # a table is deprecated by setuptools
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])


def test_run_prints_a_banner_with_the_url_then_stays_quiet(tmp_path: Path) -> None:
    """`DELTASTREAM_PORT=N` is honoured, the banner names the URL, and the per-task lines that
    flooded the terminal (taskiq's "Executing task ...") stay at DEBUG.

    The line budget ("at most 10 lines in the first minute after the banner"): the real CLI runs
    with a 2 s summary interval instead of 30 s, so a short run covers several intervals. It
    proves that after the banner the process prints a fixed handful of start-up lines and then
    nothing but the summary, at most one per interval; at the default 30 s that is the start-up
    lines plus 2 summaries in the first minute, which must fit in 10.
    """
    import json
    import os
    import signal
    import sys

    import httpx

    from tests.fixtures.servers import free_port, wait_for_port

    interval_s = 2.0
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DELTASTREAM_")}
    env = {
        **clean,
        "PYTHONPATH": str(ROOT),
        "DELTASTREAM_PORT": str(port),
        "DELTASTREAM_FEED_INTERVAL": "0.2",  # 8 products x 5 ticks/s: hundreds of tasks
        "DELTASTREAM_SUMMARY_INTERVAL": str(interval_s),
    }
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deltastream", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
        time.sleep(5 * interval_s)
    finally:
        ran_s = time.monotonic() - started
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/docs" in err
    assert "Executing task" not in out + err
    assert "Traceback" not in err, err
    records = [json.loads(ln) for ln in out.splitlines() if ln.strip()]  # a pipe gets JSON lines
    assert "http_request" not in {r["event"] for r in records}
    summaries = [r for r in records if r["event"] == "summary"]
    others = [r["event"] for r in records if r["event"] not in ("summary", "feed_stopped")]
    assert len(summaries) >= 2, records  # the summary is printed, with every figure
    assert set(summaries[-1]) >= {"ticks_per_s", "chains_per_s", "lag_p95_ms", "socket_clients", "dead_letters"}
    assert summaries[-1]["level"] == "info"
    assert len(summaries) <= ran_s / interval_s + 1, (len(summaries), ran_s)  # at most one per interval
    # the start-up lines and, at the default 30 s interval, two summaries in the first minute
    assert len(others) + 60 / 30 <= 10, others
    assert set(others) <= {"migrations_applied", "feed_started"}, others


def test_record_shows_a_progress_bar_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    # COLUMNS and a forced terminal make rich draw the bar into the captured stderr
    proc = run_cli(
        tmp_path, "record", "--seconds", "2", str(out), FORCE_COLOR="1", TTY_COMPATIBLE="1", COLUMNS="100"
    )
    assert proc.returncode == 0, proc.stderr
    assert "record" in proc.stderr and "ticks," in proc.stderr  # the bar's live counts
    summary = proc.stderr.strip().splitlines()[-1]
    assert "recorded " in summary and "chains in 2 s" in summary and str(out) in summary
    assert out.stat().st_size > 0
    quiet = run_cli(tmp_path, "record", "--seconds", "1", "--no-progress", str(tmp_path / "q.jsonl"))
    assert quiet.returncode == 0 and quiet.stderr.strip().splitlines()[-1].startswith("recorded ")
    assert "ticks," not in quiet.stderr
