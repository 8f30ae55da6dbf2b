"""Shared kernel: bus, cache, errors, logging, metrics, clock. Imports no bounded context."""
