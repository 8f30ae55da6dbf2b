"""``deltastream record`` and ``deltastream replay``: capture a simulated session, play one back.

``record --minutes N FILE`` (or ``--seconds``) runs the simulator, publishes as the feed would,
and writes every published message to FILE (JSON Lines; CSV when FILE ends in ``.csv``).

``replay FILE --speed 10`` publishes a recorded session at 10× its recorded pace (``0`` = as fast
as possible) with a progress bar. With Redis configured it publishes on the Redis bus, reaching a
running system. Embedded (no Redis), it starts a local feed + worker runtime, so the replayed data
is enriched and stored in the configured database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from deltastream.core.bus import TOPIC_MARKET_UNDERLYING, EventBus, create_bus
from deltastream.core.cli import fail, load_settings
from deltastream.core.errors import DeltaStreamError
from deltastream.core.logging import configure_logging
from deltastream.feed.component import FeedComponent
from deltastream.feed.replay import ReplaySource
from deltastream.settings import Settings

stderr = Console(stderr=True)


async def record_session(
    settings: Settings,
    path: Path,
    duration_s: float,
    bus: EventBus | None = None,
    progress: bool = False,
) -> dict[str, int]:
    """Run the simulator for ``duration_s`` seconds, publishing on ``bus`` and writing ``path``.

    Without a ``bus`` the configured one is created, started and closed here.

    Returns counts ``{"ticks", "chains"}`` of what was recorded.
    """
    from deltastream.feed.recording import RecordWriter
    from deltastream.feed.service import pump
    from deltastream.feed.simulator import MarketSimulator

    own_bus = bus is None
    bus = bus or create_bus(settings)
    counts = {"ticks": 0, "chains": 0}

    def write(topic: str, payload: dict[str, Any]) -> None:
        writer.write(topic, payload)
        counts["ticks" if topic == TOPIC_MARKET_UNDERLYING else "chains"] += 1

    async def show(bar: Progress) -> None:
        task = bar.add_task("record", total=duration_s, counts="")
        started = asyncio.get_running_loop().time()
        while True:
            elapsed = asyncio.get_running_loop().time() - started
            bar.update(
                task,
                completed=min(elapsed, duration_s),
                counts=f"{counts['ticks']} ticks, {counts['chains']} chains",
            )
            await asyncio.sleep(0.2)

    if own_bus:
        await bus.start()
    columns = (
        TextColumn("record"),
        BarColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with RecordWriter(path) as writer, Progress(*columns, console=stderr, disable=not progress) as bar:
            shower = asyncio.create_task(show(bar))
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(duration_s):
                        await pump(MarketSimulator(settings), bus, write)
            finally:
                shower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await shower
    finally:
        if own_bus:
            await bus.close()
    return counts


class ReplayRuntime(Protocol):
    """What a replay runs in (built by the composition root, see ``deltastream.cli``)."""

    @property
    def feed(self) -> FeedComponent | None: ...

    @property
    def dispatched(self) -> int | None:
        """Market messages the local pipeline has taken; None when there is none (Redis mode)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


BuildReplayRuntime = Callable[[Settings], ReplayRuntime]


async def _wait_dispatched(runtime: ReplayRuntime, published: int, limit_s: float) -> None:
    """Wait (at most ``limit_s``) until the local pipeline has taken every published message.

    Stopping the runtime afterwards drains the tasks it queued. Without a local pipeline there is
    nothing to wait for.
    """
    poll_s = 0.05
    for _ in range(max(1, int(limit_s / poll_s))):
        dispatched = runtime.dispatched
        if dispatched is None or dispatched >= published:
            return
        await asyncio.sleep(poll_s)


