"""/docs and /redoc render in headless Chromium with every request beyond 127.0.0.1 blocked: their
assets are served by the app itself (fastapi-offline's bundle), not a CDN."""

from __future__ import annotations

import httpx

from deltastream.app import create_app
from deltastream.core.http.docs import ASSETS_PATH
from deltastream.settings import Settings
from tests.fixtures.api import API_ONLY
from tests.fixtures.browser import chromium, open_page, screenshot
from tests.realtime.conftest import serve


async def test_docs_pages_reference_only_local_assets(settings: Settings) -> None:
    async with serve(create_app(settings, API_ONLY)) as server, httpx.AsyncClient(base_url=server.url) as http:
        for path in ("/docs", "/redoc"):
            page = await http.get(path)
            assert page.status_code == 200, path
            assert "cdn.jsdelivr.net" not in page.text and "fonts.googleapis" not in page.text, path
            assert ASSETS_PATH in page.text, path
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
            got = await http.get(f"{ASSETS_PATH}/{asset}")
            assert got.status_code == 200 and len(got.content) > 10_000, asset
        seed = await http.get("/api/docs", follow_redirects=False)
        assert seed.status_code == 307 and seed.headers["location"] == "/docs"


async def test_swagger_ui_renders_operations_offline(settings: Settings) -> None:
    async with serve(create_app(settings, API_ONLY)) as server, chromium() as browser:
        page, log = await open_page(browser)
        await page.goto(f"{server.url}/docs")
        await page.wait_for_selector(".opblock", timeout=15_000)
        paths = await page.locator(".opblock-summary-path").all_inner_texts()
        await screenshot(page, "docs-offline")
        assert any("/api/data/products" in p for p in paths), paths[:10]
        assert any("/api/auth/login" in p for p in paths), paths[:10]
        assert len(paths) >= 20
        log.assert_clean()


async def test_redoc_renders_operations_offline(settings: Settings) -> None:
    async with serve(create_app(settings, API_ONLY)) as server, chromium() as browser:
        page, log = await open_page(browser)
        await page.goto(f"{server.url}/redoc")
        await page.wait_for_selector("[data-section-id^='operation/']", timeout=15_000)
        count = await page.locator("[data-section-id^='operation/']").count()
        await screenshot(page, "redoc-offline")
        assert count >= 20
        log.assert_clean()
