"""A KPI: its definition, its chart, and the KPI page with everything about it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from onpace.catalog.models import Format
from onpace.services.views.alerts import AlertSeriesView
from onpace.services.views.backtest import TrackRecord
from onpace.services.views.base import View
from onpace.services.views.evaluations import Evaluation, TargetChange
from onpace.services.views.metrics import BreakdownRow, MetricSummary
from onpace.services.views.notes import AnnotationView, CommentView, ReviewView
from onpace.services.views.scorecard import ScorecardRow
from onpace.services.views.what_changed import WhatChanged


class KpiDefinition(View):
    """A KPI's definition as written (the keys of the YAML), and the file it is in."""

    name: str
    file: str | None
    definition: dict[str, Any]


class KpiDetail(KpiDefinition):
    """One KPI: its definition, latest evaluations (one per segment) and who manages it."""

    evaluations: list[ScorecardRow]
    managed_by: Literal["app", "code"]


class ChartCone(View):
    """The forecast cone: from the as-of day's actual to the forecast (and its interval) at the period end."""

    from_: dt.date = Field(alias="from")
    to: dt.date
    start: float
    value: float
    low: float | None
    high: float | None


class KpiChart(View):
    """The current period day by day: actual (cumulative for sums), the phased target path, the cone."""

    days: list[dt.date]
    actual: list[float | None]
    target: list[float | None]
    target_low: list[float | None]
    target_high: list[float | None]
    cone: ChartCone | None
    as_of: dt.date | None = Field(default=None, description="none: the KPI was never evaluated")
    cumulative: bool | None = None
    kind: str | None = Field(
        default=None,
        description="flow or count_distinct (the actual is a running total), ratio (the value for the period "
        "so far on each day), level (the value on each day)",
    )


class Driver(View):
    """A driver metric of a KPI, with its last 12 monthly values."""

    name: str
    label: str
    values: list[float]
    format: Format


class KpiHead(View):
    """What the KPI page says about the KPI itself."""

    name: str
    label: str
    description: str | None
    objective: str | None
    owner: str | None
    priority: int
    timeframe: str = Field(description='"every quarter", or one period such as 2026-Q3')
    review_cadence: str
    phasing: str = Field(description="linear, seasonal or milestones")


class KpiPage(View):
    """The KPI page: the KPI, its latest evaluation, its segments, drivers, past periods, targets and notes."""

    kpi: KpiHead
    metric: MetricSummary
    row: ScorecardRow | None = Field(description="the latest evaluation shown (none: never evaluated)")
    segments: list[str]
    segment: str
    past: list[Evaluation] = Field(description="the periods that are over (achieved or missed), newest first")
    targets: list[TargetChange]
    drivers: list[Driver]
    dimensions: list[str]
    reviews: list[ReviewView]
    comments: list[CommentView]
    annotations: list[AnnotationView]
    assessments: list[str]
    track_record: TrackRecord | None = Field(
        default=None, description="how the KPI's forecasts did in its past periods (none: not a recurring KPI)"
    )
    alerts: list[AlertSeriesView] = Field(
        default_factory=list, description="the series of the alert rules that watch the KPI, with their state now"
    )
    what_changed: WhatChanged | None = Field(
        default=None,
        description="the change on the same days of the previous period, its segments and drivers; none on the"
        " page, which loads it afterwards (GET /api/kpis/{name}/what-changed)",
    )


class KpiBreakdown(View):
    """A KPI's metric over its current period to date by one dimension; ``where`` drills down."""

    kpi: str
    metric: str
    by: str
    segment: str
    where: str | None
    others: list[str] = Field(description="the other dimensions, to drill down by")
    start: dt.date | None
    end: dt.date | None
    rows: list[BreakdownRow]
    format: Format
