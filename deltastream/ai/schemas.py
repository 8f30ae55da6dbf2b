"""Request and response models of ``/api/ai`` (the seed's shapes, with additions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_QUESTION_CHARS = 2000


class ChatRequest(BaseModel):
    """``{question}``, or the seed's ``{query}``; ``product`` optionally pins the live figures."""

    model_config = ConfigDict(extra="forbid")

    question: str | None = Field(default=None, max_length=MAX_QUESTION_CHARS, examples=["What is NIFTY's PCR now?"])
    query: str | None = Field(default=None, max_length=MAX_QUESTION_CHARS, description="the seed's name for `question`")
    product: str | None = Field(default=None, min_length=1, max_length=32)

    @model_validator(mode="after")
    def _one_question(self) -> ChatRequest:
        text = (self.question if self.question is not None else self.query) or ""
        if not text.strip():
            raise ValueError("a non-empty 'question' (or the seed's 'query') is required")
        return self

    @property
    def text(self) -> str:
        return ((self.question if self.question is not None else self.query) or "").strip()


class Source(BaseModel):
    source: str = Field(description="`path#heading` of a document, or `live:{product}:{expiry}@{timestamp}`")
    kind: Literal["doc", "live"]
    title: str
    path: str | None = None
    score: float | None = Field(default=None, description="retrieval score (higher is better)")


class ChatResponse(BaseModel):
    answer: str
    sources: list[Source]
    mode: Literal["offline", "llm"] = Field(description="`llm` when the language model phrased the answer")
    product: str | None = None
    figures: dict[str, float] = Field(description="live figures the question named, by field")
    fallback_reason: str | None = Field(default=None, description="why the LLM answer was not used")


class PulseResponse(BaseModel):
    product: str
    analysis: str = Field(description="sentences generated only from the numbers in `data`")
    data: dict[str, Any] = Field(description="the live figures (seed keys `pcr`, `pcr_vol` kept)")
    source: str


class Reason(BaseModel):
    signal: Literal["pcr", "oi_buildup", "skew", "trend"]
    value: float | None
    score: float = Field(ge=-1, le=1, description="the signal alone, positive is bullish")
    weight: float
    contribution: float = Field(description="score × weight; the contributions sum to `score`")
    explanation: str


class SentimentResponse(BaseModel):
    product: str
    sentiment: Literal["bullish", "bearish", "neutral"]
    score: float = Field(ge=-1, le=1)
    reasons: list[Reason]
    headlines: list[str]
    headline_source: Literal["news", "analytics"]
    headline_error: str | None = None
    source: str
