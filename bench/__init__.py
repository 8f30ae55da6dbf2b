"""Benchmarks (``make bench`` / ``python -m bench``); never collected by ``make test``."""
