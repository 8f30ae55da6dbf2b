"""``AiDep``: the app's :class:`~deltastream.ai.service.AiService`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from deltastream.ai.service import AiService


async def get_ai(request: Request) -> AiService:
    ai: AiService = request.state.ai
    return ai


AiDep = Annotated[AiService, Depends(get_ai)]
