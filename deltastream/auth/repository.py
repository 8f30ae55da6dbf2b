"""What auth stores: ``UserStore``, over the ``users`` and ``revoked_tokens`` tables (auth's own).

The storage backends implement this protocol structurally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from deltastream.storage import Record


class UserStore(Protocol):
    async def create_user(self, email: str, password_hash: str, name: str) -> Record:
        """Returns ``{id, email, name, password_hash, created_at, is_admin}``; ``id`` is a str.
        Raises :class:`deltastream.core.errors.ConflictError` if the e-mail exists."""

    async def get_user_by_email(self, email: str) -> Record | None: ...

    async def get_user(self, user_id: str) -> Record | None: ...

    async def revoke_token(self, jti: str, expires_at: datetime) -> bool:
        """Record a used/revoked token id; returns False if it was already revoked (rotation)."""
