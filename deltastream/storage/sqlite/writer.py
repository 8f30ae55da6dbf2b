"""The single SQLite writer: every write is queued to one coroutine that commits in batches.

Callers ``await writer.submit(kind, arg)`` and get the result of their own operation once the
transaction that contains it has committed. The writer drains up to ``max_batch`` queued operations,
groups them by ``kind`` and runs one handler call per group (so a handler can use ``executemany``),
all inside one ``BEGIN IMMEDIATE ... COMMIT``. A group runs under a savepoint: if its handler fails,
the group is rolled back and its operations are retried one by one, so a bad record fails only its
own caller. A batch of one operation whose kind is single-statement runs in autocommit mode
instead (same atomicity, two fewer thread round trips), which is what a lone sequential caller gets.
Maintenance work (vacuum, checkpoint) runs after the commit, outside any transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from deltastream.core.logging import get_logger

BatchHandler = Callable[[aiosqlite.Connection, list[Any]], Awaitable[list[Any]]]
"""Runs a group of operations of one kind inside the open transaction; one result per argument."""

Maintenance = Callable[[aiosqlite.Connection], Awaitable[Any]]

_MAINTENANCE = "__maintenance__"

log = get_logger("storage")


class WriterClosedError(RuntimeError):
    """A write was submitted after :meth:`SQLiteWriter.close` began."""


@dataclass(eq=False, slots=True)
class _Op:
    kind: str
    arg: Any
    future: asyncio.Future[Any]


class SQLiteWriter:
    """Owns the write connection; see the module docstring for the batching contract."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        handlers: Mapping[str, BatchHandler],
        *,
        max_batch: int = 256,
        max_queue: int = 10_000,
        autocommit_kinds: frozenset[str] = frozenset(),
    ) -> None:
        self._conn = conn
        self._handlers = dict(handlers)
        # Kinds whose handler, given one operation, writes with a single statement (or inside its
        # own savepoint): alone in a batch they skip BEGIN/COMMIT, two round trips to the thread.
        self._autocommit_kinds = autocommit_kinds
        self._max_batch = max_batch
        # Bounded, so a writer that falls behind slows producers down instead of growing memory.
        self._queue: asyncio.Queue[_Op | None] = asyncio.Queue(maxsize=max_queue)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.operations = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sqlite-writer")

    async def submit(self, kind: str, arg: Any) -> Any:
        """Queue one operation and wait until its transaction commits; returns the handler's result."""
        if kind not in self._handlers:
            raise KeyError(f"no SQLite write handler for {kind!r}")
        return await self._enqueue(kind, arg)

    async def maintenance(self, fn: Maintenance) -> Any:
        """Run ``fn(conn)`` on the write connection between batches, outside any transaction."""
        return await self._enqueue(_MAINTENANCE, fn)

    async def close(self) -> None:
        """Finish every queued operation, then stop. Later submissions raise WriterClosedError."""
        if self._closing:
            return
        self._closing = True
        if self._task is None:
            return
        await self._queue.put(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _enqueue(self, kind: str, arg: Any) -> Any:
        if self._closing or self._task is None or self._task.done():
            raise WriterClosedError("the SQLite writer is not running")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Op(kind, arg, future))
        return await future

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    op = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if op is None:
                    stopping = True
                    break
                batch.append(op)
            try:
                await self._execute(batch)
            except asyncio.CancelledError:
                _fail(batch, WriterClosedError("the SQLite writer was cancelled"))
                raise
            except Exception as exc:  # a bug or a dead connection: fail these callers, keep serving
                log.error("sqlite_writer_batch_failed", error=repr(exc), size=len(batch))
                _fail(batch, exc)
        # Anything that got in behind the stop marker (a put blocked on a full queue) is refused.
        while not self._queue.empty():
            late = self._queue.get_nowait()
            if late is not None:
                _settle(late, WriterClosedError("the SQLite writer is closed"))

    async def _execute(self, batch: list[_Op]) -> None:
        groups: dict[str, list[_Op]] = {}
        maintenance: list[_Op] = []
        for op in batch:
            if op.kind == _MAINTENANCE:
                maintenance.append(op)
            else:
                groups.setdefault(op.kind, []).append(op)
        if groups:
            outcome: dict[_Op, Any] = {}
            if len(batch) == 1 and batch[0].kind in self._autocommit_kinds:
                await self._run_alone(batch[0], outcome)
            else:
                await self._run_transaction(batch, groups, outcome)
            for op, result in outcome.items():
                _settle(op, result)
            self.batches += 1
            self.operations += len(outcome)
        for op in maintenance:
            try:
                _settle(op, await op.arg(self._conn))
            except Exception as exc:
                _settle(op, exc)

    async def _run_alone(self, op: _Op, outcome: dict[_Op, Any]) -> None:
        try:
            outcome[op] = (await self._handlers[op.kind](self._conn, [op.arg]))[0]
        except Exception as exc:
            if self._conn.in_transaction:  # a handler's savepoint opened one
                with contextlib.suppress(Exception):
                    await self._conn.execute("ROLLBACK")
            outcome[op] = exc

    async def _run_transaction(
        self, batch: list[_Op], groups: dict[str, list[_Op]], outcome: dict[_Op, Any]
    ) -> None:
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            if len(batch) == 1:
                # Alone in its transaction: a failure rolls the whole thing back, no savepoint needed.
                op = batch[0]
                outcome[op] = (await self._handlers[op.kind](self._conn, [op.arg]))[0]
            else:
                for kind, ops in groups.items():
                    await self._run_group(kind, ops, outcome)
            await self._conn.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self._conn.execute("ROLLBACK")
            outcome.clear()
            outcome.update({op: exc for ops in groups.values() for op in ops})

    async def _run_group(self, kind: str, ops: list[_Op], outcome: dict[_Op, Any]) -> None:
        await self._conn.execute("SAVEPOINT write_group")
        try:
            results = await self._handlers[kind](self._conn, [op.arg for op in ops])
        except Exception as exc:
            await self._conn.execute("ROLLBACK TO write_group")
            await self._conn.execute("RELEASE write_group")
            if len(ops) == 1:
                outcome[ops[0]] = exc
                return
            for op in ops:
                await self._run_group(kind, [op], outcome)
            return
        await self._conn.execute("RELEASE write_group")
        outcome.update(zip(ops, results, strict=True))


def _settle(op: _Op, result: Any) -> None:
    if op.future.done():  # the caller was cancelled; its write still happened
        return
    if isinstance(result, BaseException):
        op.future.set_exception(result)
    else:
        op.future.set_result(result)


def _fail(batch: list[_Op], exc: BaseException) -> None:
    for op in batch:
        _settle(op, exc)
