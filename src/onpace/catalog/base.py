"""What every definition model shares: the base model (it knows its file and path) and the name types."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

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
    # not defer_build: FastAPI's OpenAPI schema of a request body that is a deferred model raised
    # UnsupportedFieldAttributeWarning (/openapi.json answered 500), for 40 ms of `onpace status`
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False, allow_inf_nan=False)
    _file: str | None = PrivateAttr(default=None)
    _path: tuple[str | int, ...] = PrivateAttr(default=())

    @model_validator(mode="before")
    @classmethod
    def _no_truth_for_a_number(cls, data: Any) -> Any:
        """``at_least: true`` (YAML's ``yes`` too) or ``{"at_least": true}`` is not a number: pydantic read it
        as 1.0 and a KPI was judged against it. A number field refuses true and false, inside a pair too."""
        if isinstance(data, dict):
            for name, value in data.items():
                if not isinstance(value, bool | list | tuple) or not isinstance(name, str):
                    continue
                items = value if isinstance(value, list | tuple) else (value,)
                if any(isinstance(item, bool) for item in items) and _number_field(cls, name):
                    raise ValueError(f"{name}: expected a number, not true or false")
        return data


def _number_field(model: type[BaseModel], key: str) -> bool:
    """Whether ``key`` (a field's name or alias) of ``model`` takes a number."""
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return _takes_a_number(field.annotation)
    return False


def _takes_a_number(annotation: Any) -> bool:
    """Whether a field's type is a number (float or int, optional, or a tuple of them) and no boolean."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_a_number(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return bool(members) and all(_takes_a_number(a) for a in members)
    if origin is tuple:
        return all(_takes_a_number(a) for a in get_args(annotation) if a is not Ellipsis)
    return annotation in (float, int)
