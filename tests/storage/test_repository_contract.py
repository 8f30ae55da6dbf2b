"""One contract for every storage backend (SQLite file, MongoDB wire server).

Each backend implements every context's repository protocol (auth's ``UserStore``, enrichment's
``MarketWriter``, marketdata's ``MarketReader``, deadletters' ``DeadLetterStore``, alerts'
``AlertStore``) plus the
``Storage`` lifecycle and retention's ``Purgeable``; these tests hold each backend to all of them.
"""

from __future__ import annotations

import math
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from deltastream.alerts.repository import AlertStore
from deltastream.auth.repository import UserStore
from deltastream.core.errors import ConflictError
from deltastream.deadletters.repository import DeadLetterStore
from deltastream.enrichment.repository import MarketWriter
from deltastream.marketdata.repository import MarketReader
from deltastream.storage.codec import SUMMARY_FIELDS
from deltastream.storage.mongo import MongoRepository
from deltastream.storage.sqlite import SQLiteRepository
from tests.factories import candle, enriched_chain, enriched_tick, surface

from .conftest import BASE, EXPIRY, at

Backend = SQLiteRepository | MongoRepository


def _holds_every_protocol(
    repo: Backend,
) -> tuple[UserStore, MarketWriter, MarketReader, DeadLetterStore, AlertStore]:
    """Type-checked, not run: mypy proves each backend implements each context's protocol."""
    return repo, repo, repo, repo, repo


def _times(records: list[dict], field: str = "timestamp") -> list:
    return [record[field] for record in records]


async def test_lifecycle_and_migrations(repo: Backend) -> None:
    assert repo.name in {"sqlite", "mongo"}
    assert await repo.ping() is True
    applied = await repo.applied_migrations()
    assert applied[0] == "m0001_initial"
    assert "m0003_alerts" in applied
    assert len(applied) == len(set(applied))


def _rule(user_id: str, **over: object) -> dict:
    rule = {
        "user_id": user_id,
        "name": "pcr",
        "product": "NIFTY",
        "expiry": None,
        "condition": {"field": "pcr_oi", "op": "crosses_above", "level": 1.2},
        "cooldown_seconds": 60,
        "enabled": True,
        "channels": {},
    }
    rule.update(over)
    return rule


async def test_alert_rules(repo: Backend) -> None:
    first = await repo.create_alert_rule(_rule("u1"))
    second = await repo.create_alert_rule(_rule("u1", name="two"))
    other = await repo.create_alert_rule(_rule("u2"))
    assert isinstance(first, str) and len({first, second, other}) == 3
    mine = await repo.list_alert_rules("u1")
    assert [r["id"] for r in mine] == [first, second]
    assert {r["id"] for r in await repo.list_alert_rules()} == {first, second, other}
    got = await repo.get_alert_rule(first)
    assert got is not None and got["condition"]["level"] == 1.2 and got["created_at"].tzinfo is not None
    got["enabled"] = False
    assert await repo.replace_alert_rule(first, got) is True
    again = await repo.get_alert_rule(first)
    assert again is not None and again["enabled"] is False and again["user_id"] == "u1"
    assert await repo.delete_alert_rule(first) is True
    assert await repo.delete_alert_rule(first) is False
    assert await repo.get_alert_rule(first) is None
    assert await repo.get_alert_rule("not-an-id") is None
    assert await repo.replace_alert_rule("not-an-id", got) is False


async def test_alert_history_newest_first_with_cursor(repo: Backend) -> None:
    ids = [
        await repo.add_alert_event({"user_id": "u1", "rule_id": "r", "value": i, "timestamp": at(10 - i)})
        for i in range(5)
    ]
    await repo.add_alert_event({"user_id": "u2", "rule_id": "r", "value": 99, "timestamp": at(0)})
    page = await repo.list_alert_events("u1", limit=2)
    assert [e["value"] for e in page] == [4, 3]
    assert [e["id"] for e in page] == [ids[4], ids[3]]
    rest = await repo.list_alert_events("u1", before=page[-1]["id"], limit=10)
    assert [e["value"] for e in rest] == [2, 1, 0]
    assert await repo.list_alert_events("u1", before="garbage") == []


async def test_ticks_range_order_limit(repo: Backend) -> None:
    for i in range(10):
        assert await repo.upsert_tick(enriched_tick(timestamp=at(i), price=100.0 + i)) is True
    await repo.upsert_tick(enriched_tick(product="BANKNIFTY", timestamp=at(0)))

    ticks = await repo.list_ticks("NIFTY", limit=100)
    assert _times(ticks) == [at(i) for i in range(10)]
    assert ticks[0]["price"] == 100.0 and ticks[0]["product"] == "NIFTY" and ticks[0]["tick_id"] == 1
    assert _times(await repo.list_ticks("NIFTY", limit=3)) == [at(0), at(1), at(2)]
    assert _times(await repo.list_ticks("NIFTY", start=at(6), end=at(2))) == [at(i) for i in range(2, 7)]
    assert _times(await repo.list_ticks("NIFTY", start=at(1))) == [at(0), at(1)]
    assert _times(await repo.list_ticks("NIFTY", end=at(8))) == [at(8), at(9)]
    assert await repo.list_ticks("UNKNOWN") == []


