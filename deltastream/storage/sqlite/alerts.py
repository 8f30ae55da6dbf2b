"""Alert rules and fired-alert history on SQLite (the ``alerts`` and ``alert_history`` tables,
the alerts context's)."""

from __future__ import annotations

from typing import Any

from deltastream.core.clock import utcnow
from deltastream.storage.codec import decode, encode, required, to_us
from deltastream.storage.protocol import Record
from deltastream.storage.sqlite.base import SQLiteBase, int_id


def _row(row: Any) -> Record:
    record = decode(row[1])
    record["id"] = str(row[0])
    return record


class SQLiteAlertStore(SQLiteBase):
    """Writes reuse the generic ``insert``/``modify`` writer kinds (one statement each)."""

    async def create_alert_rule(self, record: Record) -> str:
        stored = {**record, "created_at": record.get("created_at") or utcnow()}
        stored.pop("id", None)
        sql = "INSERT INTO alerts (user_id, created_ts, data) VALUES (?, ?, ?)"
        params = (str(required(stored, "user_id")), to_us(stored["created_at"]), encode(stored))
        row_id: int = await self._write("insert", (sql, params))
        return str(row_id)

    async def get_alert_rule(self, rule_id: str) -> Record | None:
        row_id = int_id(rule_id)
        if row_id is None:
            return None
        rows = list(await self._fetch("SELECT id, data FROM alerts WHERE id = ?", (row_id,)))
        return _row(rows[0]) if rows else None

    async def list_alert_rules(self, user_id: str | None = None) -> list[Record]:
        if user_id is None:
            rows = await self._fetch("SELECT id, data FROM alerts ORDER BY id")
        else:
            rows = await self._fetch("SELECT id, data FROM alerts WHERE user_id = ? ORDER BY id", (user_id,))
        return [_row(row) for row in rows]

    async def replace_alert_rule(self, rule_id: str, record: Record) -> bool:
        row_id = int_id(rule_id)
        if row_id is None:
            return False
        stored = {k: v for k, v in record.items() if k != "id"}
        changed: int = await self._write(
            "modify", ("UPDATE alerts SET data = ? WHERE id = ?", (encode(stored), row_id))
        )
        return changed > 0

    async def delete_alert_rule(self, rule_id: str) -> bool:
        row_id = int_id(rule_id)
        if row_id is None:
            return False
        changed: int = await self._write("modify", ("DELETE FROM alerts WHERE id = ?", (row_id,)))
        return changed > 0

    async def add_alert_event(self, record: Record) -> str:
        stored = {**record, "timestamp": record.get("timestamp") or utcnow()}
        sql = "INSERT INTO alert_history (user_id, rule_id, ts, data) VALUES (?, ?, ?, ?)"
        params = (
            str(required(stored, "user_id")),
            str(required(stored, "rule_id")),
            to_us(stored["timestamp"]),
            encode(stored),
        )
        row_id: int = await self._write("insert", (sql, params))
        return str(row_id)

    async def list_alert_events(
        self, user_id: str, before: str | None = None, limit: int = 50
    ) -> list[Record]:
        clauses, params = ["user_id = ?"], [user_id]
        if before is not None:
            cursor = int_id(before)
            if cursor is None:
                return []
            clauses.append("id < ?")
            params.append(str(cursor))
        sql = f"SELECT id, data FROM alert_history WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?"
        return [_row(row) for row in await self._fetch(sql, [*params, limit])]
