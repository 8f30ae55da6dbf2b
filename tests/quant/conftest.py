"""Hypothesis profile for the quant property tests: bounded examples, no deadline (CI noise)."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("quant", max_examples=150, deadline=None, derandomize=True)
