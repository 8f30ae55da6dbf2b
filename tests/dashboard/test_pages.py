"""Every dashboard page in headless Chromium against a live feed: real data, live updates within
2 s without a reload, the stale badge when the feed stops, no console errors, no failed requests
and no request beyond 127.0.0.1. A screenshot of each page goes to build/screenshots/."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.browser import chromium, open_page, screenshot
from tests.realtime.conftest import LiveServer

UPDATE_MS = 2_000  # the bound: a new tick shows within 2 s
LOAD_MS = 15_000

# Counts DOM mutations under a selector from now on (window.__mutations[selector]).
_OBSERVE = """(sel) => {
  window.__mutations = window.__mutations || {};
  window.__mutations[sel] = 0;
  const target = document.querySelector(sel);
  new MutationObserver((list) => { window.__mutations[sel] += list.length; })
    .observe(target, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


async def _ready(page: Any, url: str) -> None:
    await page.goto(url)
    await page.wait_for_selector("body[data-ready=true]", timeout=LOAD_MS)


async def _updates_live(page: Any, selector: str) -> None:
    """A DOM change under ``selector`` within 2 s, with no reload (the navigation count is fixed)."""
    nav = await page.evaluate("performance.getEntriesByType('navigation').length")
    await page.evaluate(_OBSERVE, selector)
    await page.wait_for_function("(sel) => window.__mutations[sel] > 0", arg=selector, timeout=UPDATE_MS)
    assert await page.evaluate("performance.getEntriesByType('navigation').length") == nav


def _num(text: str) -> float:
    return float(text.replace(",", "").split()[0].lstrip("±"))


async def test_root_serves_the_chain_page_and_its_local_assets(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url) as http:
        page = await http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<title>Chain · DeltaStream</title>" in page.text
        assert "https://" not in page.text and "http://" not in page.text  # nothing absolute: no CDN
        for asset in (
            "/static/js/app.js",
            "/static/css/dashboard.css",
            "/static/vendor/socket.io-client/socket.io.esm.min.js",
            "/static/vendor/lightweight-charts/lightweight-charts.standalone.production.mjs",
            "/static/vendor/lightweight-charts/LICENSE",
            "/static/vendor/socket.io-client/LICENSE",
        ):
            got = await http.get(asset)
            assert got.status_code == 200 and got.content, asset
        assert (await http.get("/static/js/nope.js")).status_code == 404
        # The API keeps its JSON 404s: the dashboard adds pages, it does not catch every path.
        missing = await http.get("/api/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"]


async def test_chain_page_renders_the_live_chain(live: LiveServer) -> None:
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/")
        await page.wait_for_function(
            "document.querySelectorAll('#chain-body tr').length === 21", timeout=LOAD_MS
        )
        await page.wait_for_function(
            "document.querySelector('[data-k=iv_rank]') && document.querySelector('#feed').dataset.state === 'live'",
            timeout=LOAD_MS,
        )
        chain = (await httpx.AsyncClient(base_url=live.url).get("/api/data/chain/NIFTY/latest")).json()
        assert await page.locator("#expiry").input_value() == chain["expiry"]
        rows = page.locator("#chain-body tr")
        strikes = [float(s) for s in await rows.evaluate_all("rs => rs.map(r => r.dataset.strike)")]
        assert strikes == sorted(strikes) and len(set(strikes)) == 21
        # Exactly one ATM row and one max-pain row; ITM shading on the right side of spot.
        assert await page.locator("#chain-body tr.atm").count() == 1
        assert await page.locator("#chain-body tr.mp").count() == 1
        assert await page.locator("#chain-body tr.spot").count() == 1
        spot = _num(await page.locator("[data-k=spot]").inner_text())
        for tr in await rows.evaluate_all(
            "rs => rs.map(r => [Number(r.dataset.strike), r.classList.contains('itm-c'), r.classList.contains('itm-p')])"
        ):
            strike, itm_call, itm_put = tr
            if abs(strike - spot) > 60:  # away from spot, which may move between the two reads
                assert itm_call == (strike < spot) and itm_put == (strike > spot), tr
        # Every column has data: bid/ask/last, Greeks, OI with a bar, OI change, build-up.
        first = rows.nth(10)
        for cls in ("bid", "ask", "last", "iv", "delta", "gamma", "theta", "vega", "oi_change", "buildup"):
            for side in ("c", "p"):
                assert (await first.locator(f"td.{side}.{cls}").inner_text()).strip() not in ("", "–"), (
                    side,
                    cls,
                )
        widths = await page.locator("td.open_interest .bar").evaluate_all(
            "bs => bs.map(b => parseFloat(b.style.width))"
        )
        assert max(widths) == pytest.approx(100.0) and min(widths) >= 0
        for key in ("pcr_oi", "pcr_volume", "straddle", "expected_move", "atm_iv", "max_pain", "gex"):
            assert (await page.locator(f"[data-k={key}]").inner_text()) != "–", key
        await _updates_live(page, "#chain-body")
        await screenshot(page, "dashboard-chain")
        log.assert_clean()


async def test_chain_page_shows_the_stale_badge_when_the_feed_stops(live: LiveServer) -> None:
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/?stale=1")
        await page.wait_for_selector("#feed[data-state=live]", timeout=LOAD_MS)
        feed = live.runtime.feed
        assert feed is not None
        await feed.stop()
        await page.wait_for_selector("#feed[data-state=stale]", timeout=30_000)  # backlog drains first under load
        assert "stale" in await page.locator("#feed").inner_text()
        await screenshot(page, "dashboard-stale")
        log.assert_clean()


async def test_candles_page_draws_and_updates_candles(live: LiveServer) -> None:
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/candles")
        await page.wait_for_function(
            "document.getElementById('candle-last').textContent !== '–'", timeout=LOAD_MS
        )
        assert await page.locator("#candles-chart canvas").count() >= 1
        last = _num(await page.locator("#candle-last").inner_text())
        assert 20_000 < last < 23_000  # NIFTY's simulated level
        await _updates_live(page, "#candle-ohlc")
        await page.get_by_role("button", name="5m", exact=True).click()
        assert await page.get_by_role("button", name="5m", exact=True).get_attribute("aria-pressed") == "true"
        await _updates_live(page, "#candle-ohlc")
        await screenshot(page, "dashboard-candles")
        log.assert_clean()


async def test_analytics_page_renders_every_chart_and_updates(live: LiveServer) -> None:
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/analytics")
        await page.wait_for_function(
            "document.getElementById('mp-strike').textContent !== '–'", timeout=LOAD_MS
        )
        for chart in ("pcr", "pain", "straddle", "iv", "oi", "oichg", "gex"):
            assert await page.locator(f"#{chart}-chart canvas").count() >= 1, chart
        body = (await httpx.AsyncClient(base_url=live.url).get("/api/analytics/max-pain/NIFTY")).json()
        # The curve's minimum is the max-pain strike (both from the same pipeline figures).
        strikes = {p["strike"] for p in body["pain_curve"]}
        assert _num(await page.locator("#mp-strike").inner_text()) in strikes
        assert (await page.locator("#gex-total").inner_text()) != "–"
        await _updates_live(page, "#an-time")
        await screenshot(page, "dashboard-analytics")
        log.assert_clean()


async def test_volatility_page_renders_smiles_term_structure_and_surface(live: LiveServer) -> None:
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/volatility")
        await page.wait_for_function(
            "document.querySelectorAll('#smile-keys li').length >= 2", timeout=LOAD_MS
        )
        expiries = (
            await httpx.AsyncClient(base_url=live.url).get("/api/analytics/volatility-surface/NIFTY")
        ).json()
        assert await page.locator("#smile-keys li").count() == len(expiries["expiries"])
        painted = await page.evaluate(
            """() => { const c = document.getElementById('surface');
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n / (c.width * c.height); }"""
        )
        assert painted > 0.05, painted  # the mesh covers part of the canvas
        before = await page.evaluate("document.body.dataset.surfaceAt")
        await page.wait_for_function(
            "(t) => document.body.dataset.surfaceAt !== t", arg=before, timeout=UPDATE_MS
        )
        # The 3-D module is this page's alone: the chain page never loads it.
        modules = await page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
        assert any(m.endswith("/surface3d.js") for m in modules)
        await screenshot(page, "dashboard-volatility")
        log.assert_clean()
        chain_page, chain_log = await open_page(browser)
        await _ready(chain_page, f"{live.url}/")
        names = await chain_page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
        assert not any("surface3d" in n for n in names)
        chain_log.assert_clean()
