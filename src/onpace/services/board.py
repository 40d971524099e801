"""The scorecard page: every KPI row with its department, format and recent values, as a filtered tree.

The page caches the board it renders per newest evaluation, filter and as-of date
(web/routes/overview.py); what is computed here is the same for every user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import Session

from onpace.catalog.models import Format
from onpace.catalog.project import Project
from onpace.kpi.instances import KpiInstance, additive, kpi_instances, timeframe_grain
from onpace.kpi.resolve import baseline, target_spec
from onpace.kpi.targets import effective_entry
from onpace.services import scorecard
from onpace.services.evaluate import read_kpi_series
from onpace.services.filters import ScorecardFilter
from onpace.services.views.base import View
from onpace.services.views.change import ChangeShown
from onpace.services.views.runs import RunView
from onpace.services.views.scorecard import ScorecardRow
from onpace.store import observations as obs
from onpace.store.db import Store
from onpace.store.models import KpiEvaluation, RefreshRun

RECENT_PERIODS = 12
#: Objectives are listed worst first: what needs attention comes first, objectives without data last.
SEVERITY = {"off_track": 0, "missed": 0, "at_risk": 1, "on_track": 2, "achieved": 2, "no_data": 3}


class BoardRow(ScorecardRow):
    """A KPI card: the row, its metric's department and format, and its recent periods' values."""

    department: str | None = None
    format: Format | None = None
    spark: list[float] = Field(default_factory=list, description="the last periods' values, up to the current one")
    spark_partial: bool = Field(default=False, description="the last value of ``spark`` is a period still running")
    previous: float | None = Field(default=None, description="the value of the period before the current one")
    change: ChangeShown | None = Field(default=None, description="a change target's growth (to date, forecast)")


@dataclass(frozen=True)
class Board:
    """The objective tree of the rows a filter keeps, and every row (for the page's counts and choices)."""

    nodes: list[scorecard.ObjectiveNode]
    everything: list[BoardRow]


class ScorecardPage(View):
    """The page around the board: counts by status, the filters' choices, the data's date, the last refresh."""

    project_name: str
    total: int
    counts: dict[str, int]
    departments: list[str]
    owners: list[str]
    filters: ScorecardFilter
    last_run: RunView | None
    as_of: dt.date | None = Field(description="the date the scorecard is shown as of (none: the latest)")
    data_until: dt.date | None = Field(description="the last day with data of any KPI shown")


def board(project: Project, store: Store, filters: ScorecardFilter, as_of: dt.date | None = None) -> Board:
    """The scorecard's KPI rows (as of ``as_of``: computed again from the data up to that day) as a tree."""
    everything = []
    for row in scorecard.kpi_rows(project, store, as_of):
        metric = project.metrics.get(row.metric or "")
        everything.append(
            BoardRow(
                **dict(row), department=getattr(metric, "department", None), format=getattr(metric, "format", None)
            )
        )
    kept = filters.select(project, everything)
    with_history(project, store, kept)
    return Board(by_severity(filters.tree(project, everything)), everything)


def by_severity(nodes: list[scorecard.ObjectiveNode]) -> list[scorecard.ObjectiveNode]:
    """The objectives worst first (off track, at risk, on track, no data), in their order within a status;
    the objectives under each one too."""
    for node in nodes:
        node.children = by_severity(node.children)
    return sorted(nodes, key=lambda n: SEVERITY.get(n.status, len(SEVERITY)))


def page(
    project: Project,
    everything: Sequence[BoardRow],
    filters: ScorecardFilter,
    last: RunView | None,
    as_of: dt.date | None = None,
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
        as_of=as_of,
        data_until=data_until(everything),
    )


def data_until(rows: Sequence[ScorecardRow]) -> dt.date | None:
    """The last day with data of any of the rows (their ``data_until``, else the day they were judged as of)."""
    days = [getattr(r, "data_until", None) or r.as_of for r in rows]
    return max(days, default=None)


def newest(store: Store) -> tuple[int, RunView | None]:
    """The newest evaluation's id (what cached boards and KPI pages are keyed by; 0 when there is none)
    and the last refresh run, as :func:`onpace.services.scorecard.newest` reads them.

    The scorecard asks on every view (the server's login check does, server.AuthGate), so it is one
    statement on one connection, without loading the run as an ORM object: a third of the time.
    """
    with store.connection(readonly=True) as conn:
        row = conn.execute(_NEWEST).mappings().one()
    last = None if row["id"] is None else RunView.model_validate(dict(row))
    return int(row["newest"] or 0), last


def _newest_statement() -> Select[Any]:
    """The newest evaluation's id and the columns of the run that started last (NULLs when none ran)."""
    evaluated = select(func.max(KpiEvaluation.id).label("newest")).subquery()
    run = (
        select(RefreshRun.__table__)
        .order_by(RefreshRun.started_at.desc(), RefreshRun.id.desc())  # onpace.store.runs.last_run's order
        .limit(1)
        .subquery()
    )
    return select(evaluated.c.newest, run).select_from(evaluated.outerjoin(run, true()))


_NEWEST = _newest_statement()


def with_history(project: Project, store: Store, rows: Sequence[BoardRow], count: int = RECENT_PERIODS) -> None:
    """Set each row's recent periods (``spark``, ``previous``) and, for a change target, its growth (``change``)."""
    instances = {(i.kpi.name, i.key): i for i in kpi_instances(project)}
    with store.session(readonly=True) as s:
        for row in rows:
            instance = instances.get((row.kpi, row.segment or ""))
            if instance is None:
                continue
            recent_periods(project, s, instance, row, count)
            row.change = change_of(project, s, instance, row)


def recent_periods(project: Project, s: Session, instance: KpiInstance, row: BoardRow, count: int) -> None:
    """Set ``spark`` (the last ``count`` periods' values at the timeframe's grain, up to the judged one)
    and ``previous`` (the value of the period before it), from the store.

    The judged period's own point is the row's actual (its value up to the as-of day, as the card
    says), marked ``spark_partial`` while the period runs: the part of a period is not a slump.
    """
    kpi = instance.kpi
    grain = timeframe_grain(project, kpi)
    metric = project.metrics[kpi.metric or ""]
    stored_grain = getattr(metric, "grain", None)
    series_grain = grain.value if stored_grain is None else stored_grain.value
    if stored_grain is not None and stored_grain != grain:  # manual values: roll up to the timeframe
        points: list[tuple[dt.date, float]] = []
    else:
        found = obs.read_series(s, kpi.metric or "", series_grain, instance.filter, end=row.period_start)
        points = [(p, v) for p, v in found if v is not None and p < row.period_start]
    points = points[-(count - 1) :] if count > 1 else []
    row.previous = points[-1][1] if points else None
    row.spark = [v for _, v in points]
    if row.actual is not None:
        row.spark.append(row.actual)
        row.spark_partial = row.as_of < row.period_end


def change_of(project: Project, s: Session, instance: KpiInstance, row: ScorecardRow) -> ChangeShown | None:
    """The growth of a KPI with a change target (none for the other kinds, or without a baseline)."""
    entry = effective_entry([(t.effective_from, t) for t in instance.targets], row.period_start)
    if entry is None or row.target_basis is None:
        return None
    spec = target_spec(entry)
    if spec.kind != "change" or spec.change is None:
        return None
    grain = timeframe_grain(project, instance.kpi)
    series = read_kpi_series(s, project, instance)
    sums = additive(project, instance.kpi.metric or "")
    value, _ = baseline(sums, series, spec, row.period_start, grain, project.calendar)
    if value is None:
        return None
    return ChangeShown.of(
        spec.change,
        row.target_basis.partition(" ")[2] or row.target_basis,
        value,
        actual=row.actual,
        expected_to_date=row.expected_to_date,
        target=row.target,
        forecast=row.forecast,
    )


def change_shown(project: Project, store: Store, row: ScorecardRow) -> ChangeShown | None:
    """The growth of one row of a KPI with a change target (the KPI page's; none for the other kinds)."""
    instance = next((i for i in kpi_instances(project) if i.kpi.name == row.kpi and i.key == (row.segment or "")), None)
    if instance is None or row.target_basis is None:
        return None
    with store.session(readonly=True) as s:
        return change_of(project, s, instance, row)
