"""Main-thread cost of the dashboard's chain update, measured in headless Chromium.

Starts the whole app (every role) with all 8 products streaming, opens the chain page (NIFTY,
21 strikes) and, for ``--seconds``, records:

- each chain render's time on the main thread (``performance.now()`` around ``renderChain``:
  every cell's text, the OI bars and the row classes of a full 21-strike chain), and
- the long tasks (> 50 ms) Chromium reports on the page (``PerformanceObserver('longtask')``),
  i.e. whether the page stays responsive while every product streams.

``--screenshot docs/dashboard-chain.png`` also saves the README's screenshot.
Run: ``python -m bench.bench_dashboard`` (part of ``make bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import httpx
import uvicorn

from deltastream.app import create_app
from deltastream.settings import Settings
from tests.fixtures.browser import chromium, open_page

# Every figure of every quote changes on each of N renders (so every cell is rewritten), timed
# with and without the forced style/layout that the browser would do before the next frame.
_SYNTHETIC = """async (n) => {
  const { renderChain } = await import('/static/js/pages/chain.js');
  const base = await (await fetch('/api/data/chain/NIFTY/latest')).json();
  const keys = ['bid', 'ask', 'last', 'iv', 'delta', 'gamma', 'theta', 'vega', 'open_interest', 'oi_change', 'volume'];
  const vary = (q, f) => { const o = { ...q }; for (const k of keys) if (typeof o[k] === 'number') o[k] = k === 'open_interest' || k === 'volume' || k === 'oi_change' ? Math.round(o[k] * f) + 1 : o[k] * f; return o; };
  const js = [], withLayout = [];
  for (let i = 1; i <= n; i++) {
    const f = 1 + (i % 7) * 0.013;
    const chain = { ...base, calls: base.calls.map((q) => vary(q, f)), puts: base.puts.map((q) => vary(q, f)) };
    const t0 = performance.now();
    renderChain(chain);
    const t1 = performance.now();
    void document.body.offsetHeight;
    withLayout.push(performance.now() - t0);
    js.push(t1 - t0);
  }
  return { js, withLayout, strikes: base.strikes.length };
}"""

_LONGTASKS = """() => { window.__long = []; new PerformanceObserver((l) => { for (const e of l.getEntries())
  window.__long.push(e.duration); }).observe({type: 'longtask', buffered: true}); }"""


async def run(seconds: float, interval: float, screenshot: Path | None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test",
            sqlite_path=Path(tmp) / "bench.db",
            feed_seed=7,
            feed_interval=interval,
            feed_chain_every=2,
            feed_strikes=21,
            redis_url=None,
            mongo_url=None,
            log_level="WARNING",
            log_format="json",
            rate_limit_enabled=False,
        )
        port = 8799
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
        )
        task = asyncio.create_task(server.serve())
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url) as http:
            for _ in range(300):
                if server.started and (await http.get("/api/data/chain/NIFTY/latest")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
        try:
            async with chromium() as browser:
                page, log = await open_page(browser)
                await page.goto(f"{url}/?product=NIFTY")
                await page.wait_for_function("document.querySelectorAll('#chain-body tr').length === 21")
                await page.evaluate(_LONGTASKS)
                await page.evaluate("window.__dsPerf.chainRenders = []")
                await asyncio.sleep(seconds)
                renders = await page.evaluate("window.__dsPerf.chainRenders.map(r => r.ms)")
                synthetic = await page.evaluate(_SYNTHETIC, 200)
                longtasks = await page.evaluate("window.__long")
                if screenshot is not None:
                    await page.screenshot(path=str(screenshot))
                log.assert_clean()
        finally:
            server.should_exit = True
            await task
    if not renders:
        print("no chain render recorded", file=sys.stderr)
        return 1
    renders.sort()
    p95 = renders[min(len(renders) - 1, int(len(renders) * 0.95))]
    print(f"products streaming: {len(settings.feed_products)} at {interval}s/tick, chain every 2nd tick")
    print(
        f"chain render (21 strikes, full update): n={len(renders)} median={statistics.median(renders):.2f} ms "
        f"p95={p95:.2f} ms max={renders[-1]:.2f} ms (one frame = 16.7 ms)"
    )
    for name, label in (("js", "script + DOM writes"), ("withLayout", "+ forced style/layout")):
        xs = sorted(synthetic[name])
        print(
            f"synthetic full update ({synthetic['strikes']} strikes, every cell changes, n={len(xs)}), {label}: "
            f"median={statistics.median(xs):.2f} ms p95={xs[int(len(xs) * 0.95)]:.2f} ms"
        )
    print(
        f"long tasks (>50 ms) in {seconds:.0f} s: {len(longtasks)}"
        + (f", longest {max(longtasks):.0f} ms" if longtasks else "")
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--interval", type=float, default=0.25, help="feed seconds between ticks per product")
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    return asyncio.run(run(args.seconds, args.interval, args.screenshot))


if __name__ == "__main__":
    raise SystemExit(main())
