"""``/api/analytics/*`` and the mobile BFF against seeded chains with known figures."""

from __future__ import annotations

from datetime import timedelta

from deltastream.core import jsonx
from deltastream.core.clock import utcnow
from deltastream.enrichment import keys
from tests.factories import surface
from tests.fixtures.api import Api, assert_envelope, live_expiries, oracle_chain, seed_chain


async def test_pcr_latest_per_expiry_and_seed_trend(api: Api) -> None:
    near, far = live_expiries("NIFTY", 2)
    now = utcnow()
    chains = [oracle_chain("NIFTY", near, now - timedelta(minutes=10 - i), seed=i) for i in range(3)]
    chains.append(oracle_chain("NIFTY", far, now - timedelta(minutes=1), seed=7))
    chains.append(oracle_chain("NIFTY", near, now - timedelta(hours=30), seed=8))
    for chain in chains:
        await seed_chain(api.runtime, chain)
    # The cache holds the newest of each expiry, as the pipeline leaves it.
    await seed_chain(api.runtime, chains[2])

    body = (await api.client.get("/api/analytics/pcr/NIFTY")).json()
    assert [p["expiry"] for p in body["latest"]] == [far, near]
    assert body["latest"][1]["pcr_oi"] == chains[2]["pcr_oi"]
    assert body["data_points"] == 4 == len(body["pcr_trend"])
    assert body["pcr_trend"][0]["pcr_oi"] == chains[3]["pcr_oi"]
    assert body["history"] is None

    seed_style = (
        await api.client.get("/api/analytics/pcr/nifty", params={"expiry": near, "hours": 48})
    ).json()
    assert seed_style["data_points"] == 4
    assert {p["expiry"] for p in seed_style["pcr_trend"]} == {near}
    assert [p["expiry"] for p in seed_style["latest"]] == [near]
    stamps = [p["timestamp"] for p in seed_style["pcr_trend"]]
    assert stamps == sorted(stamps, reverse=True) and stamps[0].endswith("Z")

    with_history = (
        await api.client.get("/api/analytics/pcr/NIFTY", params={"expiry": near, "history": "true"})
    ).json()
    # lists are newest first; `order=asc` asks for oldest first
    assert [p["pcr_oi"] for p in with_history["history"]] == [c["pcr_oi"] for c in chains[:3]][::-1]
    ascending = (
        await api.client.get(
            "/api/analytics/pcr/NIFTY", params={"expiry": near, "history": "true", "order": "asc"}
        )
    ).json()
    assert [p["pcr_oi"] for p in ascending["history"]] == [c["pcr_oi"] for c in chains[:3]]
    assert_envelope(await api.client.get("/api/analytics/pcr/NIFTY", params={"order": "up"}), 422)


async def test_an_unknown_expiry_is_404_on_every_route_that_takes_expiry(api: Api) -> None:
    near, far = live_expiries("NIFTY", 2)
    await seed_chain(api.runtime, oracle_chain("NIFTY", near, utcnow(), seed=7))
    routes = [
        "/api/data/chain/NIFTY",
        "/api/data/chain/NIFTY/latest",
        "/api/analytics/pcr/NIFTY",
        "/api/analytics/max-pain/NIFTY",
        "/api/analytics/oi-analysis/NIFTY",
        "/api/analytics/oi-buildup/NIFTY",
        "/api/analytics/iv/NIFTY",
        "/api/mobile/chain/NIFTY",
    ]
    for route in routes:
        assert (await api.client.get(route, params={"expiry": near})).status_code == 200, route
        assert_envelope(await api.client.get(route, params={"expiry": far}), 404, "not_found")


async def test_pcr_without_data_is_empty_not_an_error(api: Api) -> None:
    body = (await api.client.get("/api/analytics/pcr/SPY")).json()
    assert body["latest"] == [] and body["data_points"] == 0
    assert_envelope(await api.client.get("/api/analytics/pcr/SPY", params={"hours": 0}), 422)
    assert_envelope(await api.client.get("/api/analytics/pcr/SPY", params={"history": "maybe"}), 422)


