"""The metric engine: definitions -> ibis expressions -> the source's own backend."""

from __future__ import annotations

from onpace.engine.engine import Engine
from onpace.engine.query import Query
from onpace.engine.result import days_read, partial_periods

__all__ = ["Engine", "Query", "days_read", "partial_periods"]
