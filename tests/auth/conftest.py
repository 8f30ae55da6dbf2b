"""A fresh in-process API (SQLite + in-process cache) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from deltastream.settings import Settings
from tests.api.factories import Api, running_api


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    async with running_api(settings) as running:
        yield running
