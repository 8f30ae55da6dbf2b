"""Log lines printed while a rich progress bar is live go above the bar (through rich's console),
never through it (issue 10): the logging stream follows the current ``sys.stdout``."""

from __future__ import annotations

import io
import logging
import sys

from rich.console import Console
from rich.progress import Progress

from deltastream.core.logging import configure_logging, get_logger


def test_logs_during_a_progress_bar_go_through_richs_console() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=80)
    real_stdout = sys.stdout
    try:
        configure_logging("INFO", "json")  # configured before the bar starts, as the CLI does
        with Progress(console=console, redirect_stdout=True) as bar:
            bar.add_task("replay", total=10)
            assert sys.stdout is not real_stdout  # rich redirected stdout while live
            get_logger("test").warning("structlog-line-during-bar")
            logging.getLogger("deltastream.test").warning("stdlib-line-during-bar")
    finally:
        configure_logging("WARNING", "json")
    text = buffer.getvalue()
    assert "structlog-line-during-bar" in text
    assert "stdlib-line-during-bar" in text
