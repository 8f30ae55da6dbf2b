"""/api/ai/pulse, /sentiment and /chat on seeded data, offline: shapes, guards, and numbers that
equal the analytics API's at the same moment."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from deltastream.ai import narrative
from deltastream.ai.snapshot import Snapshot, StrikeChange
from deltastream.enrichment.events import EnrichedChain
from deltastream.settings import Settings
from tests.fixtures.api import Api, assert_envelope, running_api

Market = tuple[Api, EnrichedChain, EnrichedChain]


def _snapshot(data: dict[str, Any]) -> Snapshot:
    fields = dict(data)
    for side in ("top_call_oi_add", "top_put_oi_add"):
        if fields[side] is not None:
            fields[side] = StrikeChange(**fields[side])
    return Snapshot(**fields)


async def test_pulse_numbers_equal_the_analytics_api(market: Market) -> None:
    api, old, new = market
    body = (await api.client.get("/api/ai/pulse", params={"product": "nifty"})).json()
    assert set(body) >= {"product", "analysis", "data"} and body["product"] == "NIFTY"
    data = body["data"]
    pcr = (await api.client.get("/api/analytics/pcr/NIFTY")).json()["latest"][0]
    pain = (await api.client.get("/api/analytics/max-pain/NIFTY")).json()
    iv = (await api.client.get("/api/analytics/iv/NIFTY", params={"lookback_hours": 24, "points": 48})).json()
    chain = (await api.client.get("/api/data/chain/NIFTY/latest")).json()
    assert data["pcr"] == pcr["pcr_oi"] == new["pcr_oi"]
    assert data["pcr_vol"] == pcr["pcr_volume"]
    assert data["pcr_then"] == old["pcr_oi"]  # the value 15 minutes ago is the older chain's
    assert data["max_pain"] == pain["max_pain_strike"]
    assert data["iv_rank"] == iv["iv_rank"] and data["iv_observations"] == iv["observations"]
    assert data["expected_move"] == chain["expected_move"] and data["gex"] == chain["gex"]
    assert data["atm_straddle_price"] == chain["atm_straddle_price"]
    assert body["source"] == f"live:NIFTY:{new['expiry']}@{data['timestamp']}"


async def test_every_pulse_sentence_is_rebuilt_from_data(market: Market) -> None:
    api, _, new = market
    body = (await api.client.get("/api/ai/pulse", params={"product": "NIFTY"})).json()
    snap = _snapshot(body["data"])
    assert body["analysis"] == narrative.pulse(snap)
    text = body["analysis"]
    assert f"PCR (OI) is {new['pcr_oi']:.2f}" in text
    assert f"from {body['data']['pcr_then']:.2f} over the last 15 minutes" in text
    assert f"max pain strike of {new['max_pain_strike']:,.2f}" in text
    assert f"expected move of ±{new['expected_move']:,.2f}" in text
    assert "None" not in text and "nan" not in text.lower()


async def test_sentiment_score_is_the_sum_of_listed_contributions(market: Market) -> None:
    api, _, _ = market
    body = (await api.client.get("/api/ai/sentiment", params={"product": "NIFTY"})).json()
    assert set(body) >= {"sentiment", "headlines", "score", "reasons"}
    assert -1 <= body["score"] <= 1
    assert body["score"] == pytest.approx(sum(r["contribution"] for r in body["reasons"]), abs=1e-3)
    assert sum(r["weight"] for r in body["reasons"]) == pytest.approx(1.0, abs=1e-3)
    assert {r["signal"] for r in body["reasons"]} == {"pcr", "oi_buildup", "skew", "trend"}
    assert body["sentiment"] == narrative.label_of(body["score"])
    # No news source configured: the headlines are our own figures, never fixed strings.
    assert body["headline_source"] == "analytics"
    pcr = next(r for r in body["reasons"] if r["signal"] == "pcr")["value"]
    assert any(f"PCR (OI) is {pcr:.2f}" in h for h in body["headlines"])


async def test_unknown_product_is_a_404_envelope(market: Market) -> None:
    api, _, _ = market
    for path in ("/api/ai/pulse", "/api/ai/sentiment"):
        assert_envelope(await api.client.get(path, params={"product": "FOO"}), 404, "not_found")
    assert_envelope(await api.client.post("/api/ai/chat", json={"question": "pcr?", "product": "FOO"}), 404)


async def test_a_product_without_data_is_a_404(settings: Settings) -> None:
    async with running_api(settings) as api:
        assert_envelope(await api.client.get("/api/ai/pulse", params={"product": "NIFTY"}), 404)


@pytest.mark.parametrize(
    "payload",
    [{"question": ""}, {"question": "   "}, {"query": ""}, {}, {"question": "x" * 2001}, {"question": 5}],
)
async def test_chat_rejects_empty_and_oversized_questions(market: Market, payload: dict[str, Any]) -> None:
    api, _, _ = market
    assert_envelope(await api.client.post("/api/ai/chat", json=payload), 422)


async def test_live_question_answers_with_the_analytics_figure(market: Market) -> None:
    api, _, new = market
    body = (await api.client.post("/api/ai/chat", json={"question": "What is NIFTY's PCR now?"})).json()
    pcr = (await api.client.get("/api/analytics/pcr/NIFTY")).json()["latest"][0]["pcr_oi"]
    assert body["mode"] == "offline" and body["answer"].startswith("Offline answer")
    assert body["product"] == "NIFTY" and body["figures"]["pcr"] == pcr
    assert f"PCR (OI) {pcr:.2f}" in body["answer"]
    assert body["sources"][0]["kind"] == "live"
    assert body["sources"][0]["source"].startswith(f"live:NIFTY:{new['expiry']}@")


async def test_seed_query_field_and_doc_sources(market: Market) -> None:
    api, _, _ = market
    body = (await api.client.post("/api/ai/chat", json={"query": "How is max pain calculated?"})).json()
    assert set(body) >= {"answer", "sources"}
    docs = [s for s in body["sources"] if s["kind"] == "doc"]
    assert docs and docs[0]["source"] == "glossary.md#Max pain"
    assert "[1] Max pain" in body["answer"] and body["figures"] == {}


async def test_chat_is_rate_limited_per_ip_and_per_user(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_ai": "3/minute"})
    async with running_api(limited) as api:
        codes = [(await api.client.post("/api/ai/chat", json={"question": "gex"})).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
    async with running_api(limited, client_ip="10.0.0.1") as first:
        reg = await first.client.post(
            "/api/auth/register", json={"email": "ai-user@example.com", "password": "correct horse battery 9"}
        )
        token = reg.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(3):
            assert (await first.client.post("/api/ai/chat", json={"question": "iv"}, headers=auth)).status_code == 200
        # The same user from another address is still over the per-user limit.
        other = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=first.asgi, client=("10.0.0.2", 50000)), base_url="http://t"
        )
        async with other:
            resp = await other.post("/api/ai/chat", json={"question": "iv"}, headers=auth)
            assert_envelope(resp, 429, "rate_limited")
            assert (await other.post("/api/ai/chat", json={"question": "iv"})).status_code == 200
