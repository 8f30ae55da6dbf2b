"""``python -m deltastream``: one entrypoint, one verb per role (the same image runs them all)."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from deltastream import __version__
from deltastream.cli_common import load_settings, require_redis
from deltastream.core.logging import configure_logging
from deltastream.settings import Settings
from deltastream.wiring import ALL_ROLES, ROLE_API, ROLE_FEED, ROLE_WORKER, build_runtime

cli = typer.Typer(
    name="deltastream",
    help="DeltaStream: real-time option analytics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

HostOpt = Annotated[str | None, typer.Option(help="bind address (default DELTASTREAM_HOST)")]
PortOpt = Annotated[int | None, typer.Option(help="port (default DELTASTREAM_PORT)")]


def _serve(settings: Settings, roles: frozenset[str], host: str | None, port: int | None) -> None:
    import uvicorn

    from deltastream.app import create_app

    configure_logging(settings.log_level, settings.log_format, role="+".join(sorted(roles)))
    app = create_app(settings, roles)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )


async def _run_headless(settings: Settings, roles: frozenset[str]) -> None:
    runtime = build_runtime(settings, roles)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()


def _headless(settings: Settings, roles: frozenset[str]) -> None:
    configure_logging(settings.log_level, settings.log_format, role="+".join(sorted(roles)))
    asyncio.run(_run_headless(settings, roles))


@cli.command()
def run(host: HostOpt = None, port: PortOpt = None) -> None:
    """Every role in one process: API + Socket.IO, feed and worker (embedded backends by default)."""
    _serve(load_settings(), ALL_ROLES, host, port)


@cli.command("run-api")
def run_api(host: HostOpt = None, port: PortOpt = None) -> None:
    """The HTTP and Socket.IO server only (needs Redis to hear the other roles)."""
    settings = load_settings()
    require_redis(settings, "run-api")
    _serve(settings, frozenset({ROLE_API}), host, port)


@cli.command("run-worker")
def run_worker() -> None:
    """The enrichment worker only (taskiq over Redis streams)."""
    settings = load_settings()
    require_redis(settings, "run-worker")
    _headless(settings, frozenset({ROLE_WORKER}))


@cli.command("run-feed")
def run_feed() -> None:
    """The market feed only (simulator or replay), publishing on the Redis bus."""
    settings = load_settings()
    require_redis(settings, "run-feed")
    _headless(settings, frozenset({ROLE_FEED}))


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


def main() -> None:
    from deltastream.wiring import register_cli

    register_cli(cli)
    cli()


if __name__ == "__main__":
    main()
