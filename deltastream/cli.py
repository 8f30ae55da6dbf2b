"""The command line: one verb per role (the same image runs them all), plus each context's verbs.

``run | run-api | run-worker | run-feed | migrate | version`` live here; ``record``/``replay``
(feed) and ``dead-letters`` (deadletters) are added by those contexts, which are handed what they
need from the composition root (a runtime builder, a service opener) instead of importing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deltastream import __version__
from deltastream.core.cli import fail, load_settings, require_redis
from deltastream.core.logging import configure_logging
from deltastream.settings import Settings

if TYPE_CHECKING:
    from deltastream.deadletters.service import DeadLetters
    from deltastream.wiring import Backend, Runtime

# Role names as in deltastream.wiring (imported lazily there: `version` and `--help` stay fast).
ROLE_API, ROLE_FEED, ROLE_WORKER = "api", "feed", "worker"
ALL_ROLES = frozenset({ROLE_API, ROLE_FEED, ROLE_WORKER})

cli = typer.Typer(
    name="deltastream",
    help="DeltaStream: real-time option analytics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

HostOpt = Annotated[str | None, typer.Option(help="bind address (default DELTASTREAM_HOST)")]
PortOpt = Annotated[int | None, typer.Option(help="port (default DELTASTREAM_PORT)")]


# Split roles on one host get distinct default ports, unless DELTASTREAM_PORT (or --port) is set
# explicitly, as containers do: there every role serves on that port.
_ROLE_PORT_OFFSET = {ROLE_FEED: 1, ROLE_WORKER: 2}


CONNECT_TIMEOUT_S = 5.0


def _check_port(host: str, port: int) -> None:
    """Fail in one line if ``host:port`` cannot be bound, before any component starts."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            fail(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): another process uses it? "
                "Set DELTASTREAM_PORT (or --port) to a free port."
            )


def _check_backends(settings: Settings) -> None:
    """Start-up mistakes as one line each: unknown products, Redis or MongoDB unreachable (within
    5 s, naming the host with credentials masked)."""
    from deltastream.core.errors import DeltaStreamError
    from deltastream.core.redis import redact_url
    from deltastream.feed.products import configured_products

    try:
        configured_products(settings)
    except DeltaStreamError as exc:
        fail(exc.message)
    if settings.redis_url:
        import redis

        client = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S
        )
        try:
            client.ping()
        except Exception as exc:
            fail(
                f"Redis at {redact_url(settings.redis_url)} is unreachable within "
                f"{CONNECT_TIMEOUT_S:g} s: {_first_line(exc)}"
            )
        finally:
            client.close()
    if settings.mongo_url:
        import pymongo

        mongo: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
            settings.mongo_url,
            serverSelectionTimeoutMS=int(CONNECT_TIMEOUT_S * 1000),
            connectTimeoutMS=int(CONNECT_TIMEOUT_S * 1000),
        )
        try:
            mongo.admin.command("ping")
        except Exception as exc:
            fail(
                f"MongoDB at {redact_url(settings.mongo_url)} is unreachable within "
                f"{CONNECT_TIMEOUT_S:g} s ({type(exc).__name__})"
            )
        finally:
            mongo.close()


def _banner(settings: Settings, roles: frozenset[str], host: str, port: int) -> None:
    """A few lines on stderr, whatever the log level: where to go, what runs, where data lives."""
    import sys

    from deltastream.core.redis import redact_url

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    storage = (
        f"MongoDB {redact_url(settings.mongo_url)} (db {settings.mongo_db})"
        if settings.mongo_url
        else f"SQLite {settings.sqlite_path.resolve()}"
    )
    bus = f"Redis {redact_url(settings.redis_url)}" if settings.redis_url else "in-process bus, cache and queue"
    lines = [f"DeltaStream {__version__} on {base} (roles: {', '.join(sorted(roles))})"]
    if ROLE_API in roles:
        lines += [f"  API docs   {base}/docs  (ReDoc {base}/redoc)", f"  Socket.IO  {base}/socket.io/"]
    lines += [
        f"  metrics    {base}/metrics   health {base}/health",
        f"  storage    {storage}",
        f"  bus        {bus}",
        f"  feed       {settings.feed_source}, {len(settings.feed_products)} products; "
        f"a summary line every {settings.summary_interval:g} s (DELTASTREAM_LOG_LEVEL=DEBUG for every task and request)",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


_SERVER_LOCKS: list[object] = []  # open lock files, held for the life of the process


def server_lock_path(settings: Settings) -> Path:
    """The file a running embedded server holds locked beside its SQLite database."""
    return settings.sqlite_path.with_name(settings.sqlite_path.name + ".server.lock")


def _hold_server_lock(settings: Settings) -> None:
    """Mark the SQLite database as in use by this server (an advisory ``flock``, released by the
    OS when the process ends), so an embedded ``replay`` refuses to write into live history."""
    import fcntl

    if settings.mongo_url or str(settings.sqlite_path) == ":memory:":
        return
    path = server_lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        fail(
            f"another DeltaStream server is using {settings.sqlite_path}; stop it or set "
            "DELTASTREAM_SQLITE_PATH to another file"
        )
    _SERVER_LOCKS.append(handle)


def database_in_use(settings: Settings) -> bool:
    """True when a running server holds ``server_lock_path(settings)``."""
    import fcntl

    path = server_lock_path(settings)
    if settings.mongo_url or not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _serve(settings: Settings, roles: frozenset[str], host: str | None, port: int | None) -> None:
    """Serve ``roles`` with uvicorn. Every role serves /health, /ready and /metrics; only the API
    role adds the REST routes and Socket.IO. The port, the products and the backends are checked
    first: a mistake there is one line and exit 2, before anything starts or writes."""
    import gc

    import uvicorn

    from deltastream.app import create_app

    # Fewer, cheaper collections: full GCs otherwise pause fan-out to many sockets for 100+ ms
    # (measured in bench/bench_realtime.py).
    gc.set_threshold(100_000, 50, 1000)
    configure_logging(settings.log_level, settings.log_format, role="+".join(sorted(roles)))
    if port is None and "port" in settings.model_fields_set:
        port = settings.port
    if port is None:
        offset = 0 if ROLE_API in roles else max(_ROLE_PORT_OFFSET.get(r, 0) for r in roles)
        port = settings.port + offset
    host = host or settings.host
    _check_port(host, port)
    _check_backends(settings)
    if roles & {ROLE_FEED, ROLE_WORKER}:
        _hold_server_lock(settings)
    _banner(settings, roles, host, port)
    app = create_app(settings, roles)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )


