"""Values for JSON columns, made plain before they are stored.

A value is stored as the database gives it back: lists for tuples, string
keys, no NaN or infinity (PostgreSQL refuses them, SQLite would keep them).
Something JSON cannot hold fails here, naming the column, not in the driver.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def plain_json(value: Any, what: str) -> Any:
    """``value`` after a JSON round trip; ``what`` names it in the error."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be plain JSON: {exc}") from exc


def plain_object(value: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    """A JSON object (``{}`` for None) after a JSON round trip."""
    clean = plain_json(dict(value or {}), what)
    return dict(clean)
