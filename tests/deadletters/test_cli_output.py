"""`deltastream dead-letters list` as a newcomer reads it: a sentence when empty, 80 columns,
and `--json` prints JSON only (issue 10)."""

from __future__ import annotations

from pathlib import Path

from deltastream.core import jsonx
from deltastream.settings import Settings
from tests.core.test_cli import run_cli
from tests.fixtures.runtimes import make_runtime


async def test_empty_list_says_so_and_json_is_json_only(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    plain = run_cli(tmp_path, "dead-letters", "list", DELTASTREAM_SQLITE_PATH=str(db))
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip() == "no dead letters"
    # a fresh database logs its migrations: never on stdout, which is the JSON
    fresh = tmp_path / "fresh2.db"
    as_json = run_cli(tmp_path, "dead-letters", "list", "--json", DELTASTREAM_SQLITE_PATH=str(fresh))
    assert as_json.returncode == 0, as_json.stderr
    assert jsonx.loads(as_json.stdout) == []


async def test_the_table_fits_80_columns(settings: Settings, tmp_path: Path) -> None:
    runtime = make_runtime(settings, worker=False, dispatcher=False)
    await runtime.start()
    try:
        for i in range(3):
            await runtime.repo.add_dead_letter(
                {
                    "source": "enrichment",
                    "reason": "task_failed",
                    "task": "process_option_chain_with_a_long_name",
                    "attempts": 3,
                    "error": f"RuntimeError('boom {i} ' + 'x' * 200)" + "y" * 200,
                    "payload": {"product": "NIFTY"},
                }
            )
    finally:
        await runtime.stop()
    proc = run_cli(
        tmp_path, "dead-letters", "list", DELTASTREAM_SQLITE_PATH=str(settings.sqlite_path), COLUMNS="80"
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.rstrip("\n").splitlines()
    assert len(lines) == 4, proc.stdout  # header + one line per dead letter, no wrapping
    assert all(len(line) <= 80 for line in lines), [len(line) for line in lines]
    assert "boom 2" in lines[1]  # newest first
    assert "enrichment" in lines[1]
