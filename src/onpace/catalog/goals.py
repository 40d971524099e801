"""Definitions of objectives and KPIs: what the company aims at, and the few measures with targets.

A KPI is a metric tied to an objective, with a target, a timeframe, an owner
and a review cadence. Those keys are optional here so that a missing one is
reported by :mod:`onpace.catalog.validate_goals` as one clear message (what is
missing, and that the definition can stay a metric) instead of one pydantic
error per key.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from onpace.calendar import out_of_range
from onpace.catalog.models import Cadence, Direction, Identifier, Model, NameText, SegmentValue, StatusBands

RECURRING = ("month", "quarter", "year", "fiscal_quarter", "fiscal_year")
_CHANGE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")


def _shorthand_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema also accepts the shorthands: 'quarter', '2025-Q3', 2025."""
    full = dict(schema)
    schema.clear()
    schema["anyOf"] = [
        full,
        {"type": "string", "description": "every month|quarter|year|fiscal_quarter|fiscal_year, or a period"},
        {"type": "integer", "description": "a year"},
    ]


class Timeframe(Model):
    """Either one period (``period: 2025-Q3``) or a recurring one (``every: quarter``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_shorthand_schema)

    every: Literal["month", "quarter", "year", "fiscal_quarter", "fiscal_year"] | None = None
    period: Annotated[
        str | None, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # timeframe: quarter  |  timeframe: 2025-Q3  |  timeframe: 2025
        if isinstance(data, int) and not isinstance(data, bool):
            return {"period": str(data)}
        if isinstance(data, str):
            return {"every": data} if data in RECURRING else {"period": data}
        if isinstance(data, dict) and isinstance(data.get("period"), int) and not isinstance(data["period"], bool):
            return {**data, "period": str(data["period"])}
        return data

    @model_validator(mode="after")
    def _one(self) -> Timeframe:
        if (self.every is None) == (self.period is None):
            raise ValueError("give either 'every' (month, quarter, year, fiscal_quarter, fiscal_year) or 'period'")
        return self

    @property
    def text(self) -> str:
        return f"every {self.every}" if self.every else str(self.period)


def _target_schema(schema: dict[str, Any]) -> None:
    kinds = ("at_least", "at_most", "between", "change")
    schema["oneOf"] = [
        {"required": [kind], "not": {"anyOf": [{"required": [k]} for k in kinds if k != kind]}} for kind in kinds
    ]
    schema["dependentRequired"] = {"change": ["vs"], "vs": ["change"]}


BASELINES = ("same_period_last_year", "previous_period")
VS_FORMS = "same_period_last_year, previous_period or {period: <a date>} (e.g. {period: 2024-10-01})"


class BaselinePeriod(Model):
    """A fixed baseline: the KPI's period (of its timeframe) that holds ``period``, the same for every period."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: Annotated[dt.date, WithJsonSchema({"type": "string", "format": "date"})]

    @field_validator("period", mode="before")
    @classmethod
    def _date(cls, value: Any) -> dt.date:
        return baseline_date(value)


def baseline_date(value: Any) -> dt.date:
    """The date of ``vs: {period: ...}``: a YAML date (2024-10-01) or an ISO string, within the supported dates.

    Not a number (2024 is not a date) nor a date and time. ValueError says what was expected.
    """
    day = value
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise ValueError(f"invalid baseline period {value!r} in 'vs'; expected a date such as 2024-10-01")
    problem = out_of_range(day)
    if problem is not None:
        raise ValueError(f"invalid baseline period in 'vs': {problem}")
    return day


