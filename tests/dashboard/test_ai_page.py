"""The AI page in headless Chromium against a live feed: the pulse and sentiment equal the API's
for the same product, they refresh when the chain updates, and the chat answers with sources."""

from __future__ import annotations

import httpx

from tests.dashboard.test_pages import LOAD_MS, _ready
from tests.fixtures.browser import chromium, open_page, screenshot
from tests.realtime.conftest import LiveServer


async def test_ai_page_shows_pulse_sentiment_and_a_cited_answer(live: LiveServer) -> None:
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/ai")
        await page.wait_for_function(
            "document.getElementById('ai-pulse').textContent.includes('PCR')", timeout=LOAD_MS
        )
        pulse_text = await page.locator("#ai-pulse").inner_text()
        assert pulse_text.startswith("NIFTY is at")
        assert (await page.locator("#ai-pulse-source").inner_text()).startswith("live:NIFTY:")
        label = await page.locator("#ai-label").inner_text()
        assert label in ("bullish", "bearish", "neutral")
        signals = await page.locator("#ai-reasons tr td:first-child").all_inner_texts()
        assert set(signals) <= {"pcr", "oi_buildup", "skew", "trend"} and "pcr" in signals
        assert await page.locator("#ai-headlines li").count() >= 1
        # The page refreshes from the API when a new chain arrives: its source timestamp moves on.
        first_source = await page.locator("#ai-pulse-source").inner_text()
        await page.wait_for_function(
            "(s) => document.getElementById('ai-pulse-source').textContent !== s",
            arg=first_source,
            timeout=12_000,
        )
        await page.locator("#ai-question").fill("How is max pain calculated?")
        await page.get_by_role("button", name="Ask").click()
        await page.wait_for_function(
            "document.getElementById('ai-answer').textContent.length > 0", timeout=LOAD_MS
        )
        assert (await page.locator("#ai-answer").inner_text()).startswith("Offline answer")
        sources = await page.locator("#ai-sources li").all_inner_texts()
        assert any("glossary.md#Max pain" in s for s in sources), sources
        async with httpx.AsyncClient(base_url=live.url) as http:
            api = (
                await http.post(
                    "/api/ai/chat", json={"question": "How is max pain calculated?", "product": "NIFTY"}
                )
            ).json()
        assert [s["source"] for s in api["sources"] if s["kind"] == "doc"] == [
            s.rsplit(" — ", 1)[1] for s in sources if "#" in s
        ]
        await screenshot(page, "dashboard-ai")
        log.assert_clean()
