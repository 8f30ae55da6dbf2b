"""A terminal a person can read: chatty libraries stay quiet at INFO, bad levels are refused, the
format follows the terminal, and `make run` takes host and port from the settings."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deltastream.core.logging import CHATTY_LOGGERS, configure_logging, resolve_format

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _restore_logging() -> None:
    yield
    configure_logging("WARNING", "json")


def test_per_task_library_lines_are_debug_only() -> None:
    configure_logging("INFO", "json")
    for name in CHATTY_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        assert logging.getLogger(name).isEnabledFor(logging.WARNING), name
    # taskiq's "Executing task ... with ID" line is INFO: it no longer reaches the terminal.
    assert not logging.getLogger("taskiq.receiver.receiver").isEnabledFor(logging.INFO)
    configure_logging("DEBUG", "json")
    assert logging.getLogger("taskiq").isEnabledFor(logging.DEBUG)


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="LOUD"):
        configure_logging("LOUD", "json")


def test_auto_format_is_console_on_a_terminal_and_json_on_a_pipe() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert resolve_format("auto", Tty()) == "console"
    assert resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format("json", Tty()) == "json"


def test_the_cli_refuses_a_bad_log_level_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DELTASTREAM_LOG_LEVEL": "LOUD", "DELTASTREAM_SQLITE_PATH": str(tmp_path / "x.db")}
    env.pop("DELTASTREAM_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "deltastream", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deltastream: ") and "DELTASTREAM_LOG_LEVEL" in lines[0]
    assert not (tmp_path / "x.db").exists()


def test_make_run_takes_host_and_port_from_the_settings() -> None:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = lines.index(next(ln for ln in lines if ln.startswith("run:")))
    recipe = [ln.strip() for ln in lines[start + 1 :] if ln.startswith("\t")][:1]
    assert recipe == ["$(PY) -m deltastream run"], recipe
