"""``/api/alerts``: a user's own rules, validation envelopes, masking, history paging."""

from __future__ import annotations

import pytest

from tests.fixtures.api import Api, assert_envelope

from .conftest import register, rule_body


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_alerts_need_a_token(api: Api) -> None:
    assert_envelope(await api.client.get("/api/alerts"), 401, "unauthorized")
    assert_envelope(await api.client.post("/api/alerts", json=rule_body()), 401)


async def test_crud_and_ownership(api: Api) -> None:
    _, token = await register(api)
    _, other = await register(api, "other@example.com")
    created = await api.client.post("/api/alerts", json=rule_body(), headers=auth(token))
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["product"] == "NIFTY" and rule["enabled"] is True and rule["webhook_secret"] is None
    rid = rule["id"]

    listed = (await api.client.get("/api/alerts", headers=auth(token))).json()
    assert [r["id"] for r in listed["alerts"]] == [rid]
    assert (await api.client.get("/api/alerts", headers=auth(other))).json()["count"] == 0
    assert_envelope(await api.client.get(f"/api/alerts/{rid}", headers=auth(other)), 404, "alert_not_found")
    assert_envelope(await api.client.delete(f"/api/alerts/{rid}", headers=auth(other)), 404)

    patched = await api.client.patch(
        f"/api/alerts/{rid}", json={"enabled": False, "cooldown_seconds": 5}, headers=auth(token)
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["enabled"], patched.json()["cooldown_seconds"]) == (False, 5)
    got = (await api.client.get(f"/api/alerts/{rid}", headers=auth(token))).json()
    assert got["enabled"] is False and got["condition"]["level"] == 1.2

    assert (await api.client.delete(f"/api/alerts/{rid}", headers=auth(token))).status_code == 204
    assert_envelope(await api.client.get(f"/api/alerts/{rid}", headers=auth(token)), 404)


@pytest.mark.parametrize(
    ("condition", "needle"),
    [
        ({"field": "vix", "op": ">", "level": 1}, "field"),
        ({"field": "pcr_oi", "op": ">=", "level": 1}, "op"),
        ({"field": "pcr_oi", "op": ">", "level": "NaN"}, "finite"),
        ({"field": "pcr_oi", "op": "change_pct_over", "level": 2}, "window_minutes"),
        ({"field": "strike_oi", "op": ">", "level": 1}, "strike"),
        ({"field": "pcr_oi", "op": ">", "level": 1, "strike": 24000, "option_type": "CALL"}, "strike"),
        ({"field": "pcr_oi", "op": ">", "level": 1, "hysteresis": -1}, "hysteresis"),
    ],
)
async def test_bad_conditions_are_clear_422s(api: Api, condition: dict, needle: str) -> None:
    _, token = await register(api)
    response = await api.client.post("/api/alerts", json=rule_body(condition=condition), headers=auth(token))
    body = assert_envelope(response, 422)
    assert needle in response.text, body


async def test_unknown_product_is_a_404_listing_the_known_ones(api: Api) -> None:
    _, token = await register(api)
    body = assert_envelope(
        await api.client.post("/api/alerts", json=rule_body(product="NOPE"), headers=auth(token)),
        404,
        "not_found",
    )
    assert "NIFTY" in body["error"]["details"]["known_products"]


async def test_webhook_must_be_http_and_urls_are_masked(api: Api) -> None:
    _, token = await register(api)
    bad = rule_body(channels={"webhook": {"url": "ftp://example.com/hook"}})
    assert_envelope(await api.client.post("/api/alerts", json=bad, headers=auth(token)), 422)
    good = rule_body(
        channels={
            "webhook": {"url": "https://hooks.example.com/secret-path?token=abc"},
            "apprise": ["tgram://123456:ABCDEF/987654"],
        }
    )
    created = await api.client.post("/api/alerts", json=good, headers=auth(token))
    assert created.status_code == 201, created.text
    assert len(created.json()["webhook_secret"]) >= 32
    shown = (await api.client.get(f"/api/alerts/{created.json()['id']}", headers=auth(token))).text
    assert "secret-path" not in shown and "token=abc" not in shown and "ABCDEF" not in shown
    assert "hooks.example.com" in shown and created.json()["webhook_secret"] not in shown


async def test_test_fire_and_history_paging(api: Api) -> None:
    user_id, token = await register(api)
    rid = (await api.client.post("/api/alerts", json=rule_body(), headers=auth(token))).json()["id"]
    for _ in range(3):
        fired = await api.client.post(f"/api/alerts/{rid}/test", headers=auth(token))
        assert fired.status_code == 200, fired.text
        assert fired.json()["alert"]["test"] is True and fired.json()["channels"] == ["socket"]
    first = (await api.client.get("/api/alerts/history?limit=2", headers=auth(token))).json()
    assert first["count"] == 2 and first["next_cursor"] == first["history"][-1]["id"]
    assert all(h["user_id"] == user_id and h["rule_id"] == rid for h in first["history"])
    rest = (
        await api.client.get(
            f"/api/alerts/history?limit=2&cursor={first['next_cursor']}", headers=auth(token)
        )
    ).json()
    assert rest["count"] == 1 and rest["next_cursor"] is None
    ids = [h["id"] for h in first["history"] + rest["history"]]
    assert len(set(ids)) == 3 and int(ids[0]) > int(ids[1]) > int(ids[2])  # newest first
    _, other = await register(api, "nosy@example.com")
    assert (await api.client.get("/api/alerts/history", headers=auth(other))).json()["count"] == 0
