"""Pydantic models of the definitions: project, sources, datasets, metrics.

These models check shape and types (one file at a time, so errors carry the
file and line); :mod:`onpace.catalog.validate` checks the references between
objects. Field names are the YAML keys, documented in docs/definitions.md.
"""

from __future__ import annotations

import re
from enum import Enum, StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from onpace.calendar import WEEKDAYS as WEEKDAYS
from onpace.calendar import Grain as Grain
from onpace.catalog.base import MAX_NAME_TEXT as MAX_NAME_TEXT
from onpace.catalog.base import MAX_SEGMENT as MAX_SEGMENT
from onpace.catalog.base import NAME_PATTERN as NAME_PATTERN
from onpace.catalog.base import Identifier as Identifier
from onpace.catalog.base import Model as Model
from onpace.catalog.base import NameText as NameText
from onpace.catalog.base import SegmentValue as SegmentValue
from onpace.catalog.channels import Channel, Notifications, Person
from onpace.catalog.reports import Reminders
from onpace.catalog.schedule import Schedule, SourceSchedule


class Agg(Enum):
    sum = "sum"
    count = "count"
    count_distinct = "count_distinct"
    avg = "avg"
    min = "min"
    max = "max"
    median = "median"
    percentile = "percentile"


class Direction(Enum):
    higher = "higher"
    lower = "lower"


class Cadence(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


class Source(Model):
    url: str = Field(description="Connection URL; ${VAR} is replaced by the environment variable VAR.")
    description: str | None = None
    refresh: SourceSchedule | None = Field(
        default=None, description="When the metrics of this source refresh by themselves (a cron and a time zone)."
    )


class Calendar(Model):
    week_start: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    fiscal_year_start: int = Field(default=1, ge=1, le=12, description="Month number the fiscal year starts in.")
    fiscal_year_named_by: Literal["start", "end"] = "start"


class StatusBands(Model):
    """Attainment (actual / expected to date) at or above which a KPI is on track, or at risk."""

    on_track: float = Field(default=1.0, gt=0)
    at_risk: float = Field(default=0.9, gt=0)

    @model_validator(mode="after")
    def _order(self) -> StatusBands:
        if self.at_risk > self.on_track:
            raise ValueError(
                f"at_risk ({self.at_risk}) is above on_track ({self.on_track}); expected at_risk <= on_track"
            )
        return self


class EvaluationSettings(Model):
    as_of: Literal["today", "latest_data"] = "today"
    status_bands: StatusBands = Field(default_factory=StatusBands)


class GovernanceSettings(Model):
    max_kpis_per_objective: int = Field(default=5, ge=1)
    max_kpis: int = Field(default=25, ge=1)
    met_periods_for_demotion: int = Field(default=3, ge=2)
    driver_min_correlation: float = Field(default=0.6, gt=0, le=1)


class RefreshSettings(Model):
    lookback_days: int = Field(default=3, ge=0)


class ProjectConfig(Model):
    """The contents of onpace.yml."""

    name: Identifier
    description: str | None = None
    sources: dict[Identifier, Source] = Field(default_factory=dict)
    default_source: Identifier | None = None
    calendar: Calendar = Field(default_factory=Calendar)
    models: list[str] = Field(default_factory=lambda: ["models"])
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings)
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)
    refresh: RefreshSettings = Field(default_factory=RefreshSettings)
    schedule: Schedule = Field(
        default_factory=Schedule, description="What runs by itself (onpace serve, onpace worker)."
    )
    channels: dict[Identifier, Channel] = Field(
        default_factory=dict, description="Where notifications go: email, Slack, Teams, a webhook, a folder."
    )
    people: dict[NameText, Person] = Field(
        default_factory=dict, description="Who owners and users are: their email address and chat handles."
    )
    notifications: Notifications = Field(
        default_factory=Notifications, description="How messages are delivered: tries, backoff, admins."
    )
    reminders: Reminders = Field(
        default_factory=Reminders, description="Review reminders: when owners hear a review is due, and escalation."
    )


