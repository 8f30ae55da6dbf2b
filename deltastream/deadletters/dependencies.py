"""``DeadLettersDep``: the :class:`~deltastream.deadletters.service.DeadLetters` service of the
app's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from deltastream.deadletters.service import DeadLetters


async def get_dead_letters(request: Request) -> DeadLetters:
    dead_letters: DeadLetters = request.state.dead_letters
    return dead_letters


DeadLettersDep = Annotated[DeadLetters, Depends(get_dead_letters)]