async def replay_session(
    build: BuildReplayRuntime, settings: Settings, path: Path, speed: float, drain_s: float, progress: bool
) -> dict[str, int]:
    """Replay ``path`` through a runtime built for it; returns ``{"published", "rejected"}``."""
    settings = settings.model_copy(update={"feed_source": f"replay:{path}?speed={speed}"})
    runtime = build(settings)
    await runtime.start()
    try:
        feed = runtime.feed
        source = feed.source if feed is not None else None
        if feed is None or not isinstance(source, ReplaySource):
            raise RuntimeError("the replay runtime has no started replay feed")
        columns = (TextColumn("replay"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
        with Progress(*columns, console=stderr, disable=not progress, transient=False) as bar:
            task = bar.add_task("replay", total=max(source.size, 1))
            while not feed.finished.is_set():
                bar.update(task, completed=min(source.consumed, source.size))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(feed.finished.wait(), 0.1)
            bar.update(task, completed=source.size)
        published = feed.ticks + feed.chains
        if settings.embedded and drain_s > 0:
            await _wait_dispatched(runtime, published, drain_s)
        return {"published": published, "rejected": feed.rejected}
    finally:
        await runtime.stop()


def register(
    cli: typer.Typer,
    build_runtime: BuildReplayRuntime,
    database_in_use: Callable[[Settings], bool] = lambda _settings: False,
) -> None:
    """Add ``record`` and ``replay`` to the CLI; a replay runs in ``build_runtime(settings)``.
    ``database_in_use(settings)`` says whether a running server writes the configured SQLite file:
    an embedded replay then refuses to write into that live history."""

    @cli.command()
    def record(
        file: Annotated[Path, typer.Argument(help="output: JSON Lines, or CSV if it ends in .csv")],
        minutes: Annotated[float | None, typer.Option(help="how long to record, minutes")] = None,
        seconds: Annotated[float | None, typer.Option(help="how long to record, seconds")] = None,
        progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    ) -> None:
        """Run the simulator for a while and record every message it publishes."""
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format, role="record")
        duration = (seconds or 0.0) + (minutes or 0.0) * 60.0
        if minutes is None and seconds is None:
            duration = 60.0
        if duration <= 0:
            fail("record needs a positive --minutes or --seconds")
        if not file.parent.is_dir():
            fail(f"cannot record to {file}: directory {file.parent} does not exist")
        try:
            counts = asyncio.run(record_session(settings, file, duration, progress=progress))
        except DeltaStreamError as exc:
            fail(exc.message)
        size = file.stat().st_size if file.exists() else 0
        typer.echo(
            f"recorded {counts['ticks']} ticks and {counts['chains']} chains in {duration:g} s "
            f"to {file} ({size / 1024:.0f} KiB); replay it with `deltastream replay {file}`",
            err=True,
        )

    @cli.command()
    def replay(
        file: Annotated[Path, typer.Argument(help="a recorded session (.jsonl or .csv)")],
        speed: Annotated[
            str, typer.Option(help="pace multiplier, e.g. 10 or 10x; 0 = as fast as possible")
        ] = "1",
        drain: Annotated[
            float, typer.Option(help="embedded mode: at most this many seconds for the pipeline to catch up")
        ] = 30.0,
        progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    ) -> None:
        """Publish a recorded session, at its recorded pace divided by --speed."""
        from deltastream.feed.replay import parse_speed

        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format, role="replay")
        if not file.is_file():
            fail(f"replay file not found: {file}")
        if settings.embedded and database_in_use(settings):
            fail(
                f"a running DeltaStream server uses {settings.sqlite_path}; replaying into it would mix the "
                f"recording into live history. Serve the recording on its own instead: "
                f"`deltastream run --replay {file} --speed {speed}` (with DELTASTREAM_PORT set to a free port), "
                "or set DELTASTREAM_SQLITE_PATH to another file"
            )
        try:
            counts = asyncio.run(
                replay_session(build_runtime, settings, file, parse_speed(speed), drain, progress)
            )
        except DeltaStreamError as exc:
            fail(exc.message)
        typer.echo(
            f"replayed {counts['published']} messages from {file} ({counts['rejected']} rejected)", err=True
        )
        if counts["published"] == 0:
            fail(f"nothing replayed: every line of {file} was rejected or the file is empty", code=1)
