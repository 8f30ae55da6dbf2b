"""The pure evaluator, driven by enriched events from ``tests.factories``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from deltastream.alerts.evaluator import Evaluator, Rule
from deltastream.core.bus import TOPIC_ENRICHED_CHAIN, TOPIC_ENRICHED_UNDERLYING
from tests.factories import enriched_chain, enriched_tick, now

T0 = now().replace(microsecond=0)


def rule(**over: Any) -> Rule:
    fields: dict[str, Any] = {
        "id": "r1",
        "user_id": "u1",
        "product": "NIFTY",
        "field": "pcr_oi",
        "op": "crosses_above",
        "level": 1.2,
        "cooldown_seconds": 60,
    }
    fields.update(over)
    return Rule(**fields)


def chain_at(seconds: float, **over: Any) -> dict[str, Any]:
    return dict(enriched_chain(timestamp=T0 + timedelta(seconds=seconds), **over))


def run(ev: Evaluator, values: list[float], field: str = "pcr_oi", step_s: float = 1.0) -> list[dict]:
    fired: list[dict] = []
    for i, value in enumerate(values):
        fired += ev.evaluate(TOPIC_ENRICHED_CHAIN, chain_at(i * step_s, **{field: value}))
    return fired


def test_crosses_above_fires_once_when_the_value_crosses() -> None:
    ev = Evaluator([rule()])
    fired = run(ev, [1.0, 1.1, 1.19, 1.25, 1.3, 1.4])
    assert len(fired) == 1
    alert = fired[0]
    assert (alert["rule_id"], alert["user_id"], alert["metric"], alert["value"]) == (
        "r1",
        "u1",
        "pcr_oi",
        1.25,
    )
    assert alert["event_id"].startswith("enriched:option_chain:NIFTY:")


def test_crossing_needs_a_side_to_come_from() -> None:
    ev = Evaluator([rule()])
    assert run(ev, [1.3, 1.4]) == []  # first value already above: no crossing seen
    assert len(Evaluator([rule(op=">")]).evaluate(TOPIC_ENRICHED_CHAIN, chain_at(0, pcr_oi=1.3))) == 1


def test_flapping_fires_once_per_cooldown() -> None:
    ev = Evaluator([rule(cooldown_seconds=60)])
    flapping = [1.19, 1.21] * 60  # 120 events, one per second: 60 crossings over two minutes
    fired = run(ev, flapping)
    times = [a["fired_at"] for a in fired]
    assert len(fired) == 2, times  # at t=1 s and at the first crossing once 60 s have passed
    assert fired[1]["value"] == 1.21


def test_hysteresis_band_rearms_only_beyond_it() -> None:
    ev = Evaluator([rule(cooldown_seconds=0, hysteresis=0.05)])
    # Dips to 1.18 do not re-arm (band: below 1.15); the dip to 1.1 does.
    fired = run(ev, [1.0, 1.21, 1.18, 1.22, 1.19, 1.23, 1.1, 1.25])
    assert [a["value"] for a in fired] == [1.21, 1.25]


def test_a_redelivered_event_never_fires_twice() -> None:
    ev = Evaluator([rule(op=">", cooldown_seconds=0)])
    event = chain_at(5, pcr_oi=1.5)
    assert len(ev.evaluate(TOPIC_ENRICHED_CHAIN, event)) == 1
    ev.remove("r1")
    ev.add(rule(op=">", cooldown_seconds=0))  # fresh state: only the event id guards it now
    assert ev.evaluate(TOPIC_ENRICHED_CHAIN, dict(event)) == []
    assert ev.evaluate(TOPIC_ENRICHED_CHAIN, chain_at(4, pcr_oi=1.5)) == []  # older than seen


def test_rules_are_scoped_by_product_and_expiry() -> None:
    first = chain_at(0)["expiry"]
    ev = Evaluator([rule(id="nearest", op=">"), rule(id="other-product", product="BANKNIFTY", op=">")])
    ev.add(rule(id="pinned", op=">", expiry="2099-12-31"))
    fired = ev.evaluate(TOPIC_ENRICHED_CHAIN, chain_at(0, pcr_oi=2.0))
    assert [a["rule_id"] for a in fired] == ["nearest"]
    assert fired[0]["expiry"] == first
    later = ev.evaluate(TOPIC_ENRICHED_CHAIN, chain_at(1, pcr_oi=2.0, expiry="2099-12-31"))
    assert [a["rule_id"] for a in later] == ["pinned"]  # not the nearest expiry: only the pinned rule


def test_underlying_fields_and_change_pct_over_window() -> None:
    ev = Evaluator(
        [
            rule(id="spot", field="spot", op=">", level=25_000),
            rule(
                id="move", field="spot", op="change_pct_over", level=1.0, window_minutes=5, cooldown_seconds=0
            ),
        ]
    )
    prices = [24_000, 24_100, 24_150, 24_300]  # +1.25 % within a minute
    fired: list[dict] = []
    for i, price in enumerate(prices):
        tick = enriched_tick(timestamp=T0 + timedelta(seconds=20 * i), price=price)
        fired += ev.evaluate(TOPIC_ENRICHED_UNDERLYING, dict(tick))
    assert [(a["rule_id"], a["value"]) for a in fired] == [("move", 24_300)]


def test_slow_move_outside_the_window_does_not_fire() -> None:
    ev = Evaluator([rule(field="spot", op="change_pct_over", level=1.0, window_minutes=5)])
    fired = []
    for i, price in enumerate([24_000, 24_100, 24_200, 24_300]):  # +0.4 % per 10 minutes
        tick = enriched_tick(timestamp=T0 + timedelta(minutes=10 * i), price=price)
        fired += ev.evaluate(TOPIC_ENRICHED_UNDERLYING, dict(tick))
    assert fired == []


def test_strike_oi_and_max_pain_distance_and_gex_flip() -> None:
    chain = chain_at(0)
    strike = chain["calls"][0]["strike"]
    oi = chain["calls"][0]["open_interest"]
    ev = Evaluator(
        [
            rule(id="oi", field="strike_oi", op=">", level=oi - 1, strike=strike, option_type="CALL"),
            rule(id="gex", field="gex", op="crosses_below", level=0.0),
            rule(id="pain", field="max_pain_distance", op="<", level=1e9),
        ]
    )
    first = ev.evaluate(TOPIC_ENRICHED_CHAIN, chain)
    assert sorted(a["rule_id"] for a in first) == ["oi", "pain"]
    second = ev.evaluate(TOPIC_ENRICHED_CHAIN, chain_at(1, gex=-5.0))
    assert [a["rule_id"] for a in second] == ["gex"]


@pytest.mark.parametrize(
    "payload", [{}, {"product": "NIFTY"}, {"product": "NIFTY", "timestamp": T0, "pcr_oi": "x"}]
)
def test_malformed_events_fire_nothing(payload: dict) -> None:
    assert Evaluator([rule(op=">")]).evaluate(TOPIC_ENRICHED_CHAIN, payload) == []


def test_expired_rule_does_not_fire() -> None:
    ev = Evaluator([rule(op=">", expires_at=T0)])
    assert ev.evaluate(TOPIC_ENRICHED_CHAIN, chain_at(1, pcr_oi=2.0)) == []
