"""``deltastream users promote|demote|revoke|delete EMAIL``: the operator's account actions.

Admin is granted only here, by someone with shell access to the deployment: never by registering,
whatever the address. Each action bumps the user's token version (delete removes the user), so
tokens issued before it stop working at once; the user logs in again for a fresh pair.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated

import typer

from deltastream.auth.repository import UserStore
from deltastream.core.cli import fail, load_settings
from deltastream.core.logging import configure_logging
from deltastream.settings import Settings

OpenUsers = Callable[[Settings], AbstractAsyncContextManager[UserStore]]
EmailArg = Annotated[str, typer.Argument(help="the account's e-mail address")]


def _run(open_users: OpenUsers, action: Callable[[UserStore], Awaitable[str | None]], email: str) -> None:
    settings = load_settings()
    level = settings.log_level if settings.log_level in ("WARNING", "ERROR") else "WARNING"
    configure_logging(level, settings.log_format, role="users", stderr=True)

    async def _go() -> str | None:
        async with open_users(settings) as users:
            return await action(users)

    done = asyncio.run(_go())
    if done is None:
        fail(f"no user with e-mail {email.strip().lower()}", code=1)
    typer.echo(done)


def register(app: typer.Typer, open_users: OpenUsers) -> None:
    users = typer.Typer(
        help="Operator actions on accounts (admin is granted only here).", no_args_is_help=True
    )

    @users.command()
    def promote(email: EmailArg) -> None:
        """Make the user an admin (their current tokens stop working: they log in again)."""

        async def act(store: UserStore) -> str | None:
            user = await store.set_admin(email, True)
            return None if user is None else f"{user['email']} is now an admin (user {user['id']})"

        _run(open_users, act, email)

    @users.command()
    def demote(email: EmailArg) -> None:
        """Withdraw admin; tokens issued before stop working."""

        async def act(store: UserStore) -> str | None:
            user = await store.set_admin(email, False)
            return None if user is None else f"{user['email']} is no longer an admin (user {user['id']})"

        _run(open_users, act, email)

    @users.command()
    def revoke(email: EmailArg) -> None:
        """Invalidate every token of the user (log out everywhere)."""

        async def act(store: UserStore) -> str | None:
            user = await store.bump_token_version(email)
            return None if user is None else f"every token of {user['email']} is revoked"

        _run(open_users, act, email)

    @users.command()
    def delete(email: EmailArg) -> None:
        """Delete the account; its id is never reused and its tokens stop working."""

        async def act(store: UserStore) -> str | None:
            return f"deleted {email.strip().lower()}" if await store.delete_user(email) else None

        _run(open_users, act, email)

    app.add_typer(users, name="users")
