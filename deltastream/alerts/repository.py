"""What the alerts context stores: ``AlertStore`` over the ``alerts`` (rules) and ``alert_history``
(fired alerts, purged by retention) tables, this context's own. The backends implement it
structurally (``storage/sqlite/alerts.py``, ``storage/mongo/alerts.py``)."""

from __future__ import annotations

from typing import Protocol

from deltastream.storage import Record


class AlertStore(Protocol):
    async def create_alert_rule(self, record: Record) -> str:
        """Store a rule (needs ``user_id``); returns its id (str)."""

    async def get_alert_rule(self, rule_id: str) -> Record | None: ...

    async def list_alert_rules(self, user_id: str | None = None) -> list[Record]:
        """One user's rules, or every rule (the evaluator's start-up load), oldest first."""

    async def replace_alert_rule(self, rule_id: str, record: Record) -> bool: ...

    async def delete_alert_rule(self, rule_id: str) -> bool: ...

    async def add_alert_event(self, record: Record) -> str:
        """Store one fired alert (needs ``user_id``, ``rule_id``); returns its id, a paging cursor."""

    async def list_alert_events(
        self, user_id: str, before: str | None = None, limit: int = 50
    ) -> list[Record]:
        """Newest first; ``before`` is the id of the last event of the previous page."""
