"""Response models of the dead-letter routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