@cli.command()
def run(
    host: HostOpt = None,
    port: PortOpt = None,
    replay: Annotated[
        Path | None,
        typer.Option(
            help="serve this recorded session instead of the simulator, from its own database "
            "(FILE.replay.db beside it unless DELTASTREAM_SQLITE_PATH is set): live history is never touched"
        ),
    ] = None,
    speed: Annotated[str, typer.Option(help="with --replay: pace multiplier (10 or 10x; 0 = fastest)")] = "1",
) -> None:
    """Every role in one process: API + Socket.IO, feed and worker (embedded backends by default)."""
    settings = load_settings()
    if replay is not None:
        from deltastream.feed.replay import parse_speed

        if not replay.is_file():
            fail(f"replay file not found: {replay}")
        try:
            pace = parse_speed(speed)
        except Exception as exc:
            fail(f"bad --speed {speed!r}: {exc}")
        update: dict[str, object] = {"feed_source": f"replay:{replay}?speed={pace}"}
        if "sqlite_path" not in settings.model_fields_set:
            update["sqlite_path"] = replay.with_name(replay.name + ".replay.db")
        settings = settings.model_copy(update=update)
    _serve(settings, ALL_ROLES, host, port)


@cli.command("run-api")
def run_api(host: HostOpt = None, port: PortOpt = None) -> None:
    """The HTTP and Socket.IO server only (needs Redis to hear the other roles)."""
    settings = load_settings()
    require_redis(settings, "run-api")
    _serve(settings, frozenset({ROLE_API}), host, port)


@cli.command("run-worker")
def run_worker(host: HostOpt = None, port: PortOpt = None) -> None:
    """The enrichment worker only (taskiq over Redis streams); ops endpoints on DELTASTREAM_PORT+2."""
    settings = load_settings()
    require_redis(settings, "run-worker")
    _serve(settings, frozenset({ROLE_WORKER}), host, port)


@cli.command("run-feed")
def run_feed(host: HostOpt = None, port: PortOpt = None) -> None:
    """The market feed and enrichment dispatcher, publishing on the Redis bus; ops endpoints on
    DELTASTREAM_PORT+1."""
    settings = load_settings()
    require_redis(settings, "run-feed")
    _serve(settings, frozenset({ROLE_FEED}), host, port)


@cli.command()
def migrate() -> None:
    """Apply pending migrations to the configured storage backend and list them."""
    settings = load_settings()

    async def _go() -> list[str]:
        from deltastream.storage import create_repository

        repo = create_repository(settings)
        await repo.start()
        try:
            return await repo.applied_migrations()
        finally:
            await repo.close()

    for name in asyncio.run(_go()):
        typer.echo(f"applied {name}")


@cli.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def replay_runtime(settings: Settings) -> Runtime:
    """The runtime a replay publishes through. Embedded, a local feed + worker pipeline enriches
    and stores the replayed data; with Redis the running system's own dispatcher hears the bus,
    so the feed alone publishes."""
    from deltastream.wiring import build_runtime

    if settings.embedded:
        return build_runtime(settings, frozenset({ROLE_FEED, ROLE_WORKER}))
    return build_runtime(settings, frozenset({ROLE_FEED}), components={"feed"})


@asynccontextmanager
async def open_dead_letters(settings: Settings) -> AsyncIterator[DeadLetters]:
    """Storage, cache and bus started (no components) for one dead-letters command."""
    from deltastream.wiring import build_runtime

    runtime = build_runtime(settings, frozenset())
    await runtime.start()
    try:
        yield runtime.dead_letters
    finally:
        await runtime.stop()


@asynccontextmanager
async def open_users(settings: Settings) -> AsyncIterator[Backend]:
    """The configured storage, migrated and started, for one ``users`` command."""
    from deltastream.storage import create_repository

    repo = create_repository(settings)
    await repo.start()
    try:
        yield repo
    finally:
        await repo.close()


def register_context_verbs(app: typer.Typer) -> None:
    """Let the contexts add their own verbs (record, replay, dead-letters, users)."""
    from deltastream.auth.cli import register as register_users
    from deltastream.deadletters.cli import register as register_dead_letters
    from deltastream.feed.cli import register as register_feed

    register_feed(app, replay_runtime, database_in_use)
    register_dead_letters(app, open_dead_letters)
    register_users(app, open_users)


def main() -> None:
    register_context_verbs(cli)
    cli()


if __name__ == "__main__":
    main()