async def test_tick_upserts_are_idempotent(repo: Backend) -> None:
    tick = enriched_tick(timestamp=at(0))
    assert await repo.upsert_tick(tick) is True
    assert await repo.upsert_tick(tick | {"price": 1.0}) is False
    stored = await repo.list_ticks("NIFTY")
    assert len(stored) == 1 and stored[0]["price"] == tick["price"]  # a redelivery is a no-op
    batch = [
        tick,
        enriched_tick(timestamp=at(1)),
        enriched_tick(timestamp=at(1)),
        enriched_tick(timestamp=at(2)),
    ]
    assert [await repo.upsert_tick(t) for t in batch] == [False, True, False, True]
    assert len(await repo.list_ticks("NIFTY")) == 3


async def test_datetimes_in_any_form_come_out_aware_utc(repo: Backend) -> None:
    naive = at(3).replace(tzinfo=None)
    await repo.upsert_tick(enriched_tick(timestamp=naive))
    await repo.upsert_tick(enriched_tick(timestamp=at(4).isoformat().replace("+00:00", "Z")))
    ist = at(5).astimezone(ZoneInfo("Asia/Kolkata"))
    await repo.upsert_tick(enriched_tick(timestamp=ist))
    ticks = await repo.list_ticks("NIFTY")
    assert _times(ticks) == [at(3), at(4), at(5)]
    assert all(t["timestamp"].utcoffset() == timedelta(0) for t in ticks)


async def test_chain_stored_whole_and_idempotent(repo: Backend) -> None:
    chain = enriched_chain(
        expiry=EXPIRY,
        timestamp=at(0),
        n_strikes=3,
        atm_iv=float("nan"),
        processed_at=at(0) + timedelta(seconds=1),
    )
    assert await repo.upsert_chain(chain) is True
    assert await repo.upsert_chain(chain) is False
    stored = await repo.list_chains("NIFTY")
    assert len(stored) == 1
    got = stored[0]
    assert got["timestamp"] == chain["timestamp"] and got["timestamp"].tzinfo is not None
    assert got["processed_at"] == chain["processed_at"]
    assert got["atm_iv"] is None  # NaN never escapes as NaN
    assert got["strikes"] == chain["strikes"]
    assert got["calls"][1] == chain["calls"][1] and len(got["puts"]) == 3


async def test_chain_listing_filters(repo: Backend) -> None:
    for i in range(6):
        expiry = "2030-01-31" if i % 2 == 0 else "2030-02-28"
        assert await repo.upsert_chain(enriched_chain(expiry=expiry, timestamp=at(i)))
    await repo.upsert_chain(enriched_chain(expiry=EXPIRY, product="BANKNIFTY", timestamp=at(0)))

    assert _times(await repo.list_chains("NIFTY", limit=100)) == [at(i) for i in range(6)]
    assert _times(await repo.list_chains("NIFTY", expiry="2030-01-31")) == [at(0), at(2), at(4)]
    assert _times(await repo.list_chains("NIFTY", limit=2)) == [at(0), at(1)]
    assert _times(await repo.list_chains("NIFTY", start=at(4), end=at(1))) == [at(1), at(2), at(3), at(4)]
    window = await repo.list_chains("NIFTY", expiry="2030-02-28", start=at(3), end=at(1))
    assert _times(window) == [at(1), at(3)]

    latest = await repo.latest_chain("NIFTY", "2030-02-28")
    assert latest is not None and latest["timestamp"] == at(1) and latest["expiry"] == "2030-02-28"
    assert await repo.latest_chain("NIFTY", "2031-01-01") is None

    previous = await repo.previous_chain("NIFTY", "2030-01-31", before=at(0))
    assert previous is not None and previous["timestamp"] == at(2)
    assert await repo.previous_chain("NIFTY", "2030-01-31", before=at(4)) is None
    between = await repo.previous_chain("NIFTY", "2030-01-31", before=at(1))
    assert between is not None and between["timestamp"] == at(2)


