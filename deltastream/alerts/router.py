"""A user's alert rules (JWT required; a user sees only their own), their history and a test fire."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from deltastream.alerts.dependencies import AlertsDep
from deltastream.alerts.schemas import (
    AlertHistoryResponse,
    AlertRuleIn,
    AlertRuleOut,
    AlertRulePatch,
    AlertRulesResponse,
    TestResponse,
)
from deltastream.auth.dependencies import CurrentUser
from deltastream.core.http.openapi import error_responses
from deltastream.core.http.ratelimit import GROUP_AUTH, rate_limit

router = APIRouter(prefix="/api/alerts", tags=["alerts"], dependencies=[rate_limit(GROUP_AUTH)])
RuleId = Annotated[str, Path(min_length=1, max_length=64, description="Alert rule id")]


def _uid(user: dict[str, Any]) -> str:
    return str(user["id"])


@router.get(
    "", response_model=AlertRulesResponse, summary="List my alert rules", responses=error_responses(401, 429)
)
async def list_alerts(user: CurrentUser, alerts: AlertsDep) -> dict[str, Any]:
    items = await alerts.list(_uid(user))
    return {"count": len(items), "alerts": items}


@router.post(
    "",
    response_model=AlertRuleOut,
    status_code=201,
    summary="Create an alert rule",
    description=(
        "The response carries `webhook_secret` once (the HMAC-SHA256 key of the webhook signature). "
        "404 for an unknown product."
    ),
    responses=error_responses(401, 404, 422, 429),
)
async def create_alert(user: CurrentUser, alerts: AlertsDep, body: AlertRuleIn) -> dict[str, Any]:
    return await alerts.create(_uid(user), body)


@router.get(
    "/history",
    response_model=AlertHistoryResponse,
    summary="My fired alerts, newest first",
    responses=error_responses(401, 422, 429),
)
async def alert_history(
    user: CurrentUser,
    alerts: AlertsDep,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    return await alerts.history(_uid(user), cursor, limit)


@router.get(
    "/{rule_id}",
    response_model=AlertRuleOut,
    summary="One alert rule",
    responses=error_responses(401, 404, 429),
)
async def get_alert(user: CurrentUser, alerts: AlertsDep, rule_id: RuleId) -> dict[str, Any]:
    return await alerts.get(_uid(user), rule_id)


@router.patch(
    "/{rule_id}",
    response_model=AlertRuleOut,
    summary="Edit, enable or disable an alert rule",
    responses=error_responses(401, 404, 422, 429),
)
async def patch_alert(
    user: CurrentUser, alerts: AlertsDep, rule_id: RuleId, body: AlertRulePatch
) -> dict[str, Any]:
    return await alerts.update(_uid(user), rule_id, body)


@router.delete(
    "/{rule_id}", status_code=204, summary="Delete an alert rule", responses=error_responses(401, 404, 429)
)
async def delete_alert(user: CurrentUser, alerts: AlertsDep, rule_id: RuleId) -> Response:
    await alerts.delete(_uid(user), rule_id)
    return Response(status_code=204)


@router.post(
    "/{rule_id}/test",
    response_model=TestResponse,
    summary="Fire the rule once to every channel",
    responses=error_responses(401, 404, 429),
)
async def test_alert(user: CurrentUser, alerts: AlertsDep, rule_id: RuleId) -> dict[str, Any]:
    return await alerts.test(_uid(user), rule_id)
