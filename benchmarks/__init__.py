"""Benchmark scripts (run them as files: see each one's docstring)."""

from __future__ import annotations
