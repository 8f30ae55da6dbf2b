"""Alerts: per-user rules on live analytics, evaluated on every enriched event, delivered by
socket (``alerts:fired`` → ``user:{id}``), webhook and apprise channels. Owns the ``alerts`` (rules)
and ``alert_history`` (fired alerts) tables."""