class ColumnOrExpr(Model):
    """A named value read from a column or computed by an expression (column defaults to the name)."""

    name: Identifier
    column: str | None = None
    expr: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ColumnOrExpr:
        if self.column is not None and self.expr is not None:
            raise ValueError("give either 'column' or 'expr', not both")
        return self

    @property
    def expression(self) -> str:
        return self.expr or self.column or self.name


class Key(ColumnOrExpr):
    """An entity key: joins datasets that share it (foreign key -> primary key)."""

    primary: bool = False


class Dimension(ColumnOrExpr):
    label: str | None = None
    description: str | None = None
    type: Literal["categorical", "time"] = "categorical"


class Measure(Model):
    name: Identifier
    agg: Agg
    expr: str | None = Field(default=None, description="What to aggregate; count without expr counts rows.")
    filter: str | None = None
    percentile: float | None = Field(default=None, gt=0, lt=1)
    description: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Measure:
        _check_agg(self.agg, self.expr, self.percentile)
        return self


def _check_agg(agg: Agg, expr: str | None, percentile: float | None) -> None:
    if agg == Agg.percentile and percentile is None:
        raise ValueError("agg 'percentile' needs 'percentile' (a number between 0 and 1, e.g. 0.9)")
    if agg != Agg.percentile and percentile is not None:
        raise ValueError("'percentile' is only allowed with agg 'percentile'")
    if expr is None and agg not in (Agg.count,):
        raise ValueError(f"agg '{agg.value}' needs 'expr' (the column or expression to aggregate)")


# What a simple or cumulative metric is in a period (x dimension combination) with no rows.
EmptyPeriods = Literal["zero", "null"]
ZERO_WHEN_EMPTY = (Agg.sum, Agg.count, Agg.count_distinct)


def check_empty_periods(agg: Agg, empty_periods: str | None, measure: str | None = None) -> None:
    """``empty_periods: zero`` only where no rows add up to 0: a sum or a count."""
    if empty_periods == "zero" and agg not in ZERO_WHEN_EMPTY:
        of = f" (of measure '{measure}')" if measure else ""
        raise ValueError(
            f"'empty_periods: zero' does not apply to agg '{agg.value}'{of}: the {agg.value} of no rows is not 0, "
            "so a period with no rows is null; expected 'empty_periods: null' or no empty_periods"
        )


def empty_periods_word(value: object) -> object:
    """YAML reads an unquoted ``empty_periods: null`` as no value: it means the word ``null``."""
    return "null" if value is None else value


def _refuse_empty_periods(kind: str, data: object) -> None:
    if isinstance(data, dict) and "empty_periods" in data:
        raise ValueError(
            f"a {kind} metric has no 'empty_periods' (it is computed from its input metrics' values, "
            "null where they are null): set empty_periods on the input metrics"
        )


class Dataset(Model):
    name: Identifier
    description: str | None = None
    source: Identifier | None = None
    table: str | None = None
    sql: str | None = None
    time: str | None = Field(default=None, description="Default time dimension of the dataset's measures.")
    keys: list[Key] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)

    @model_validator(mode="after")
    def _table_or_sql(self) -> Dataset:
        if (self.table is None) == (self.sql is None):
            raise ValueError("give exactly one of 'table' or 'sql'")
        return self


class Format(Model):
    kind: Literal["number", "currency", "percent", "duration"] = "number"
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    decimals: int | None = Field(default=None, ge=0, le=10)
    duration_unit: Literal["seconds", "minutes", "hours", "days"] | None = None

    @model_validator(mode="after")
    def _check(self) -> Format:
        if self.kind == "currency" and not self.currency:
            raise ValueError("format kind 'currency' needs 'currency' (an ISO 4217 code such as USD)")
        return self


_OFFSET = re.compile(r"^\s*(\d+)\s+(day|week|month|quarter|year|period)s?\s*$")
_WINDOW = re.compile(r"^\s*(\d+)\s+(day|week|month|quarter|year)s?\s*$")


