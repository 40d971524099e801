"""The scorecard's views: a KPI row (its latest evaluation) and an objective of the tree with its roll-up."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from onpace.services.views.base import View
from onpace.services.views.evaluations import Evaluated, LastPeriod


class KpiHead(View):
    """Which KPI (and segment) a row is, and what it serves."""

    kpi: str
    label: str
    metric: str | None
    segment: str | None = Field(description="the segment value of a KPI with per-segment targets")
    objective: str | None
    owner: str | None
    priority: int
    weight: float
    period: str = Field(description="the period evaluated, e.g. 2026-Q3")


class ScorecardRow(Evaluated, KpiHead):
    """The latest evaluation of one KPI (one row per segment of a KPI with per-segment targets).

    Fields in order: the KPI's (:class:`KpiHead`), then the evaluation's (:class:`Evaluated`):
    the JSON of ``GET /api/kpis`` and ``onpace status --format json``.
    """

    # a KPI split into segments weighs as much as one KPI in the roll-up: each segment gets its share
    rollup_weight: float = Field(exclude=True)
    last_period: LastPeriod | None = Field(default=None, description="the last period that is over")
    streak: int = Field(
        default=0, description="how many of the latest ended periods in a row share last_period's status"
    )

    def __getitem__(self, key: str) -> Any:
        """Read a field by name (``row["status"]``), as rows were read when they were dicts."""
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)


class ObjectiveView(View):
    """An objective of the tree: its KPIs and the objectives under it, with the weighted roll-up status."""

    name: str
    label: str
    description: str | None
    owner: str | None
    priority: int | None
    parent: str | None
    status: str = Field(description="on_track, at_risk, off_track or no_data (docs/kpi-evaluation.md)")
    score: float | None = Field(description="the weighted mean score of its KPIs and those under it")
    kpis: list[ScorecardRow]
    children: list[ObjectiveView]


class ObjectiveDetail(ObjectiveView):
    """One objective (``GET /api/objectives/{name}``): also where it is defined and who manages it."""

    file: str | None
    managed_by: Literal["app", "code"]


class ObjectiveDefinition(View):
    """An objective's definition as written (the keys of the YAML)."""

    name: str
    label: str | None = None
    description: str | None = None
    owner: str | None = None
    priority: int | None = None
    timeframe: dict[str, Any] | None = None
    parent: str | None = None
    tags: list[str] = Field(default_factory=list)
