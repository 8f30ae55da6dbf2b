"""The official ``socket.io-client@4`` (Node) against ``run``: the real feed and pipeline, every role."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deltastream.app import create_app
from deltastream.realtime.schemas import CHAIN_SUMMARY_FIELDS
from deltastream.settings import Settings
from deltastream.wiring import ALL_ROLES
from tests.realtime.conftest import serve, user_token

SCRIPT = Path(__file__).parent / "js" / "peer_client.cjs"
NODE_RUN_S = 60.0


@pytest.fixture(scope="session")
def js_client_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``node_modules`` with socket.io-client@4, installed once per session from the npm registry."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.skip("node and npm are not installed: the official socket.io-client test needs them")
    folder = tmp_path_factory.mktemp("socketio-client-js")
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", "socket.io-client@4"],
        cwd=folder,
        check=True,
        timeout=300,
        capture_output=True,
    )
    return folder / "node_modules"


async def _run_peer(url: str, modules: Path, *args: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    proc = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        url,
        *args,
        env={**os.environ, "NODE_PATH": str(modules)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), NODE_RUN_S)
    lines = out.decode().strip().splitlines()
    assert lines, f"node printed nothing; stderr: {err.decode()[-2000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    result["returncode"] = proc.returncode
    return result


def _live(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(
        update={
            "feed_products": ["NIFTY", "BANKNIFTY"],
            "feed_expiries": 1,
            "feed_strikes": 11,
            "feed_chain_every": 1,
            **overrides,
        }
    )


async def test_official_js_client_gets_live_pushes_from_run(
    settings: Settings, js_client_modules: Path
) -> None:
    async with serve(create_app(_live(settings), ALL_ROLES)) as srv:
        result = await _run_peer(srv.url, js_client_modules)
    assert result["returncode"] == 0, result
    seen = result["seen"]
    assert seen["connected"]["rooms"] == ["general"]
    assert seen["products"] == {"products": ["NIFTY", "BANKNIFTY"]}
    assert seen["subscribed:chain:NIFTY"]["room"] == "chain:NIFTY"
    tick = seen["underlying_update"]
    assert {"product", "price", "timestamp", "change", "change_pct", "processed_at"} <= tick.keys()
    assert set(seen["chain_summary"]) == set(CHAIN_SUMMARY_FIELDS)
    assert {"calls", "puts", "pcr_oi", "max_pain_strike", "expiry"} <= set(seen["chain_update"]["keys"])
    assert seen["chain_update"]["calls"] == 11
    assert result["transport"] == "websocket"  # upgraded from polling through the FastAPI mount


async def test_official_js_client_connects_with_a_token_when_reads_are_private(
    settings: Settings, js_client_modules: Path
) -> None:
    private = _live(settings, public_reads=False)
    async with serve(create_app(private, ALL_ROLES)) as srv:
        token, user_id = await user_token(srv.runtime, "js@example.com")
        refused = await _run_peer(srv.url, js_client_modules)
        allowed = await _run_peer(srv.url, js_client_modules, token)
    assert refused["returncode"] == 2
    assert refused["error"].startswith("Authentication required")
    assert refused["data"] == {"code": "unauthorized"}
    assert allowed["returncode"] == 0, allowed
    assert allowed["seen"]["connected"]["rooms"] == ["general", f"user:{user_id}"]


def _documented_example(doc: str) -> str:
    text = (Path(__file__).resolve().parents[2] / doc).read_text()
    return text.split("```js", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("doc", ["README.md", "docs/socket.md"])
async def test_the_documented_node_client_prints_only_the_product_it_subscribes_to(
    settings: Settings, js_client_modules: Path, tmp_path: Path, doc: str
) -> None:
    """The Node example of the docs, run as written (only the URL changed) against a feed of two
    products: every line it prints is about the product it subscribed to, and names it."""
    node = shutil.which("node")
    assert node is not None
    example = _documented_example(doc)
    assert 'const P = "NIFTY"' in example and "http://127.0.0.1:8000" in example
    lines: list[str] = []
    async with serve(create_app(_live(settings), ALL_ROLES)) as srv:
        script = tmp_path / "client.cjs"
        script.write_text(example.replace("http://127.0.0.1:8000", srv.url))
        env = {k: v for k, v in os.environ.items() if k != "DS_TOKEN"}
        proc = await asyncio.create_subprocess_exec(
            node, str(script), env={**env, "NODE_PATH": str(js_client_modules)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(NODE_RUN_S):
                while not (any(" PCR " in ln for ln in lines) and len(lines) >= 8):
                    raw = await proc.stdout.readline()
                    if not raw:
                        break
                    line = raw.decode().strip()
                    if line and not line.startswith("connected as"):
                        lines.append(line)
        finally:
            proc.kill()
            _, err = await proc.communicate()
    assert len(lines) >= 8, (lines, err.decode()[-1000:])
    assert {ln.split()[0] for ln in lines} == {"NIFTY"}, lines  # BANKNIFTY streams too, unprinted
    assert any(" PCR " in ln for ln in lines)