def parse_span(text: str, *, allow_period: bool) -> tuple[int, str]:
    """'28 days' -> (28, 'day'); raises ValueError naming the expected form.

    Offsets (``allow_period``) and trailing windows both take days, weeks, months,
    quarters and years; only an offset may count periods of the query's grain.
    """
    match = (_OFFSET if allow_period else _WINDOW).match(text)
    if not match or int(match.group(1)) <= 0:
        units = "day, week, month, quarter, year or period" if allow_period else "day, week, month, quarter or year"
        raise ValueError(
            f"invalid duration {text!r}; expected a positive count and a unit ({units}), such as '28 days'"
        )
    return int(match.group(1)), match.group(2)


_START_OF = re.compile(r"^\s*start of (week|month|quarter|year|fiscal_quarter|fiscal_year)\s*$")
START_OF = "start_of_"


def parse_offset(text: str) -> tuple[int, str]:
    """An input's offset: '1 year' -> (1, 'year'); 'start of month' -> (0, 'start_of_month').

    ``start of <grain>`` reads, for each period, the period that holds the first day of its
    ``<grain>`` (MetricFlow's ``offset_to_grain``). ValueError naming both forms otherwise.
    """
    match = _START_OF.match(text)
    if match:
        return 0, START_OF + match.group(1)
    try:
        return parse_span(text, allow_period=True)
    except ValueError:
        raise ValueError(
            f"invalid offset {text!r}; expected a positive count and a unit (day, week, month, quarter, year or "
            "period), such as '1 year', or 'start of' a week, month, quarter, year, fiscal_quarter or fiscal_year, "
            "such as 'start of month'"
        ) from None


def _window_span(value: str) -> str:
    parse_span(value, allow_period=False)
    return value


#: A span of days, weeks, months, quarters or years ('28 days', '3 months'): a window.
WindowSpan = Annotated[str, AfterValidator(_window_span)]


class MetricInput(Model):
    metric: Identifier
    alias: Identifier | None = None
    offset: str | None = Field(default=None, description="e.g. '1 year', '1 period', '4 weeks', 'start of month'")
    filter: str | None = None

    @field_validator("offset")
    @classmethod
    def _offset(cls, value: str | None) -> str | None:
        if value is not None:
            parse_offset(value)
        return value

    @property
    def ref(self) -> str:
        return self.alias or self.metric


class MetricBase(Model):
    name: Identifier
    label: str | None = None
    description: str | None = None
    unit: str | None = None
    format: Format = Field(default_factory=Format)
    direction: Direction = Direction.higher
    owner: NameText | None = None
    department: NameText | None = None
    cadence: Cadence | None = None
    default_grain: Grain | None = None
    tags: list[NameText] = Field(default_factory=list)


class SimpleMetric(MetricBase):
    type: Literal["simple"] = "simple"
    measure: str | None = Field(default=None, description="A measure, as 'dataset.measure' or a unique measure name.")
    dataset: Identifier | None = None
    agg: Agg | None = None
    expr: str | None = None
    percentile: float | None = Field(default=None, gt=0, lt=1)
    filter: str | None = None
    time: str | None = None
    empty_periods: EmptyPeriods | None = Field(
        default=None,
        description="A period with no rows: 'zero' (default of sum and count) or 'null' (the default of "
        "every other aggregation).",
    )

    @field_validator("empty_periods", mode="before")
    @classmethod
    def _empty_periods(cls, value: object) -> object:
        return empty_periods_word(value)

    @model_validator(mode="after")
    def _check(self) -> SimpleMetric:
        if self.measure is not None:
            if self.agg is not None or self.expr is not None or self.percentile is not None:
                raise ValueError("give either 'measure' or 'agg'/'expr', not both")
        else:
            if self.agg is None or self.dataset is None:
                raise ValueError("a simple metric needs 'measure', or 'dataset' and 'agg' (with 'expr')")
            _check_agg(self.agg, self.expr, self.percentile)
            check_empty_periods(self.agg, self.empty_periods)
        return self


