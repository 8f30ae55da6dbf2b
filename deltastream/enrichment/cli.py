"""``deltastream dead-letters list|replay``: inspect and replay dead letters from a shell.

The command opens the configured storage (and Redis, if configured) on its own, so it works
while the server runs. In embedded mode a replayed task runs inside the command itself, against
the same SQLite file; with Redis it is queued for the running workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from deltastream.cli_common import fail, load_settings
from deltastream.core import jsonx
from deltastream.core.errors import DeltaStreamError
from deltastream.enrichment.dead_letters import list_dead_letters, replay_dead_letter, replay_dead_letters

T = TypeVar("T")

SourceOpt = Annotated[
    str | None, typer.Option(help="only dead letters from this source (enrichment, feed ...)")
]


def _with_runtime(action: Callable[[Any], Awaitable[T]]) -> T:
    """Start storage, cache and bus (no components), run ``action(runtime)``, stop them."""
    from deltastream.wiring import build_runtime

    settings = load_settings()

    async def _go() -> T:
        runtime = build_runtime(settings, frozenset())
        await runtime.start()
        try:
            return await action(runtime)
        finally:
            await runtime.stop()

    try:
        return asyncio.run(_go())
    except DeltaStreamError as exc:
        fail(exc.message, code=1)


def _show(records: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(jsonx.dumps(records).decode())
        return
    table = Table("id", "time (UTC)", "source", "reason", "task / topic", "tries", "replayed", "error")
    for rec in records:
        table.add_row(
            str(rec.get("id")),
            jsonx.isoformat_z(rec["timestamp"])[:19] if rec.get("timestamp") else "",
            str(rec.get("source") or ""),
            str(rec.get("reason") or ""),
            str(rec.get("task") or rec.get("topic") or ""),
            str(rec.get("attempts") or ""),
            "yes" if rec.get("replayed_at") else "",
            str(rec.get("error") or "")[:80],
        )
    Console().print(table)


def register_cli(cli: typer.Typer) -> None:
    """Add the ``dead-letters`` command group to the main CLI."""
    group = typer.Typer(help="List and replay dead-lettered messages and tasks.", no_args_is_help=True)

    @group.command("list")
    def list_cmd(
        source: SourceOpt = None,
        replayed: Annotated[bool, typer.Option("--all", help="include the ones already replayed")] = False,
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    ) -> None:
        """Dead letters, newest first."""
        records = _with_runtime(lambda rt: list_dead_letters(rt.repo, source, replayed, limit))
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
            outcomes = _with_runtime(lambda rt: replay_dead_letters(rt, source=source))
        else:
            assert dead_letter_id is not None
            outcomes = [_with_runtime(lambda rt: replay_dead_letter(rt, dead_letter_id))]
        for outcome in outcomes:
            typer.echo(jsonx.dumps(outcome).decode())
        if any("error" in outcome or not outcome.get("accepted", True) for outcome in outcomes):
            raise typer.Exit(1)

    cli.add_typer(group, name="dead-letters")
