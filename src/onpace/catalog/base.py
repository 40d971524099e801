"""What every definition model shares: the base model (it knows its file and path) and the name types."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"
Identifier = Annotated[str, Field(pattern=NAME_PATTERN, max_length=63)]
# The longest text a definition may hold where the app later takes the same text back as a query
# parameter (the scorecard's and the catalog's filters, a KPI page's segment): one limit for both,
# so nothing accepted here is refused (422) when a page asks for it.
MAX_NAME_TEXT = 128  # owners, departments, tags
MAX_SEGMENT = 500  # a segment value (of segment_by; a target's segment)
NameText = Annotated[str, Field(max_length=MAX_NAME_TEXT)]
SegmentValue = Annotated[str, Field(max_length=MAX_SEGMENT)]


class Model(BaseModel):
    """Base of every definition: unknown keys are errors, and it knows where it came from."""

    # a number of a definition is finite: a target or a threshold of NaN or infinity judges nothing
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False, allow_inf_nan=False)
    _file: str | None = PrivateAttr(default=None)
    _path: tuple[str | int, ...] = PrivateAttr(default=())
