"""``deltastream dead-letters list|replay``: inspect and replay dead letters from a shell.

The command opens the configured storage (and Redis, if configured) on its own, so it works
while the server runs. In embedded mode a replayed task runs inside the command itself, against
the same SQLite file; with Redis it is queued for the running workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from deltastream.core import jsonx
from deltastream.core.cli import fail, load_settings
from deltastream.core.errors import DeltaStreamError
from deltastream.core.logging import configure_logging
from deltastream.deadletters.service import DeadLetters
from deltastream.settings import Settings

T = TypeVar("T")

SourceOpt = Annotated[
    str | None, typer.Option(help="only dead letters from this source (enrichment, feed ...)")
]


OpenDeadLetters = Callable[[Settings], AbstractAsyncContextManager[DeadLetters]]


def _run(open_service: OpenDeadLetters, action: Callable[[DeadLetters], Awaitable[T]]) -> T:
    """Open the service (storage, cache and bus; no components), run ``action`` on it, close it."""
    settings = load_settings()
    # stdout is the command's output (a table or JSON): logs go to stderr, warnings and up only.
    level = settings.log_level if settings.log_level in ("WARNING", "ERROR") else "WARNING"
    configure_logging(level, settings.log_format, role="dead-letters", stderr=True)

    async def _go() -> T:
        async with open_service(settings) as service:
            return await action(service)

    try:
        return asyncio.run(_go())
    except DeltaStreamError as exc:
        fail(exc.message, code=1)


def _show(records: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(jsonx.dumps(records).decode())
        return
    if not records:
        typer.echo("no dead letters")
        return
    # Fits 80 columns: fixed narrow columns, one line per row, long text cut with an ellipsis.
    table = Table(box=None, pad_edge=False, expand=False)
    table.add_column("id", no_wrap=True, overflow="ellipsis", min_width=2, max_width=8)
    table.add_column("time (UTC)", no_wrap=True, min_width=16, max_width=16)
    table.add_column("source", no_wrap=True, overflow="ellipsis", min_width=10, max_width=10)
    table.add_column("task / topic", no_wrap=True, overflow="ellipsis", min_width=14, max_width=14)
    table.add_column("tries", no_wrap=True, justify="right", min_width=5, max_width=5)
    table.add_column("error", no_wrap=True, overflow="ellipsis")
    for rec in records:
        reason = str(rec.get("reason") or "")
        error = str(rec.get("error") or "")
        table.add_row(
            str(rec.get("id")),
            jsonx.isoformat_z(rec["timestamp"])[:16].replace("T", " ") if rec.get("timestamp") else "",
            str(rec.get("source") or ""),
            str(rec.get("task") or rec.get("topic") or ""),
            str(rec.get("attempts") or ""),
            ("replayed; " if rec.get("replayed_at") else "") + (f"{reason}: {error}" if reason else error),
        )
    Console(width=min(Console().width, 80)).print(table)


def register(cli: typer.Typer, open_service: OpenDeadLetters) -> None:
    """Add the ``dead-letters`` command group to the main CLI; each command runs against
    ``open_service(settings)`` (handed over by the composition root)."""
    group = typer.Typer(help="List and replay dead-lettered messages and tasks.", no_args_is_help=True)

    @group.command("list")
    def list_cmd(
        source: SourceOpt = None,
        replayed: Annotated[bool, typer.Option("--all", help="include the ones already replayed")] = False,
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    ) -> None:
        """Dead letters, newest first."""
        records = _run(open_service, lambda dl: dl.list_dead_letters(source, replayed, limit))
        _show(records, as_json)

    @group.command("replay")
    def replay_cmd(
        dead_letter_id: Annotated[str | None, typer.Argument(help="the id shown by `list`")] = None,
        replay_all: Annotated[bool, typer.Option("--all", help="replay every pending dead letter")] = False,
        source: SourceOpt = None,
    ) -> None:
        """Replay one dead letter by id, or every pending one with --all."""
        if replay_all == (dead_letter_id is not None):
            fail("give either a dead letter ID or --all", code=2)
        if replay_all:
            outcomes = _run(open_service, lambda dl: dl.replay_all(source=source))
        else:
            assert dead_letter_id is not None
            outcomes = [_run(open_service, lambda dl: dl.replay(dead_letter_id))]
        for outcome in outcomes:
            typer.echo(jsonx.dumps(outcome).decode())
        if any("error" in outcome or not outcome.get("accepted", True) for outcome in outcomes):
            raise typer.Exit(1)

    cli.add_typer(group, name="dead-letters")