async def test_chain_summaries(repo: Backend) -> None:
    figures = {"spot_price": 21510.0, "atm_straddle_price": 250.5, "max_pain_strike": 21400.0}
    await repo.upsert_chain(enriched_chain(expiry=EXPIRY, timestamp=at(1), pcr_oi=0.9, **figures))
    await repo.upsert_chain(
        enriched_chain(
            expiry=EXPIRY,
            timestamp=at(0),
            pcr_oi=1.1,
            atm_iv=float("nan"),
            **{**figures, "max_pain_strike": None},
        )
    )
    await repo.upsert_chain(enriched_chain(expiry="2030-02-28", timestamp=at(2), **figures))

    summaries = await repo.list_chain_summaries("NIFTY", expiry="2030-01-31")
    assert [s["pcr_oi"] for s in summaries] == [1.1, 0.9]
    first = summaries[0]
    assert set(first) == {"product", "expiry", "timestamp", *SUMMARY_FIELDS}
    assert first["timestamp"] == at(0) and first["expiry"] == "2030-01-31" and first["product"] == "NIFTY"
    assert first["max_pain_strike"] is None and first["atm_iv"] is None
    assert math.isclose(first["atm_straddle_price"], 250.5) and math.isclose(first["spot_price"], 21510.0)
    assert summaries[1]["max_pain_strike"] == 21400.0
    assert _times(await repo.list_chain_summaries("NIFTY")) == [at(0), at(1), at(2)]
    assert _times(await repo.list_chain_summaries("NIFTY", start=at(1), limit=1)) == [at(0)]
    assert await repo.list_chain_summaries("NIFTY", end=at(3)) == []


async def test_list_expiries(repo: Backend) -> None:
    await repo.upsert_chain(enriched_chain(expiry="2030-03-28", timestamp=at(10)))
    await repo.upsert_chain(enriched_chain(expiry="2030-01-31", timestamp=at(0)))
    await repo.upsert_chain(enriched_chain(expiry="2030-01-31", timestamp=at(1)))
    await repo.upsert_chain(enriched_chain(expiry="2030-02-28", timestamp=at(2)))
    await repo.upsert_chain(enriched_chain(product="SENSEX", expiry="2030-04-30", timestamp=at(0)))

    assert await repo.list_expiries("NIFTY") == ["2030-01-31", "2030-02-28", "2030-03-28"]
    assert await repo.list_expiries("NIFTY", since=at(2)) == ["2030-01-31", "2030-02-28"]
    assert await repo.list_expiries("NIFTY", since=BASE + timedelta(hours=1)) == []
    assert await repo.list_expiries("UNKNOWN") == []


async def test_candles_last_write_wins(repo: Backend) -> None:
    assert await repo.upsert_candle(candle(window_minutes=5, start_time=at(10), close=100.0)) is True
    assert (
        await repo.upsert_candle(candle(window_minutes=5, start_time=at(10), close=101.0, high=120.0))
        is False
    )
    assert await repo.upsert_candle(candle(window_minutes=5, start_time=at(5))) is True
    assert await repo.upsert_candle(candle(start_time=at(5), window_minutes=1)) is True

    five = await repo.list_candles("NIFTY", 5)
    assert _times(five, "start_time") == [at(5), at(10)]
    assert five[1]["close"] == 101.0 and five[1]["high"] == 120.0 and five[1]["window_minutes"] == 5
    assert five[0]["end_time"] == at(0)
    assert len(await repo.list_candles("NIFTY", 1)) == 1
    assert _times(await repo.list_candles("NIFTY", 5, start=at(7)), "start_time") == [at(5)]
    assert _times(await repo.list_candles("NIFTY", 5, end=at(10), limit=1), "start_time") == [at(10)]
    assert await repo.list_candles("NIFTY", 15) == []


async def test_surfaces(repo: Backend) -> None:
    assert await repo.latest_surface("NIFTY") is None
    assert await repo.upsert_surface(surface(timestamp=at(2))) is True
    assert await repo.upsert_surface(surface(timestamp=at(0))) is True
    assert await repo.upsert_surface(surface(timestamp=at(0), expiries=[])) is False
    latest = await repo.latest_surface("NIFTY")
    assert latest is not None and latest["timestamp"] == at(0) and latest["expiries"] == []
    assert await repo.upsert_surface(surface(timestamp=at(3))) is True  # older: not the latest
    latest = await repo.latest_surface("NIFTY")
    assert latest is not None and latest["timestamp"] == at(0)
    assert await repo.latest_surface("BANKNIFTY") is None


async def test_users(repo: Backend) -> None:
    user = await repo.create_user("Trader@Example.com", "argon2$hash", "Trader")
    assert isinstance(user["id"], str) and user["id"]
    assert user["email"] == "Trader@Example.com" and user["is_admin"] is False
    assert user["created_at"].tzinfo is not None

    with pytest.raises(ConflictError):
        await repo.create_user("trader@example.COM", "other", "Impostor")

    by_email = await repo.get_user_by_email("TRADER@example.com")
    assert (
        by_email is not None and by_email["id"] == user["id"] and by_email["password_hash"] == "argon2$hash"
    )
    by_id = await repo.get_user(user["id"])
    assert by_id is not None and by_id["email"] == "Trader@Example.com" and by_id["name"] == "Trader"
    assert await repo.get_user_by_email("nobody@example.com") is None
    assert await repo.get_user("not-an-id") is None
    other = await repo.create_user("other@example.com", "h", "Other")
    assert other["id"] != user["id"]