class RatioMetric(MetricBase):
    type: Literal["ratio"]
    numerator: Identifier
    denominator: Identifier
    filter: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_empty_periods(cls, data: object) -> object:
        _refuse_empty_periods("ratio", data)
        return data


class DerivedMetric(MetricBase):
    type: Literal["derived"]
    expr: str
    inputs: list[MetricInput] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_empty_periods(cls, data: object) -> object:
        _refuse_empty_periods("derived", data)
        return data


class CumulativeMetric(MetricBase):
    type: Literal["cumulative"]
    metric: Identifier
    window: WindowSpan | None = Field(default=None, description="Trailing window such as '28 days' or '3 months'.")
    grain_to_date: Literal["week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year"] | None = None
    period_agg: Literal["last", "first"] = Field(
        default="last",
        description="Above day grain, the day a period's value is taken as of: its last day (default; the last "
        "day with data in a period in progress) or its first day.",
    )
    empty_periods: EmptyPeriods | None = Field(
        default="zero", description="A period whose window holds no rows: 'zero' (default) or 'null'."
    )

    @field_validator("empty_periods", mode="before")
    @classmethod
    def _empty_periods(cls, value: object) -> object:
        return empty_periods_word(value)

    @model_validator(mode="after")
    def _check(self) -> CumulativeMetric:
        if self.window is not None and self.grain_to_date is not None:
            raise ValueError("give either 'window' or 'grain_to_date', not both (neither means a running total)")
        return self


class ConversionMetric(MetricBase):
    """Base events followed by conversion events of the same entity (MetricFlow's conversion metric)."""

    type: Literal["conversion"]
    base: Identifier = Field(description="A simple count, sum or count_distinct metric of the base events (visits).")
    conversion: Identifier = Field(
        description="A simple count, sum or count_distinct metric of the conversion events (purchases)."
    )
    entity: Identifier = Field(description="The key both metrics' datasets hold: whose events follow each other.")
    window: WindowSpan | None = Field(
        default=None, description="How soon after a base event a conversion counts, e.g. '7 days'; none: any time."
    )
    calculation: Literal["conversion_rate", "conversions"] = "conversion_rate"

    @model_validator(mode="before")
    @classmethod
    def _no_empty_periods(cls, data: object) -> object:
        _refuse_empty_periods("conversion", data)
        return data


class SemiAdditiveMetric(MetricBase):
    type: Literal["semi_additive"]
    measure: str | None = None
    dataset: Identifier | None = None
    expr: str | None = None
    filter: str | None = None
    time: str | None = None
    over_time: Literal["last", "first", "avg"] = "last"
    per: list[str] = Field(
        default_factory=list,
        description="Dimensions naming the entity whose own snapshots are taken (e.g. [warehouse]).",
    )
    by_day: Literal["level", "snapshots"] = Field(
        default="level",
        description=(
            "With 'per', a day's value: 'level' (each entity's latest snapshot on or before the day, carried "
            "forward) or 'snapshots' (only the snapshots of that day, as MetricFlow's window_groupings)."
        ),
    )

    @model_validator(mode="after")
    def _check(self) -> SemiAdditiveMetric:
        if (self.measure is None) == (self.expr is None):
            raise ValueError("give either 'measure' (a sum measure) or 'dataset' and 'expr'")
        if self.expr is not None and self.dataset is None:
            raise ValueError("'expr' needs 'dataset'")
        doubled = sorted({name for name in self.per if self.per.count(name) > 1})
        if doubled:
            raise ValueError(f"'per' names {', '.join(doubled)} more than once")
        return self


class ManualMetric(MetricBase):
    """A metric no system holds: its values are entered by hand or pushed, and kept in the store."""

    type: Literal["manual"]
    grain: Grain = Grain.day
    over_time: Literal["sum", "last", "avg"] = "sum"


Metric = Annotated[
    SimpleMetric
    | RatioMetric
    | DerivedMetric
    | CumulativeMetric
    | ConversionMetric
    | SemiAdditiveMetric
    | ManualMetric,
    Field(discriminator="type"),
]
