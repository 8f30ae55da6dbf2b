"""The request-side handle on the storage backend, for the contexts' own ``Annotated`` aliases.

A context types it as its own protocol, e.g. ``UserStoreDep = Annotated[UserStore,
Depends(get_repo)]``: the backend object implements every context's protocol, and each router
sees only the methods of its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request


async def get_repo(request: Request) -> Any:
    """The started backend from the app's lifespan state (``State.repo``)."""
    return request.state.repo
