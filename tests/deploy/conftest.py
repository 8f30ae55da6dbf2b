"""Loaders for the deployment files, and the set of metric names the code really exports.

No Docker engine or cluster exists here, so the manifests are validated structurally: they parse,
and every role, command, port, env var, probe and metric they name exists in the code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry, Metric
from prometheus_fastapi_instrumentator import Instrumentator

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
K8S = DOCKER / "k8s"
ROLE_VERBS = {"api": "run-api", "worker": "run-worker", "feed": "run-feed"}
APP_PORT = 8000

_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
_METRIC_TOKEN = re.compile(r"\b(deltastream_[a-z0-9_]+|http_[a-z0-9_]+|up)\b")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def _series(family: Metric) -> set[str]:
    """Every sample name a family exposes, even one with no labelled children yet."""
    name = family.name
    if family.type == "counter":
        return {name + "_total"}
    if family.type in ("histogram", "summary"):
        return {name + s for s in _HISTOGRAM_SUFFIXES} | ({name} if family.type == "summary" else set())
    return {name}


@pytest.fixture(scope="session")
def exported_metrics() -> set[str]:
    """Series names exposed on /metrics: DeltaStream's own plus the instrumentator's HTTP ones."""
    import deltastream.core.metrics  # noqa: F401  (registers the deltastream_* families)

    names = {"up"}
    for family in REGISTRY.collect():
        names |= _series(family)
    names |= _instrumentator_series()
    return names


def _instrumentator_series() -> set[str]:
    import asyncio

    async def probe() -> set[str]:
        registry = CollectorRegistry()
        app = FastAPI()

        @app.get("/probe")
        async def _probe() -> dict[str, bool]:
            return {"ok": True}

        Instrumentator(registry=registry).instrument(app)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            await client.get("/probe")
        out: set[str] = set()
        for family in registry.collect():
            out |= _series(family)
        return out

    return asyncio.run(probe())


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (DeltaStream, HTTP and ``up``)."""
    return set(_METRIC_TOKEN.findall(expr))
