"""Headlines from a configured news source: RSS/Atom (``feedparser``) or JSON.

``DELTASTREAM_AI_NEWS_URL`` is an http(s) URL or a local file path. JSON may be a list of strings,
a list of objects with ``title`` (or ``headline``), or an object holding such a list under
``items``, ``articles``, ``headlines`` or ``entries``. Anything else is parsed as a feed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson

MAX_HEADLINES = 5
FETCH_TIMEOUT_S = 5.0
_LIST_KEYS = ("items", "articles", "headlines", "entries")


class NewsError(Exception):
    """The source could not be read or held no headline."""


def _from_json(doc: Any) -> list[str]:
    if isinstance(doc, dict):
        doc = next((doc[k] for k in _LIST_KEYS if isinstance(doc.get(k), list)), [])
    titles: list[str] = []
    for item in doc if isinstance(doc, list) else []:
        title: object = item
        if isinstance(item, dict):
            title = item.get("title") or item.get("headline")
        if isinstance(title, str) and title.strip():
            titles.append(" ".join(title.split()))
    return titles


def parse(body: bytes) -> list[str]:
    """Headlines of a JSON or feed document, in document order, at most MAX_HEADLINES."""
    stripped = body.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            titles = _from_json(orjson.loads(stripped))
        except orjson.JSONDecodeError as exc:
            raise NewsError("invalid JSON") from exc
    else:
        import feedparser  # only when a feed source is configured

        feed = feedparser.parse(body)
        titles = [" ".join(str(e.get("title", "")).split()) for e in feed.entries]
        titles = [t for t in titles if t]
    if not titles:
        raise NewsError("no headline in the source")
    return titles[:MAX_HEADLINES]


async def fetch(source: str) -> list[str]:
    if source.startswith(("http://", "https://")):
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, follow_redirects=True) as client:
                response = await client.get(source, headers={"User-Agent": "DeltaStream-AI/1.0"})
                response.raise_for_status()
        except httpx.HTTPError as exc:
            raise NewsError(f"{type(exc).__name__} fetching the news source") from exc
        return parse(response.content)
    path = Path(source.removeprefix("file://"))
    try:
        body = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise NewsError(f"cannot read {path.name}: {exc.strerror}") from exc
    return parse(body)
