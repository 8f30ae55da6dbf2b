"""The dashboard shell in Chromium: register, sign in, refresh and log out against /api/auth/*;
the persisted theme; keyboard navigation; the phone-width layout; no network beyond 127.0.0.1."""

from __future__ import annotations

import time
from typing import Any

from tests.dashboard.test_pages import LOAD_MS, _ready
from tests.fixtures.browser import chromium, open_page, screenshot
from tests.realtime.conftest import LiveServer

PASSWORD = "correct-horse-42"


async def _settle(page: Any) -> None:
    """Before a deliberate navigation: let the page's REST reads finish (a reload would abort them,
    and an aborted request counts as a failed one)."""
    await page.wait_for_load_state("networkidle", timeout=LOAD_MS)


async def test_register_login_refresh_logout(live: LiveServer) -> None:
    email = f"ui-{time.time_ns()}@example.com"
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/login")
        await screenshot(page, "dashboard-login")
        form = page.locator("#register-form")
        await form.get_by_label("Name").fill("Asha")
        await form.get_by_label("E-mail").fill(email)
        await form.get_by_label("Password").fill(PASSWORD)
        await form.get_by_role("button", name="Register").click()
        await page.wait_for_url(f"{live.url}/", timeout=LOAD_MS)
        await page.wait_for_selector("#user:not([hidden])", timeout=LOAD_MS)
        assert await page.locator("#user").inner_text() == "Asha"
        assert await page.locator("#signin").is_hidden()
        stored = await page.evaluate("JSON.parse(localStorage.getItem('ds.auth'))")
        assert stored["token"] and stored["refresh_token"] and stored["user"]["email"] == email

        # An access token about to expire is refreshed on the next load (a new pair is stored).
        await page.evaluate(
            "() => { const a = JSON.parse(localStorage.getItem('ds.auth')); a.expires_at = Date.now() + 1000;"
            " localStorage.setItem('ds.auth', JSON.stringify(a)); }"
        )
        await _settle(page)
        async with page.expect_response(lambda r: r.url.endswith("/api/auth/refresh")) as refreshed:
            await page.reload()
        assert (await refreshed.value).status == 200
        await page.wait_for_function(
            "(old) => JSON.parse(localStorage.getItem('ds.auth')).refresh_token !== old",
            arg=stored["refresh_token"],
            timeout=LOAD_MS,
        )
        await page.wait_for_selector("#user:not([hidden])", timeout=LOAD_MS)

        await page.get_by_role("button", name="Log out").click()
        await page.wait_for_selector("#signin:not([hidden])")
        assert await page.evaluate("localStorage.getItem('ds.auth')") is None

        # A wrong password shows the server's message; the right one signs in.
        await _settle(page)
        await _ready(page, f"{live.url}/login")
        form = page.locator("#login-form")
        await form.get_by_label("E-mail").fill(email)
        await form.get_by_label("Password").fill("wrong-password-1")
        await form.get_by_role("button", name="Sign in").click()
        error = form.locator(".error")
        await error.wait_for(state="visible", timeout=LOAD_MS)
        assert "invalid" in (await error.inner_text()).lower()
        await form.get_by_label("Password").fill(PASSWORD)
        await form.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{live.url}/", timeout=LOAD_MS)
        await page.wait_for_selector("#user:not([hidden])", timeout=LOAD_MS)
        # Signed in, the socket connects with the token and the chain still streams.
        await page.wait_for_selector("#feed[data-state=live]", timeout=LOAD_MS)
        # The browser console logs the expected 401 of the wrong password; nothing else.
        log.console_errors = [e for e in log.console_errors if "401" not in e]
        log.assert_clean()


async def test_theme_persists_and_keyboard_reaches_every_page(live: LiveServer) -> None:
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/")
        start = await page.evaluate("document.documentElement.dataset.theme")
        await page.locator("#theme").click()
        flipped = await page.evaluate("document.documentElement.dataset.theme")
        assert flipped != start and flipped in ("light", "dark")
        await _settle(page)
        await page.reload()
        await page.wait_for_selector("body[data-ready=true]", timeout=LOAD_MS)
        assert await page.evaluate("document.documentElement.dataset.theme") == flipped
        await screenshot(page, f"dashboard-chain-{flipped}")

        # Tab order: the skip link first, then the brand and every navigation entry.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.className") == "skip"
        focused = []
        for _ in range(6):
            await page.keyboard.press("Tab")
            focused.append(await page.evaluate("document.activeElement.textContent.trim()"))
        assert {"Chain", "Analytics", "Volatility", "Candles"} <= set(focused), focused
        # Enter on a focused link navigates.
        await _settle(page)
        await page.locator("#nav a[data-page=candles]").focus()
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{live.url}/candles")
        await page.wait_for_selector("body[data-ready=true]", timeout=LOAD_MS)
        assert await page.locator("#nav a[aria-current=page]").inner_text() == "Candles"
        log.assert_clean()


async def test_phone_width_has_no_page_level_horizontal_scroll(live: LiveServer) -> None:
    async with chromium() as browser:
        for path in ("/", "/analytics", "/volatility", "/candles", "/login"):
            page, log = await open_page(browser, viewport=(390, 844))
            await _ready(page, f"{live.url}{path}")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)  # the chain table scrolls inside its own box
            if path == "/":
                await page.wait_for_function("document.querySelectorAll('#chain-body tr').length === 21")
                await screenshot(page, "dashboard-chain-phone")
            log.assert_clean()
            await page.context.close()


async def test_product_picker_switches_the_chain(live: LiveServer) -> None:
    async with chromium() as browser:
        page, log = await open_page(browser)
        await _ready(page, f"{live.url}/")
        await page.wait_for_function(
            "document.querySelectorAll('#chain-body tr').length === 21", timeout=LOAD_MS
        )
        # The switch ends with the new product's IV read (the last REST call of the chain page).
        async with page.expect_response(lambda r: "/api/analytics/iv/BANKNIFTY" in r.url, timeout=LOAD_MS):
            await page.locator("#product").select_option("BANKNIFTY")
        # BANKNIFTY strikes are 100 apart around ~47,000-48,000: the rows are re-keyed.
        await page.wait_for_function(
            "Number(document.querySelector('#chain-body tr').dataset.strike) > 30000", timeout=LOAD_MS
        )
        assert "product=BANKNIFTY" in page.url
        assert await page.locator("#chain-body tr").count() == 21
        await _settle(page)
        await page.reload()
        await page.wait_for_selector("body[data-ready=true]", timeout=LOAD_MS)
        assert await page.locator("#product").input_value() == "BANKNIFTY"
        log.assert_clean()
