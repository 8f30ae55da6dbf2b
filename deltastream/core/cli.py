"""Helpers shared by CLI commands: settings loading and role checks with one-line errors."""

from __future__ import annotations

import sys
from typing import NoReturn

from pydantic import ValidationError

from deltastream.settings import ConfigurationError, Settings, get_settings

EXIT_CONFIG = 2


def fail(message: str, code: int = EXIT_CONFIG) -> NoReturn:
    print(f"deltastream: {message}", file=sys.stderr)
    raise SystemExit(code)


def load_settings() -> Settings:
    """Settings from the environment; a bad value exits 2 with one line instead of a traceback."""
    try:
        return get_settings()
    except ConfigurationError as exc:
        fail(str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        fail(f"invalid configuration: DELTASTREAM_{where.upper()}: {first.get('msg')}")


def require_redis(settings: Settings, role: str) -> None:
    if not settings.redis_url:
        fail(
            f"`{role}` runs one role apart from the others, and split roles talk over Redis: "
            "set DELTASTREAM_REDIS_URL (or use `deltastream run` for everything in one process)."
        )