async def test_revoked_tokens(repo: Backend) -> None:
    expires = BASE + timedelta(days=30)
    assert await repo.revoke_token("jti-1", expires) is True
    assert await repo.revoke_token("jti-1", expires) is False  # a refresh token is used once
    assert await repo.revoke_token("jti-2", expires) is True


async def test_dead_letters(repo: Backend) -> None:
    first = await repo.add_dead_letter(
        {
            "source": "enrichment",
            "reason": "invalid",
            "error": "bad strike",
            "payload": {"x": 1},
            "attempts": 3,
            "timestamp": at(2),
        }
    )
    second = await repo.add_dead_letter(
        {
            "source": "feed",
            "reason": "invalid",
            "error": "e",
            "payload": [1, 2],
            "attempts": 1,
            "timestamp": at(1),
        }
    )
    third = await repo.add_dead_letter(
        {
            "source": "enrichment",
            "reason": "failed",
            "error": "boom",
            "payload": {"y": 2},
            "attempts": 3,
            "timestamp": at(0),
            "topic": "market:option_chain",
        }
    )
    assert all(isinstance(i, str) for i in (first, second, third)) and len({first, second, third}) == 3

    listed = await repo.list_dead_letters()
    assert [d["id"] for d in listed] == [third, second, first]
    assert listed[0]["topic"] == "market:option_chain" and listed[0]["replayed_at"] is None
    assert [d["id"] for d in await repo.list_dead_letters(source="enrichment")] == [third, first]
    assert [d["id"] for d in await repo.list_dead_letters(limit=1)] == [third]
    assert len(await repo.list_dead_letters()) == 3

    got = await repo.get_dead_letter(first)
    assert (
        got is not None and got["payload"] == {"x": 1} and got["attempts"] == 3 and got["timestamp"] == at(2)
    )
    assert await repo.get_dead_letter("no-such-id") is None

    assert await repo.mark_dead_letter_replayed(first, BASE) is True
    assert [d["id"] for d in await repo.list_dead_letters()] == [third, second]
    every = await repo.list_dead_letters(include_replayed=True)
    assert [d["id"] for d in every] == [third, second, first]
    assert every[2]["replayed_at"] == BASE
    assert len(await repo.list_dead_letters()) == 2
    assert await repo.mark_dead_letter_replayed("no-such-id", BASE) is False


async def test_purge_older_than(repo: Backend) -> None:
    old, new = at(120), at(0)
    for ts in (old, new):
        await repo.upsert_tick(enriched_tick(timestamp=ts))
        await repo.upsert_chain(enriched_chain(expiry=EXPIRY, timestamp=ts))
        await repo.upsert_candle(candle(window_minutes=5, start_time=ts))
        await repo.upsert_surface(surface(timestamp=ts))
    await repo.revoke_token("kept", BASE + timedelta(days=1))
    await repo.add_dead_letter(
        {"source": "feed", "reason": "r", "error": "e", "payload": {}, "timestamp": old}
    )
    user = await repo.create_user("keep@example.com", "h", "Keep")
    for ts in (old, new):
        await repo.add_alert_event({"user_id": "u", "rule_id": "r", "timestamp": ts})

    counts = await repo.purge_older_than(at(60))
    for table in ("underlying_ticks", "option_chains", "ohlc", "volatility_surfaces"):
        assert counts[table] == 1, table
    assert counts["logs"] == 0
    assert counts["alert_history"] == 1
    assert [e["timestamp"] for e in await repo.list_alert_events("u")] == [new]
    assert _times(await repo.list_ticks("NIFTY")) == [new]
    assert _times(await repo.list_chains("NIFTY")) == [new]
    assert _times(await repo.list_chain_summaries("NIFTY")) == [new]
    assert _times(await repo.list_candles("NIFTY", 5), "start_time") == [new]
    latest_surface = await repo.latest_surface("NIFTY")
    assert latest_surface is not None and latest_surface["timestamp"] == new
    assert await repo.revoke_token("kept", BASE + timedelta(days=1)) is False  # still revoked
    assert len(await repo.list_dead_letters()) == 1
    assert await repo.get_user(user["id"]) is not None
    again = await repo.purge_older_than(at(60))
    assert sum(again.values()) == 0
    assert all(
        ts.tzinfo is UTC or ts.utcoffset() == timedelta(0) for ts in _times(await repo.list_ticks("NIFTY"))
    )
