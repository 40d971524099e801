"""What every view shares: the base model, and times written in JSON as ``datetime.isoformat()`` does."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer


def _iso(value: dt.datetime) -> str:
    return value.isoformat()


IsoDateTime = Annotated[dt.datetime, PlainSerializer(_iso, return_type=str, when_used="json")]
"""A time that stays a ``datetime`` for templates and is ``2026-01-02T03:04:05+00:00`` in JSON
(pydantic's own JSON would write ``Z`` for UTC: the answers keep the form they always had)."""


class View(BaseModel):
    """A view: built from keyword values or from any object's attributes (a store row, a dataclass)."""

    model_config = ConfigDict(from_attributes=True)


def json_of(value: Any) -> Any:
    """A view (or a list or dict of views) as plain JSON values: what the API answers and the CLI prints."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, by_alias=True)
