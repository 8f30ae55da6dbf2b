"""structlog configuration: JSON (or console) lines with ``service``, ``role`` and ``request_id`` bound."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_extra_processors: list[Any] = []


def add_processor(processor: Any) -> None:
    """Register a processor that runs before rendering (the logs context ships records this way)."""
    if processor not in _extra_processors:
        _extra_processors.append(processor)


def configure_logging(level: str = "INFO", fmt: str = "json", role: str | None = None) -> None:
    """Configure structlog and the stdlib root logger to emit one line per event on stdout."""
    level_no = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(level_no, int):
        level_no = logging.INFO
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    # Records from the standard library (uvicorn, taskiq, aiosqlite ...) get the same format.
    handler = logging.StreamHandler(sys.stdout)
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
