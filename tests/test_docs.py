"""The README and .env.example stay true to the code: every setting is documented in both."""

from __future__ import annotations

from pathlib import Path

import pytest

from deltastream.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("doc", ["README.md", ".env.example"])
def test_every_setting_is_documented(doc: str) -> None:
    text = (ROOT / doc).read_text()
    missing = [name for name in Settings.model_fields if f"DELTASTREAM_{name.upper()}" not in text]
    assert missing == [], f"{doc} does not document: {missing}"


def test_readme_quick_start_is_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quick.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]


def test_ci_runs_make_test_only() -> None:
    lines = [ln for ln in (ROOT / ".ci/run").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines[-1] == "exec make test"


def _make_rule(target: str) -> tuple[list[str], list[str]]:
    """``(prerequisites, recipe lines)`` of ``target`` in the Makefile."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"{target}:"))
    prereqs = lines[start].split(":", 1)[1].split()
    recipe = []
    for ln in lines[start + 1 :]:
        if not ln.startswith("\t"):
            break
        recipe.append(ln.strip())
    return prereqs, recipe


def test_make_test_runs_the_gates_before_pytest() -> None:
    """CI calls `make test`, so the import contracts and mypy gate every change (ARCHITECTURE rule 8)."""
    prereqs, recipe = _make_rule("test")
    assert prereqs[:2] == ["lint", "typecheck"]
    assert any("pytest" in line for line in recipe)
    _, lint = _make_rule("lint")
    assert any("ruff check" in line for line in lint) and any("lint-imports" in line for line in lint)
    _, typecheck = _make_rule("typecheck")
    assert typecheck == ["$(VENV)/bin/mypy deltastream"]
    contracts = (ROOT / ".importlinter").read_text()
    for kind in ("forbidden", "acyclic_siblings", "protected"):
        assert f"type = {kind}" in contracts


def test_readme_and_docs_run_as_written_on_a_fresh_clone() -> None:
    """Issue 10: no bare `python -m deltastream` (typer lives in .venv), no file outside the repo,
    and the Node examples print only the product they subscribe to, naming it."""
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/deltastream" in readme
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = doc.read_text()
        assert "python -m deltastream" not in text.replace("`python -m deltastream` outside", ""), doc
        assert "SPEC.md" not in text, doc
        assert "/work/" not in text, doc
    for doc in (ROOT / "README.md", ROOT / "docs" / "socket.md"):
        js = doc.read_text().split("```js", 1)[1].split("```", 1)[0]
        for event in ("underlying_update", "chain_summary"):
            line = next(ln for ln in js.splitlines() if f'socket.on("{event}"' in ln)
            assert "=== P &&" in line and ".product," in line, (doc.name, line)


def _docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_shell_examples_call_the_cli_through_the_venv() -> None:
    """Every `deltastream` command in a shell block runs on a fresh clone after `make install`:
    it is spelled `.venv/bin/deltastream` (the README says so once, above the command table)."""
    import re

    bare = re.compile(r"(^|[\s;&|(`$])(deltastream|python -m deltastream)\s")
    for doc in _docs():
        for block in re.findall(r"```(?:bash|sh|shell|console)?\n(.*?)```", doc.read_text(), re.S):
            for line in block.splitlines():
                code = line.split("#", 1)[0]
                assert not bare.search(code.replace(".venv/bin/deltastream", "")), (doc.name, line)
    readme = (ROOT / "README.md").read_text()
    assert readme.count("lives in the project's virtualenv") == 1


def test_doc_links_stay_inside_the_repository() -> None:
    """Relative links resolve to files of this repository: nothing outside it is cited."""
    import re

    for doc in _docs():
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), (doc.name, target)
