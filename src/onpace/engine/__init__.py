"""The metric engine: definitions -> ibis expressions -> the source's own backend."""

from __future__ import annotations

from onpace.engine.engine import Engine
from onpace.engine.query import Query

__all__ = ["Engine", "Query"]
