"""Admin routes over the pipeline's dead letters: list them, replay one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from deltastream import enrichment
from deltastream.api.dependencies import RepoDep, RuntimeDep
from deltastream.api.openapi import error_responses
from deltastream.api.ratelimit import GROUP_AUTH, rate_limit
from deltastream.auth.dependencies import AdminUser

router = APIRouter(prefix="/api/dead-letters", tags=["admin"], dependencies=[rate_limit(GROUP_AUTH)])


class DeadLetter(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    source: str | None = Field(default=None, description="Context that gave up: feed, enrichment ...")
    reason: str | None = Field(
        default=None, description="Short machine reason, e.g. `validation`, `task_failed`"
    )
    error: str | None = None
    payload: Any = Field(default=None, description="The message as received")
    attempts: int | None = None
    topic: str | None = None
    task: str | None = None
    timestamp: datetime | None = None
    replayed_at: datetime | None = Field(default=None, description="Null until replayed")


class DeadLettersResponse(BaseModel):
    count: int
    dead_letters: list[DeadLetter] = Field(description="Newest first")


class ReplayResponse(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "id": "17",
                "action": "dispatch",
                "target": "market:option_chain",
                "accepted": True,
                "new_dead_letter_ids": [],
                "replayed_at": "2025-01-03T12:31:00Z",
            }
        },
    )

    id: str
    action: Literal["task", "dispatch", "publish"] = Field(
        description="`task`: the failed task was queued again; `dispatch`: the market message went through "
        "validation and dispatch again; `publish`: the payload was published on its topic again"
    )
    target: str = Field(description="Task name or topic")
    accepted: bool = Field(description="False when a re-dispatched message was rejected again")
    new_dead_letter_ids: list[str] = Field(
        description="Dead letters recorded by this replay, if rejected again"
    )
    replayed_at: datetime


_ADMIN_DOC = " Needs an admin: a user whose e-mail is listed in `DELTASTREAM_ADMIN_EMAILS`."


@router.get(
    "",
    response_model=DeadLettersResponse,
    summary="List dead letters",
    description="Messages the pipeline rejected or gave up on after retries, newest first." + _ADMIN_DOC,
    responses=error_responses(401, 403, 422, 429),
)
async def list_dead_letters(
    _admin: AdminUser,
    repo: RepoDep,
    source: Annotated[str | None, Query(max_length=64, description="Only this source")] = None,
    include_replayed: Annotated[bool, Query(description="Also list replayed ones")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    items = await enrichment.list_dead_letters(
        repo, source=source, include_replayed=include_replayed, limit=limit
    )
    return {"count": len(items), "dead_letters": items}


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
    runtime: RuntimeDep,
    dead_letter_id: Annotated[str, Path(min_length=1, max_length=64, description="Dead letter id")],
) -> dict[str, Any]:
    return await enrichment.replay_dead_letter(runtime, dead_letter_id)