async def test_max_pain_matches_the_brute_force_definition(api: Api) -> None:
    near, far = live_expiries("NIFTY", 2)
    chain = oracle_chain("NIFTY", near, spot=21503.45, seed=3)
    await seed_chain(api.runtime, chain)
    await seed_chain(api.runtime, oracle_chain("NIFTY", far, seed=4))

    body = (await api.client.get("/api/analytics/max-pain/NIFTY")).json()
    assert body["expiry"] == near and body["expiry_source"] == "nearest"
    curve = {p["strike"]: p["total_pain"] for p in body["pain_curve"]}
    assert body["max_pain_strike"] == min(curve, key=curve.__getitem__) == chain["max_pain_strike"]
    assert body["spot_price"] == 21503.45
    assert body["distance_from_spot"] == round(chain["max_pain_strike"] - 21503.45, 4)
    assert body["distance_pct"] == round((chain["max_pain_strike"] - 21503.45) / 21503.45 * 100, 4)
    assert body["total_call_oi"] == chain["total_call_oi"] and body["total_put_oi"] == chain["total_put_oi"]

    requested = (await api.client.get("/api/analytics/max-pain/NIFTY", params={"expiry": far})).json()
    assert requested["expiry"] == far and requested["expiry_source"] == "requested"


async def test_max_pain_curve_is_computed_when_the_chain_lacks_it(api: Api) -> None:
    chain = oracle_chain("NIFTY", live_expiries("NIFTY", 1)[0], seed=5)
    expected = chain.pop("pain_curve")
    await seed_chain(api.runtime, chain)
    body = (await api.client.get("/api/analytics/max-pain/NIFTY")).json()
    got = body["pain_curve"]
    assert [p["strike"] for p in got] == [p["strike"] for p in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert abs(mine["total_pain"] - theirs["total_pain"]) <= 1e-6 * max(1.0, theirs["total_pain"])


async def test_oi_analysis_per_strike(api: Api) -> None:
    chain = oracle_chain("BANKNIFTY", live_expiries("BANKNIFTY", 1)[0], seed=6)
    await seed_chain(api.runtime, chain)
    body = (await api.client.get("/api/analytics/oi-analysis/BANKNIFTY")).json()
    assert len(body["strikes"]) == len(chain["strikes"])
    row = body["strikes"][4]
    call, put = chain["calls"][4], chain["puts"][4]
    assert row["strike"] == chain["strikes"][4]
    assert (row["call_oi"], row["put_oi"]) == (call["open_interest"], put["open_interest"])
    assert (row["call_oi_change"], row["put_oi_change"]) == (call["oi_change"], put["oi_change"])
    assert (row["call_buildup"], row["put_buildup"]) == (call["buildup"], put["buildup"])
    assert body["total_call_oi_change"] == sum(q["oi_change"] for q in chain["calls"])
    assert body["pcr_oi"] == chain["pcr_oi"]


async def test_oi_buildup_bands_with_a_1pct_atm_band(api: Api) -> None:
    chain = oracle_chain("NIFTY", live_expiries("NIFTY", 1)[0], spot=21500.0, n=21, seed=7)
    await seed_chain(api.runtime, chain)
    body = (
        await api.client.get("/api/analytics/oi-buildup/NIFTY", params={"expiry": chain["expiry"]})
    ).json()
    band = 0.01 * 21500.0

    def total(quotes: list[dict], predicate) -> int:
        return sum(q["open_interest"] for q in quotes if predicate(q["strike"]))

    atm = lambda k: abs(k - 21500.0) <= band  # noqa: E731
    assert body["call_buildup"] == {
        "itm": total(chain["calls"], lambda k: k < 21500.0 and not atm(k)),
        "atm": total(chain["calls"], atm),
        "otm": total(chain["calls"], lambda k: k > 21500.0 and not atm(k)),
    }
    assert body["put_buildup"]["itm"] == total(chain["puts"], lambda k: k > 21500.0 and not atm(k))
    assert sum(body["put_buildup"].values()) == chain["total_put_oi"]
    assert set(body) >= {"product", "expiry", "spot_price", "call_buildup", "put_buildup"}


SEED_FIELDS = ("call_ivs", "put_ivs", "avg_iv", "num_quotes")


async def test_volatility_surface_adds_seed_fields(api: Api) -> None:
    near, far = live_expiries("NIFTY", 2)
    chains = [oracle_chain("NIFTY", near, seed=1), oracle_chain("NIFTY", far, seed=2)]
    for chain in chains:
        await seed_chain(api.runtime, chain)
    # A surface stored without the seed's per-expiry fields: the route fills them from the chains.
    full = surface("NIFTY", chains)
    bare = {
        **full,
        "expiries": [{k: v for k, v in e.items() if k not in SEED_FIELDS} for e in full["expiries"]],
    }
    await api.runtime.repo.upsert_surface(bare)

    body = (await api.client.get("/api/analytics/volatility-surface/NIFTY")).json()
    assert [e["expiry"] for e in body["expiries"]] == [near, far]
    first = body["expiries"][0]
    assert first["call_ivs"] == [q["iv"] for q in chains[0]["calls"]]
    assert first["put_ivs"] == [q["iv"] for q in chains[0]["puts"]]
    assert first["num_quotes"] == 2 * len(chains[0]["strikes"])
    all_ivs = [q["iv"] for q in chains[0]["calls"] + chains[0]["puts"]]
    assert abs(first["avg_iv"] - sum(all_ivs) / len(all_ivs)) < 1e-6
    assert body["term_structure"] == [
        {"expiry": e["expiry"], "days_to_expiry": e["days_to_expiry"], "atm_iv": e["atm_iv"]}
        for e in full["expiries"]
    ]

    cached = {**full, "timestamp": jsonx.isoformat_z(utcnow()), "marker": "cache"}
    await api.runtime.cache.set(keys.surface("NIFTY"), cached, 60)
    assert (await api.client.get("/api/analytics/volatility-surface/NIFTY")).json()["marker"] == "cache"
    assert_envelope(await api.client.get("/api/analytics/volatility-surface/QQQ"), 404, "not_found")


async def test_iv_rank_and_percentile_over_the_lookback(api: Api) -> None:
    near = live_expiries("NIFTY", 1)[0]
    now = utcnow()
    ivs = [0.10, 0.20, 0.15, 0.12, 0.18, 0.16]
    for i, iv in enumerate(ivs):
        await seed_chain(
            api.runtime,
            oracle_chain("NIFTY", near, now - timedelta(hours=6 - i), seed=i, atm_iv=iv),
            cache=False,
        )
    body = (
        await api.client.get("/api/analytics/iv/NIFTY", params={"lookback_hours": 12, "points": 24})
    ).json()
    assert [p["atm_iv"] for p in body["history"]] == ivs[::-1]  # newest first, like every list
    assert body["current_iv"] == 0.16
    assert body["min_iv"] == 0.10 and body["max_iv"] == 0.20
    assert body["iv_rank"] == round((0.16 - 0.10) / (0.20 - 0.10) * 100, 2)
    assert body["iv_percentile"] == round(3 / 5 * 100, 2)
    assert body["observations"] == 6
    assert_envelope(await api.client.get("/api/analytics/iv/NIFTY", params={"points": 1}), 422)
    empty = (await api.client.get("/api/analytics/iv/TSLA")).json()
    assert empty["iv_rank"] is None and empty["history"] == []


async def test_mobile_chain_is_the_compact_summary(api: Api) -> None:
    chain = oracle_chain("NIFTY", live_expiries("NIFTY", 1)[0], seed=11)
    await seed_chain(api.runtime, chain)
    body = (await api.client.get("/api/mobile/chain/NIFTY")).json()
    assert body == {
        "product": "NIFTY",
        "expiry": chain["expiry"],
        "spot_price": chain["spot_price"],
        "pcr": chain["pcr_oi"],
        "max_pain": chain["max_pain_strike"],
        "atm_straddle_price": chain["atm_straddle_price"],
        "timestamp": jsonx.isoformat_z(chain["timestamp"]),
    }
    assert_envelope(await api.client.get("/api/mobile/chain/SPY"), 404)


async def test_chain_routes_404_without_data_and_for_unknown_products(api: Api) -> None:
    for route in ("max-pain", "oi-analysis", "oi-buildup"):
        assert_envelope(await api.client.get(f"/api/analytics/{route}/NIFTY"), 404, "not_found")
        assert_envelope(await api.client.get(f"/api/analytics/{route}/NOPE"), 404, "not_found")
        assert_envelope(await api.client.get(f"/api/analytics/{route}/NIFTY", params={"expiry": "soon"}), 422)


async def test_iv_rank_works_minutes_after_a_fresh_start(api: Api) -> None:
    """Issue 11: 15 minutes of chains, the README query: the buckets span the data, not 24 h."""
    near = live_expiries("NIFTY", 1)[0]
    now = utcnow()
    ivs = [0.12 + 0.001 * (i % 7) for i in range(45)]  # one chain every 20 s for 15 minutes
    for i, iv in enumerate(ivs):
        stamp = now - timedelta(seconds=20 * (44 - i) + 1)
        await seed_chain(api.runtime, oracle_chain("NIFTY", near, stamp, seed=i, atm_iv=iv), cache=False)
    body = (
        await api.client.get("/api/analytics/iv/NIFTY", params={"lookback_hours": 24, "points": 48})
    ).json()
    assert body["observations"] >= 30 and body["iv_rank"] is not None
    assert 0.2 < body["span_hours"] < 0.3  # about the 15 minutes stored, not the 24 h asked
    default = (await api.client.get("/api/analytics/iv/NIFTY")).json()
    assert default["observations"] >= 30 and default["iv_percentile"] is not None
