"""Shared kernel: bus, cache, the HTTP kit (``core.http``), component lifecycle and ``Supervisor``
(``core.lifecycle``), the dead-letter port, errors, JSON, logging, metrics, clock and the CLI
helpers. Imports no bounded context and no storage (checked by ``.importlinter``)."""
