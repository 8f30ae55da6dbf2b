"""The CLI as users run it: ``python -m deltastream <verb>`` in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deltastream import __version__, cli, wiring

ROOT = Path(__file__).resolve().parents[2]


def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with no inherited DELTASTREAM_* variables and no .env file in the cwd."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DELTASTREAM_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "deltastream", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("deltastream: ")
    for needle in needles:
        assert needle in lines[0]


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "version")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == __version__


def test_help_lists_every_role_verb(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "--help")

    assert proc.returncode == 0, proc.stderr
    for verb in ("run", "run-api", "run-worker", "run-feed", "migrate", "version"):
        assert verb in proc.stdout


@pytest.mark.parametrize("verb", ["run-worker", "run-feed", "run-api"])
def test_split_roles_without_redis_exit_2_with_one_line(tmp_path: Path, verb: str) -> None:
    proc = run_cli(tmp_path, verb)

    assert_one_line_error(proc, "DELTASTREAM_REDIS_URL", verb)


def test_bad_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "run-worker", DELTASTREAM_JWT_SECRET="too-short")

    assert_one_line_error(proc, "DELTASTREAM_JWT_SECRET", "32 bytes")


def test_prod_with_the_default_secret_exits_2_with_one_line(tmp_path: Path) -> None:
    proc = run_cli(
        tmp_path, "run-worker", DELTASTREAM_ENV="prod", DELTASTREAM_REDIS_URL="redis://127.0.0.1:1/0"
    )

    assert_one_line_error(proc, "DELTASTREAM_JWT_SECRET", "prod")


def test_the_cli_role_names_are_the_composition_roots() -> None:
    """``cli`` spells the roles itself (importing ``wiring`` would slow ``--help``): they must agree."""
    assert (cli.ROLE_API, cli.ROLE_FEED, cli.ROLE_WORKER) == (
        wiring.ROLE_API,
        wiring.ROLE_FEED,
        wiring.ROLE_WORKER,
    )
    assert cli.ALL_ROLES == wiring.ALL_ROLES
    assert set().union(*wiring.COMPONENT_ROLES.values()) <= cli.ALL_ROLES
