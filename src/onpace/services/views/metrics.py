"""Metrics: a catalog entry, one metric, its values by period or by a dimension, its SQL, values written."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from onpace.catalog.models import Format
from onpace.services.views.base import View
from onpace.services.views.notes import CommentView


class MetricSummary(View):
    """A metric of the catalog: what it is, who owns it, and the KPIs made of it."""

    name: str
    label: str
    description: str | None
    type: str
    unit: str | None
    format: Format
    direction: str = Field(description="higher or lower is better")
    owner: str | None
    department: str | None
    cadence: str | None
    default_grain: str
    tags: list[str]
    kpis: list[str]
    file: str | None = Field(description="the definition file, relative to the project")


class MetricDetail(MetricSummary):
    """One metric: its summary, its definition as written, and the dimensions it can be broken down by."""

    definition: dict[str, Any]
    dimensions: list[str]


class ValuePoint(View):
    period: dt.date = Field(description="the first day of the period")
    value: float | None


class SeriesValues(View):
    """A metric by period: from the store when refresh keeps that series, else from a live query."""

    metric: str
    grain: str
    source: Literal["store", "engine"]
    rows: list[ValuePoint]
    partial_periods: list[dt.date] = Field(
        default_factory=list,
        description="the periods the range cuts (valued from their days inside it), or a last month in progress",
    )


class BreakdownRow(View):
    value_of: str | None = Field(description="the dimension's value (none: rows without one)")
    value: float | None


class Breakdown(View):
    """A metric over a range by each value of one dimension, largest first (a live query)."""

    metric: str
    by: str
    start: dt.date | None
    end: dt.date | None
    rows: list[BreakdownRow]


class GeneratedSql(View):
    sql: str


class ValuesWritten(View):
    """Values written (pushed or imported): how many, per metric, and how many KPIs were evaluated again."""

    rows: int
    metrics: dict[str, int]
    kpis_evaluated: int


class LifecycleChange(View):
    """A promotion or demotion: the KPI, and the file it was written to or removed from."""

    kpi: str
    file: str


class CatalogPage(View):
    """The catalog page: the metrics that match, and the choices of each filter."""

    rows: list[MetricSummary]
    departments: list[str]
    owners: list[str]
    types: list[str]
    tags: list[str]


class MetricPage(View):
    """The metric page: values at a grain over a range, a breakdown, its definition and SQL, comments."""

    summary: MetricSummary
    grain: str
    grains: list[str]
    start: dt.date | None
    end: dt.date | None
    by: str | None
    points: SeriesValues
    breakdown: list[BreakdownRow]
    dimensions: list[str]
    definition: str = Field(description="the definition as YAML")
    sql: str | None = Field(description="the generated SQL (editors and above)")
    objectives: list[str]
    comments: list[CommentView]
