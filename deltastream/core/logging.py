"""structlog configuration: JSON (or console) lines with ``service``, ``role`` and ``request_id`` bound."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_extra_processors: list[Any] = []

# Libraries whose INFO lines are per task or per request (taskiq logs "Executing task ... with ID"
# for every message): at INFO they would flood the terminal, so they speak from WARNING up unless
# the level is DEBUG.
CHATTY_LOGGERS = (
    "taskiq",
    "aiosqlite",
    "httpx",
    "httpcore",
    "engineio",
    "socketio",
    "uvicorn.access",
    "uvicorn.error",  # "Started server process", "Waiting for application startup" ...: the banner says it
)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def resolve_format(fmt: str, stream: Any = None) -> str:
    """``auto`` means console on a terminal and JSON lines on a pipe or file."""
    if fmt != "auto":
        return fmt
    stream = stream if stream is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return "console" if callable(isatty) and isatty() else "json"


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` (or ``sys.stderr``) is now, so a rich progress bar that
    redirects them prints log lines above the bar instead of through it."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr

    @property
    def stream(self) -> Any:
        return sys.stderr if self.stderr else sys.stdout

    def write(self, text: str) -> int:
        return int(self.stream.write(text))

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(self.stream.isatty())


class _CurrentStdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler on the current ``sys.stdout`` (see :class:`_CurrentStdout`)."""

    def __init__(self, stderr: bool = False) -> None:
        super().__init__(_CurrentStdout(stderr))  # type: ignore[arg-type]


def add_processor(processor: Any) -> None:
    """Register a processor that runs before rendering (the logs context ships records this way)."""
    if processor not in _extra_processors:
        _extra_processors.append(processor)


def configure_logging(
    level: str = "INFO", fmt: str = "auto", role: str | None = None, *, stderr: bool = False
) -> None:
    """Configure structlog and the stdlib root logger to emit one line per event on stdout.

    ``fmt`` is ``json``, ``console`` or ``auto`` (console on a TTY). ``stderr`` sends the lines
    there instead (a command whose stdout is data, e.g. ``--json``). An unknown level is refused
    with ``ValueError`` (settings validate it first, so the CLI reports it in one line).
    """
    if not isinstance(level, str) or level.upper() not in LEVELS:
        raise ValueError(f"unknown log level {level!r}: use one of {', '.join(LEVELS)}")
    level_no = logging.getLevelName(level.upper())
    out = _CurrentStdout(stderr)
    fmt = resolve_format(fmt, out)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )

    def _ship(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for proc in _extra_processors:
            event = proc(logger, method, event)
        return event

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            _ship,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level_no),
        logger_factory=structlog.PrintLoggerFactory(file=out),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # Records from the standard library (uvicorn, taskiq, aiosqlite ...) get the same format.
    handler = _CurrentStdoutHandler(stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *shared,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
                _drop_color_message,
            ],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_no)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(level_no if level_no <= logging.DEBUG else max(level_no, logging.WARNING))
    if role:
        structlog.contextvars.bind_contextvars(role=role)


def _drop_color_message(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # uvicorn repeats each message with ANSI colours in this extra; JSON lines don't need it.
    event.pop("color_message", None)
    return event


def get_logger(service: str, **bound: Any) -> Any:
    """A logger with ``service`` (the context name) bound.

    It stays a lazy proxy until first use, so module-level loggers follow ``configure_logging``.
    """
    return structlog.get_logger(service=service, **bound)
