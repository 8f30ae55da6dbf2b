"""Admin routes over the pipeline's dead letters: list them, replay one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from deltastream.auth.dependencies import AdminUser
from deltastream.core.http.openapi import error_responses
from deltastream.core.http.params import OrderQuery, ordered
from deltastream.core.http.ratelimit import GROUP_AUTH, rate_limit
from deltastream.deadletters.dependencies import DeadLettersDep
from deltastream.deadletters.schemas import DeadLettersResponse, ReplayResponse

router = APIRouter(prefix="/api/dead-letters", tags=["admin"], dependencies=[rate_limit(GROUP_AUTH)])


_ADMIN_DOC = " Needs an admin: a user an operator promoted with `deltastream users promote EMAIL`."


@router.get(
    "",
    response_model=DeadLettersResponse,
    summary="List dead letters",
    description="Messages the pipeline rejected or gave up on after retries, newest first (`order=asc`: oldest "
    "first)." + _ADMIN_DOC,
    responses=error_responses(401, 403, 422, 429),
)
async def list_dead_letters(
    _admin: AdminUser,
    dead_letters: DeadLettersDep,
    source: Annotated[str | None, Query(max_length=64, description="Only this source")] = None,
    include_replayed: Annotated[bool, Query(description="Also list replayed ones")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    order: OrderQuery = "desc",
) -> dict[str, Any]:
    items = await dead_letters.list_dead_letters(
        source=source, include_replayed=include_replayed, limit=limit
    )
    return {"count": len(items), "dead_letters": ordered(items, order)}


@router.post(
    "/{dead_letter_id}/replay",
    response_model=ReplayResponse,
    summary="Replay one dead letter",
    description=(
        "Sends the message through the pipeline again and marks it replayed; 404 for an unknown id, 409 if "
        "already replayed, 422 if it names nothing replayable." + _ADMIN_DOC
    ),
    responses=error_responses(401, 403, 404, 409, 422, 429),
)
async def replay_dead_letter(
    _admin: AdminUser,
    dead_letters: DeadLettersDep,
    dead_letter_id: Annotated[str, Path(min_length=1, max_length=64, description="Dead letter id")],
) -> dict[str, Any]:
    return await dead_letters.replay(dead_letter_id)
