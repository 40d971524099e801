"""The scorecard page: every KPI row with its department, format and recent values, as a filtered tree.

The page caches the board it renders per newest evaluation and filter (web/routes/overview.py);
what is computed here is the same for every user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import Field

from onpace.catalog.models import Format
from onpace.catalog.project import Project
from onpace.kpi.instances import kpi_instances, timeframe_grain
from onpace.services import scorecard
from onpace.services.filters import ScorecardFilter
from onpace.services.views.base import View
from onpace.services.views.runs import RunView
from onpace.services.views.scorecard import ScorecardRow
from onpace.store import observations as obs
from onpace.store.db import Store

RECENT_PERIODS = 12


class BoardRow(ScorecardRow):
    """A KPI card: the row, its metric's department and format, and its recent periods' values."""

    department: str | None = None
    format: Format | None = None
    spark: list[float] = Field(default_factory=list, description="the last periods' values, up to the current one")
    previous: float | None = Field(default=None, description="the value of the period before the current one")


@dataclass(frozen=True)
class Board:
    """The objective tree of the rows a filter keeps, and every row (for the page's counts and choices)."""

    nodes: list[scorecard.ObjectiveNode]
    everything: list[BoardRow]


class ScorecardPage(View):
    """The page around the board: counts by status, the filters' choices, the last refresh."""

    project_name: str
    total: int
    counts: dict[str, int]
    departments: list[str]
    owners: list[str]
    filters: ScorecardFilter
    last_run: RunView | None


def board(project: Project, store: Store, filters: ScorecardFilter) -> Board:
    everything = []
    for row in scorecard.kpi_rows(project, store):
        metric = project.metrics.get(row.metric or "")
        everything.append(
            BoardRow(
                **dict(row), department=getattr(metric, "department", None), format=getattr(metric, "format", None)
            )
        )
    kept = filters.select(project, everything)
    recent_periods(project, store, kept)
    return Board(filters.tree(project, kept), everything)


def page(
    project: Project, everything: Sequence[BoardRow], filters: ScorecardFilter, last: RunView | None
) -> ScorecardPage:
    counts: dict[str, int] = {}
    for row in everything:
        counts[row.status] = counts.get(row.status, 0) + 1
    return ScorecardPage(
        project_name=project.config.name,
        total=len(everything),
        counts=counts,
        departments=sorted({r.department for r in everything if r.department}),
        owners=sorted({r.owner for r in everything if r.owner}),
        filters=filters,
        last_run=last,
    )


def newest(store: Store) -> tuple[int, RunView | None]:
    """The newest evaluation's id (what cached boards are keyed by) and the last refresh run."""
    newest_id, last = scorecard.newest(store)
    return newest_id, None if last is None else RunView.model_validate(last)


def recent_periods(project: Project, store: Store, rows: Sequence[BoardRow], count: int = RECENT_PERIODS) -> None:
    """Set ``spark`` (the last ``count`` periods' values at the timeframe's grain, up to the current one)
    and ``previous`` (the value of the period before the current one) of each row, from the store."""
    filters = {(i.kpi.name, i.key): i.filter for i in kpi_instances(project)}
    with store.session(readonly=True) as s:
        for row in rows:
            kpi = project.kpis[row.kpi]
            grain = timeframe_grain(project, kpi)
            segment = filters.get((row.kpi, row.segment or ""), "")
            metric = project.metrics[kpi.metric or ""]
            stored_grain = getattr(metric, "grain", None)
            series_grain = grain.value if stored_grain is None else stored_grain.value
            points = [
                (p, v)
                for p, v in obs.read_series(s, kpi.metric or "", series_grain, segment, end=row.period_start)
                if v is not None
            ]
            if stored_grain is not None and stored_grain != grain:  # manual values: roll up to the timeframe
                points = []
            points = points[-count:]
            row.spark = [v for _, v in points]
            before = [v for p, v in points if p < row.period_start]
            row.previous = before[-1] if before else None
