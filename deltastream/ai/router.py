"""``/api/ai``: market pulse, sentiment and the cited chat (seed paths and shapes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from deltastream.ai.dependencies import AiDep
from deltastream.ai.schemas import ChatRequest, ChatResponse, PulseResponse, SentimentResponse
from deltastream.auth.dependencies import DataReadAccess, OptionalUser
from deltastream.core.http.openapi import error_responses
from deltastream.core.http.ratelimit import GROUP_AI, client_ip, enforce
from deltastream.feed.dependencies import product_name

router = APIRouter(prefix="/api/ai", tags=["ai"], dependencies=[DataReadAccess])

ProductQuery = Annotated[str, Query(min_length=1, max_length=32, description="Product symbol, e.g. NIFTY")]


@router.get(
    "/pulse",
    response_model=PulseResponse,
    summary="Market pulse: a summary generated from the live analytics",
    description=(
        "Spot against the session open, PCR and its 15-minute trend, distance from max pain, ATM IV and "
        "IV rank, GEX sign and flip level, OI build-up by side and the expected move, for the nearest "
        "expiry. Every sentence is built from a number in `data`."
    ),
    responses=error_responses(401, 404, 422, 429),
)
async def pulse(ai: AiDep, product: ProductQuery = "NIFTY") -> dict[str, Any]:
    return await ai.pulse(await product_name(product))


@router.get(
    "/sentiment",
    response_model=SentimentResponse,
    response_model_exclude_none=True,
    summary="Rule-based sentiment with its reasons and headlines",
    description=(
        "A score in [-1, 1] from the PCR level, put versus call OI build-up, the 25-delta skew and the price "
        "trend; each signal's weight and contribution is in `reasons`. Headlines come from "
        "`DELTASTREAM_AI_NEWS_URL` when set and readable, else from the product's own analytics."
    ),
    responses=error_responses(401, 404, 422, 429),
)
async def sentiment(ai: AiDep, product: ProductQuery = "NIFTY") -> dict[str, Any]:
    return await ai.sentiment(await product_name(product))


@router.post(
    "/chat",
    response_model=ChatResponse,
    response_model_exclude_none=True,
    summary="Ask a question: answered from the docs and the live figures, with sources",
    description=(
        "BM25 (optionally hybrid) retrieval over README, docs/ and the metric glossary, plus the live "
        "figures of the product the question names. Offline (extractive) unless `DELTASTREAM_LLM_URL` is "
        "set; the LLM only rephrases, and any LLM failure falls back to the offline answer. Rate-limited "
        "per IP and per user."
    ),
    responses=error_responses(401, 404, 422, 429),
)
async def chat(body: ChatRequest, request: Request, ai: AiDep, user: OptionalUser) -> dict[str, Any]:
    await enforce(request, GROUP_AI, client_ip(request))
    if user is not None:
        await enforce(request, GROUP_AI, f"user:{user['id']}")
    product = await product_name(body.product) if body.product else None
    return await ai.chat(body.text, product)
