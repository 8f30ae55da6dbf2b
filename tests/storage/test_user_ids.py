"""Issue 18 item 3 at the storage level: user ids are never reused and every operator action
bumps the per-user token version, on both backends; m0004 upgrades an m0001 SQLite file in place."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

import migrations
from deltastream.storage.sqlite import SQLiteRepository
from deltastream.wiring import Backend


async def test_a_deleted_users_id_is_never_given_to_the_next_account(repo: Backend) -> None:
    first = await repo.create_user("first@example.com", "h", "First")
    last = await repo.create_user("last@example.com", "h", "Last")
    assert await repo.delete_user("LAST@example.com") is True
    assert await repo.get_user(last["id"]) is None
    assert await repo.delete_user("last@example.com") is False
    after = await repo.create_user("next@example.com", "h", "Next")
    assert after["id"] not in (first["id"], last["id"])


async def test_operator_actions_bump_the_token_version(repo: Backend) -> None:
    user = await repo.create_user("ops@example.com", "h", "Ops")
    assert user["token_version"] == 0 and user["is_admin"] is False
    promoted = await repo.set_admin("OPS@example.com", True)
    assert promoted is not None and promoted["is_admin"] is True and promoted["token_version"] == 1
    revoked = await repo.bump_token_version("ops@example.com")
    assert revoked is not None and revoked["token_version"] == 2 and revoked["is_admin"] is True
    demoted = await repo.set_admin("ops@example.com", False)
    assert demoted is not None and demoted["is_admin"] is False and demoted["token_version"] == 3
    stored = await repo.get_user(user["id"])
    assert stored is not None and stored["token_version"] == 3
    assert await repo.set_admin("nobody@example.com", True) is None
    assert await repo.bump_token_version("nobody@example.com") is None


async def test_m0004_upgrades_an_m0001_database_keeping_its_users(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path) as conn:
        from migrations import m0001_initial

        await m0001_initial.up(migrations.MigrationTarget(backend="sqlite", sqlite=conn))
        await conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        await conn.execute("INSERT INTO schema_migrations VALUES ('m0001_initial', 'x')")
        for i, email in enumerate(("a@example.com", "b@example.com"), start=1):
            await conn.execute(
                "INSERT INTO users (id, email, email_lower, name, password_hash, created_ts) "
                "VALUES (?, ?, ?, 'n', 'h', 0)",
                (i, email, email),
            )
        await conn.commit()
    repo = SQLiteRepository(path)
    await repo.start()
    try:
        assert "m0004_user_ids_token_version" in await repo.applied_migrations()
        kept = await repo.get_user_by_email("b@example.com")
        assert kept is not None and kept["id"] == "2" and kept["token_version"] == 0
        assert await repo.delete_user("b@example.com")
        fresh = await repo.create_user("c@example.com", "h", "C")
        assert fresh["id"] == "3"  # AUTOINCREMENT: 2 is not handed out again
        duplicate_refused = False
        try:
            await repo.create_user("A@example.com", "h", "dup")
        except Exception:
            duplicate_refused = True
        assert duplicate_refused  # the unique e-mail index was recreated
    finally:
        await repo.close()
