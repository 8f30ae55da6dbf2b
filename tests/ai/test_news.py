"""Headlines from a configured source: RSS, Atom and JSON documents, a local file and a local
HTTP server; an unreadable source falls back to our own analytics and says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from deltastream.ai import news
from deltastream.settings import Settings
from tests.ai.conftest import seed_market
from tests.fixtures.api import running_api
from tests.fixtures.servers import free_port

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Markets</title>
<item><title>Nifty closes at record on FII inflows</title></item>
<item><title>  Bank   stocks slip as yields rise </title></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>SPY options volume hits a high</title><id>1</id><updated>2026-12-01T00:00:00Z</updated></entry>
</feed>"""


@pytest.mark.parametrize(
    ("body", "titles"),
    [
        (RSS, ["Nifty closes at record on FII inflows", "Bank stocks slip as yields rise"]),
        (ATOM, ["SPY options volume hits a high"]),
        (b'["one", " two "]', ["one", "two"]),
        (b'{"articles": [{"title": "a"}, {"headline": "b"}, {"x": 1}]}', ["a", "b"]),
    ],
)
def test_parse_feeds_and_json(body: bytes, titles: list[str]) -> None:
    assert news.parse(body) == titles


@pytest.mark.parametrize("body", [b"", b"<html>not a feed</html>", b"{bad json", b'{"items": []}'])
def test_parse_rejects_documents_without_headlines(body: bytes) -> None:
    with pytest.raises(news.NewsError):
        news.parse(body)


def test_at_most_five_headlines() -> None:
    assert news.parse(b'["a", "b", "c", "d", "e", "f", "g"]') == ["a", "b", "c", "d", "e"]


@pytest.fixture
async def rss_server() -> AsyncIterator[str]:
    async def handler(_: web.Request) -> web.Response:
        return web.Response(body=RSS, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/feed.xml"
    await runner.cleanup()


async def test_sentiment_reads_a_local_http_feed(settings: Settings, rss_server: str) -> None:
    await _check_source(settings, rss_server, "news", "Nifty closes at record on FII inflows")


async def test_sentiment_reads_a_local_file(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "news.json"
    path.write_bytes(b'{"items": [{"title": "From a file"}]}')
    await _check_source(settings, str(path), "news", "From a file")


async def test_unreachable_source_falls_back_to_analytics(settings: Settings) -> None:
    await _check_source(settings, f"http://127.0.0.1:{free_port()}/none.xml", "analytics", "PCR (OI) is")


async def _check_source(settings: Settings, url: str, origin: str, expected: str) -> None:
    async with running_api(settings.model_copy(update={"ai_news_url": url, "rate_limit_enabled": False})) as api:
        await seed_market(api)
        body = (await api.client.get("/api/ai/sentiment", params={"product": "NIFTY"})).json()
    assert body["headline_source"] == origin
    assert any(expected in h for h in body["headlines"]), body["headlines"]
    assert ("headline_error" in body) == (origin == "analytics")
