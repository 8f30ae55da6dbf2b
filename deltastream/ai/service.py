"""The AI analyst's use cases: market pulse, sentiment and the cited chat.

Owns no table. Live figures come from :mod:`deltastream.ai.snapshot` (analytics and marketdata
services); documents from :mod:`deltastream.ai.corpus`. The language model, when configured, only
rephrases what the offline path has already assembled, so the offline answer is always there to
fall back on.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deltastream.ai import narrative, news
from deltastream.ai.corpus import Passage, load_corpus
from deltastream.ai.llm import Llm, LlmError
from deltastream.ai.retrieval import Retriever, build_retriever
from deltastream.ai.snapshot import Snapshot, take
from deltastream.core.errors import NotFoundError
from deltastream.core.logging import get_logger
from deltastream.marketdata.service import MarketData
from deltastream.settings import Settings

log = get_logger("ai")

TOP_K = 3
PASSAGE_CHARS = 420
NEWS_CACHE_KEY = "ai:news"
OFFLINE_NOTE = (
    "Offline answer: no language model is configured, so this is composed from DeltaStream's own "
    "documents and live figures."
)
FALLBACK_NOTE = "Offline answer (the language model was unavailable: {why})."

# Live figures a question can ask for: (keywords, label, Snapshot attribute, format).
_METRICS: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (("iv rank", "iv percentile"), "IV rank (24 h)", "iv_rank", "{:.0f}"),
    (("pcr", "put-call ratio", "put call ratio"), "PCR (OI)", "pcr", "{:.2f}"),
    (("pcr", "put-call ratio", "put call ratio"), "PCR (volume)", "pcr_vol", "{:.2f}"),
    (("max pain", "max-pain", "maxpain"), "Max pain strike", "max_pain", "{:,.2f}"),
    (("straddle",), "ATM straddle", "atm_straddle_price", "{:,.2f}"),
    (("expected move",), "Expected move", "expected_move", "±{:,.2f}"),
    (("skew",), "25-delta skew", "iv_skew_25d", "{:+.4f}"),
    (("gex", "gamma exposure"), "Net GEX (per 1% move)", "gex", "{:,.0f}"),
    (("gex", "gamma exposure", "flip"), "GEX flip level", "gex_flip", "{:,.2f}"),
    (("atm iv", "implied vol", " iv ", "volatility"), "ATM IV", "atm_iv", "{:.4f}"),
    (("spot", "price", "trading at", "level", "change"), "Spot", "spot", "{:,.2f}"),
)


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    field: str
    value: float
    text: str


def live_figures(question: str, snapshot: Snapshot) -> list[Figure]:
    """The snapshot figures that ``question`` names (by keyword), in a fixed order."""
    q = f" {question.lower()} "
    q = re.sub(r"[?!.,;:]", " ", q)
    out: list[Figure] = []
    for words, label, field, fmt in _METRICS:
        if not any(w in q for w in words):
            continue
        value = getattr(snapshot, field)
        if isinstance(value, int | float) and not any(f.field == field for f in out):
            out.append(Figure(label, field, float(value), fmt.format(value)))
    return out


def _excerpt(text: str) -> str:
    body = text.split("\n", 1)[-1].strip()  # drop the heading trail indexed with the passage
    body = " ".join(body.split())
    return body if len(body) <= PASSAGE_CHARS else body[: PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"


class AiService:
    def __init__(self, md: MarketData, settings: Settings) -> None:
        self.md = md
        self.settings = settings
        self.llm = Llm(settings) if settings.llm_url else None
        self._retriever: Retriever | None = None
        self._lock = asyncio.Lock()

    # --- live figures -------------------------------------------------------------------------
    async def snapshot(self, product: str) -> Snapshot:
        return await take(self.md, product)

    async def pulse(self, product: str) -> dict[str, Any]:
        snap = await self.snapshot(product)
        return {"product": product, "analysis": narrative.pulse(snap), "data": snap.data(), "source": snap.source}

    async def sentiment(self, product: str) -> dict[str, Any]:
        snap = await self.snapshot(product)
        parts = narrative.signals(snap)
        score = narrative.score_of(parts)
        headlines, origin, error = await self._headlines(snap)
        body: dict[str, Any] = {
            "product": product,
            "sentiment": narrative.label_of(score),
            "score": score,
            "reasons": [
                {
                    "signal": p.signal,
                    "value": p.value,
                    "score": p.score,
                    "weight": p.weight,
                    "contribution": p.contribution,
                    "explanation": p.explanation,
                }
                for p in parts
            ],
            "headlines": headlines,
            "headline_source": origin,
            "source": snap.source,
        }
        if error:
            body["headline_error"] = error
        return body

    async def _headlines(self, snap: Snapshot) -> tuple[list[str], str, str | None]:
        url = self.settings.ai_news_url
        if url:
            cached = await self.md.cache.get(NEWS_CACHE_KEY)
            if isinstance(cached, list) and cached:
                return [str(h) for h in cached], "news", None
            try:
                titles = await news.fetch(url)
            except news.NewsError as exc:
                log.warning("ai_news_unavailable", error=str(exc))
                return narrative.analytics_headlines(snap), "analytics", str(exc)
            await self.md.cache.set(NEWS_CACHE_KEY, titles, ttl=self.settings.ai_news_ttl)
            return titles, "news", None
        return narrative.analytics_headlines(snap), "analytics", None

    # --- chat -----------------------------------------------------------------------------------
    async def retriever(self) -> Retriever:
        """The index, built once on first use, off the event loop."""
        if self._retriever is None:
            async with self._lock:
                if self._retriever is None:
                    docs = Path(self.settings.ai_docs_dir) if self.settings.ai_docs_dir else _repo_root()
                    mode = self.settings.ai_retriever
                    self._retriever = await asyncio.to_thread(lambda: build_retriever(load_corpus(docs), mode))
                    log.info("ai_index_built", retriever=mode, passages=len(self._retriever.passages))
        return self._retriever

    def product_in(self, question: str) -> str | None:
        names = self.md.products()["products"]
        for name in sorted(names, key=len, reverse=True):  # BANKNIFTY before NIFTY
            if re.search(rf"\b{re.escape(name)}\b", question, flags=re.IGNORECASE):
                return str(name)
        return None

    async def chat(self, question: str, product: str | None) -> dict[str, Any]:
        product = product or self.product_in(question)
        snap: Snapshot | None = None
        if product:
            try:
                snap = await self.snapshot(product)
            except NotFoundError:
                snap = None  # named, but nothing stored yet: answer from the documents
        figures = live_figures(question, snap) if snap else []
        hits = (await self.retriever()).search(question, TOP_K)
        sources: list[dict[str, Any]] = []
        if snap is not None:
            sources.append({"source": snap.source, "kind": "live", "title": f"{snap.product} live analytics"})
        sources += [
            {"source": p.source, "kind": "doc", "title": p.heading, "path": p.path, "score": round(s, 4)}
            for p, s in hits
        ]
        offline = _compose(figures, snap, [p for p, _ in hits])
        body: dict[str, Any] = {
            "answer": f"{OFFLINE_NOTE}\n\n{offline}",
            "sources": sources,
            "mode": "offline",
            "product": product,
            "figures": {f.field: f.value for f in figures},
        }
        if self.llm is not None:
            try:
                body["answer"] = await self.llm.rephrase(_llm_context(figures, snap, [p for p, _ in hits]), question)
                body["mode"] = "llm"
            except LlmError as exc:
                log.warning("ai_llm_fallback", error=str(exc))
                body["answer"] = f"{FALLBACK_NOTE.format(why=exc)}\n\n{offline}"
                body["fallback_reason"] = str(exc)
        return body

    async def close(self) -> None:
        if self.llm is not None:
            await self.llm.close()


def _repo_root() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "README.md").is_file() else None


def _live_line(figures: list[Figure], snap: Snapshot) -> str:
    stamp = snap.timestamp[11:19]
    listed = "; ".join(f"{f.label} {f.text}" for f in figures)
    return f"Live figures for {snap.product} ({snap.expiry} expiry, as of {stamp} UTC): {listed}."


def _compose(figures: list[Figure], snap: Snapshot | None, passages: list[Passage]) -> str:
    parts: list[str] = []
    if snap is not None and figures:
        parts.append(_live_line(figures, snap))
    elif snap is not None:
        parts.append(narrative.pulse(snap))
    if passages:
        parts.append("From the documentation:")
        parts += [f"[{i}] {p.heading or p.path} ({p.source}): {_excerpt(p.text)}" for i, p in enumerate(passages, 1)]
    if not parts:
        parts.append("Nothing in DeltaStream's documents or live data matches this question.")
    return "\n".join(parts)


def _llm_context(figures: list[Figure], snap: Snapshot | None, passages: list[Passage]) -> str:
    lines = ["LIVE FIGURES:"]
    if snap is not None:
        lines.append(_live_line(figures, snap) if figures else narrative.pulse(snap))
    else:
        lines.append("(none)")
    lines.append("\nCONTEXT:")
    lines += [f"[{i}] {p.source}\n{_excerpt(p.text)}" for i, p in enumerate(passages, 1)]
    return "\n".join(lines)