class Target(Model):
    """One target: exactly one of at_least, at_most, between or change (relative to a baseline)."""

    at_least: float | None = None
    at_most: float | None = None
    between: tuple[float, float] | None = None
    change: Annotated[
        float | None,
        WithJsonSchema(
            {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _CHANGE.pattern}, {"type": "null"}]}
        ),
    ] = None
    vs: Literal["same_period_last_year", "previous_period"] | BaselinePeriod | None = None
    effective_from: dt.date | None = Field(default=None, alias="from")
    segment: SegmentValue | None = None
    note: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, json_schema_extra=_target_schema)

    @field_validator("change", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _CHANGE.match(value)
            if not match:
                raise ValueError(f"invalid change {value!r}; expected a fraction (0.2) or a percentage ('+20%')")
            return float(match.group(1)) / 100
        return value

    @field_validator("effective_from")
    @classmethod
    def _from(cls, value: dt.date | None) -> dt.date | None:
        problem = None if value is None else out_of_range(value)
        if problem is not None:  # from: 1066-10-14 was taken
            raise ValueError(f"invalid 'from': {problem}")
        return value

    @field_validator("vs", mode="before")
    @classmethod
    def _vs(cls, value: Any) -> Any:
        # validated here, so that a mistake gives one message (not one per member of the union)
        if value is None or value in BASELINES or isinstance(value, BaselinePeriod):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"invalid vs {value!r}; expected {VS_FORMS}")
        unknown = sorted(str(key) for key in value if key != "period")
        if unknown:
            raise ValueError(f"unknown key '{unknown[0]}' in 'vs'; expected only 'period' (a date such as 2024-10-01)")
        if "period" not in value:
            raise ValueError("'vs' needs 'period'; expected {period: <a date>} (e.g. {period: 2024-10-01})")
        return BaselinePeriod(period=baseline_date(value["period"]))

    @model_validator(mode="after")
    def _kind(self) -> Target:
        given = [k for k in ("at_least", "at_most", "between", "change") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a target needs exactly one of 'at_least', 'at_most', 'between' or 'change'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.change is not None and self.vs is None:
            raise ValueError(f"a 'change' target needs 'vs' ({VS_FORMS})")
        if self.change is None and self.vs is not None:
            raise ValueError("'vs' is only used with 'change'")
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError(
                f"'between' is [{self.between[0]}, {self.between[1]}]; expected [low, high] with low <= high"
            )
        if self.change is not None and self.change <= -1:
            raise ValueError(
                f"change {self.change:+.0%} would ask for a value at or below zero; expected more than -100%"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("at_least", "at_most", "between", "change") if getattr(self, k) is not None)

    @property
    def implied_direction(self) -> Direction | None:
        if self.at_least is not None:
            return Direction.higher
        if self.at_most is not None:
            return Direction.lower
        return None


class Milestone(Model):
    """A point of a custom phasing: by ``date`` (one-off timeframes) or at ``elapsed`` (a fraction of the period)."""

    date: dt.date | None = None
    elapsed: float | None = Field(default=None, gt=0, lt=1)
    share: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _one(self) -> Milestone:
        if (self.date is None) == (self.elapsed is None):
            raise ValueError("a milestone needs either 'date' or 'elapsed' (a fraction of the period, e.g. 0.5)")
        return self


class MilestonePhasing(Model):
    milestones: list[Milestone] = Field(min_length=1)


class Objective(Model):
    name: Identifier
    label: str | None = None
    description: str | None = None
    owner: NameText | None = None
    priority: int | None = Field(default=None, ge=1)
    timeframe: Timeframe | None = None
    parent: Identifier | None = None
    tags: list[NameText] = Field(default_factory=list)


class Kpi(Model):
    name: Identifier
    label: str | None = None
    description: str | None = None
    metric: Identifier | None = None
    segment: str | None = None
    segment_by: Identifier | None = None
    objective: Identifier | None = None
    owner: NameText | None = None
    priority: int = Field(default=3, ge=1)
    weight: float = Field(default=1.0, gt=0)
    timeframe: Timeframe | None = None
    review_cadence: Cadence | None = None
    direction: Direction | None = None
    accumulation: Literal["flow", "level"] | None = None
    target: Target | None = None
    targets: list[Target] | None = None
    phasing: Literal["linear", "seasonal"] | MilestonePhasing = "linear"
    status_bands: StatusBands | None = None
    drivers: list[Identifier] = Field(default_factory=list)
    tags: list[NameText] = Field(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _name_in_vs_errors(cls, data: Any, handler: ModelWrapValidatorHandler[Kpi]) -> Kpi:
        """A mistake in a target's 'vs' names the KPI ("KPI 'growth': unknown key 'perod' in 'vs'")."""
        try:
            return handler(data)
        except ValidationError as exc:
            name = data.get("name") if isinstance(data, dict) else None
            errors = exc.errors()
            if not isinstance(name, str) or not any(_vs_error(e) for e in errors):
                raise
            try:
                renamed = ValidationError.from_exception_data(exc.title, [_details(e, name) for e in errors])
            except (KeyError, TypeError, ValueError):  # an error pydantic cannot rebuild (a custom one): keep its own
                raise exc from None
            raise renamed from None

    @model_validator(mode="after")
    def _targets(self) -> Kpi:
        if self.target is not None and self.targets is not None:
            raise ValueError("give either 'target' or 'targets' (a schedule or per-segment list), not both")
        if self.targets is not None and not self.targets:
            raise ValueError("'targets' is empty; expected at least one target")
        return self

    @property
    def all_targets(self) -> list[Target]:
        if self.target is not None:
            return [self.target]
        return list(self.targets or [])


def _vs_error(error: Any) -> bool:
    return error["type"] == "value_error" and bool(error["loc"]) and error["loc"][-1] == "vs"


def _details(error: Any, kpi: str) -> InitErrorDetails:
    """One error of a KPI as pydantic reported it; an error of 'vs' with the KPI's name in front."""
    if _vs_error(error):
        message = f"KPI '{kpi}': " + str(error["msg"]).removeprefix("Value error, ")
        kind = PydanticCustomError("value_error", "Value error, {message}", {"message": message})
        return InitErrorDetails(type=kind, loc=error["loc"], input=error["input"])
    details = InitErrorDetails(type=error["type"], loc=error["loc"], input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details
