"""What auth stores: ``UserStore``, over the ``users`` and ``revoked_tokens`` tables (auth's own).

The storage backends implement this protocol structurally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from deltastream.storage import Record


class UserStore(Protocol):
    async def create_user(self, email: str, password_hash: str, name: str) -> Record:
        """Returns ``{id, email, name, password_hash, created_at, is_admin, token_version}``; ``id`` is a str.
        Raises :class:`deltastream.core.errors.ConflictError` if the e-mail exists."""

    async def get_user_by_email(self, email: str) -> Record | None: ...

    async def set_admin(self, email: str, is_admin: bool) -> Record | None:
        """Grant or withdraw admin (an operator act: ``deltastream users promote|demote``); bumps
        ``token_version`` so tokens issued before the change stop working. None if no such user."""

    async def bump_token_version(self, email: str) -> Record | None:
        """Invalidate every token of the user (``deltastream users revoke``); None if no such user."""

    async def delete_user(self, email: str) -> bool:
        """Remove the user; its id is never given to another account (ids are never reused)."""

    async def get_user(self, user_id: str) -> Record | None: ...

    async def revoke_token(self, jti: str, expires_at: datetime) -> bool:
        """Record a used/revoked token id; returns False if it was already revoked (rotation)."""
