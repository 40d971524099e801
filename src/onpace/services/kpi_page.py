"""Everything about one KPI: its definition, its chart, and the KPI page assembled in one place.

The web page renders :class:`KpiPage`, and ``GET /api/kpis/{name}/page`` answers the same view.
The page is two parts: what the KPI's evaluations and definitions give (:class:`Evaluated`: the
verdict, past periods, drivers; the same for everyone until something is evaluated again or a
definition changes, so the web page keeps it as the scorecard keeps its board) and what people
write (reviews, comments, annotations, target changes, alerts), read on every view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from onpace.catalog import expr
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.services import alerts as alert_service
from onpace.services import app_definitions, backtest, board, explore, feedback, kpi_chart, kpi_history, scorecard
from onpace.services import reviews as review_service
from onpace.services import what_changed as change_service
from onpace.services.lookup import get_kpi
from onpace.services.views.backtest import TrackRecord
from onpace.services.views.change import ChangeShown
from onpace.services.views.evaluations import Evaluation
from onpace.services.views.kpis import (
    Driver,
    KpiBreakdown,
    KpiChart,
    KpiDefinition,
    KpiDetail,
    KpiHead,
    KpiPage,
)
from onpace.services.views.metrics import MetricSummary
from onpace.services.views.scorecard import ScorecardRow
from onpace.services.views.what_changed import WhatChanged
from onpace.services.workspace import Workspace
from onpace.store.db import Store

DRIVER_MONTHS = 12
PAGE_REVIEWS = 20


def definition(kpi: g.Kpi) -> KpiDefinition:
    """The KPI's definition as written (the keys of the YAML), and its file."""
    return KpiDefinition(
        name=kpi.name,
        file=kpi._file,
        definition=kpi.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True),
    )


def detail(project: Project, store: Store, name: str, as_of: dt.date | None = None) -> KpiDetail:
    """One KPI: its definition, latest evaluations (per segment), and whether the app or the code manages it."""
    kpi = get_kpi(project, name)
    return KpiDetail(
        **dict(definition(kpi)),
        evaluations=scorecard.kpi_rows(project, store, as_of, kpi=name),
        managed_by="app" if app_definitions.managed_by_app(project, "kpi", name) else "code",
    )


def chart(project: Project, store: Store, name: str, segment: str = "", as_of: dt.date | None = None) -> KpiChart:
    """The current period day by day: actual, the phased target path and the forecast cone."""
    get_kpi(project, name)
    return KpiChart.model_validate(kpi_chart.chart(project, store, name, segment, as_of))


def head(kpi: g.Kpi) -> KpiHead:
    return KpiHead(
        name=kpi.name,
        label=kpi.label or kpi.name,
        description=kpi.description,
        objective=kpi.objective,
        owner=kpi.owner,
        priority=kpi.priority,
        timeframe=kpi.timeframe.text if kpi.timeframe else "",
        review_cadence=kpi.review_cadence.value if kpi.review_cadence else review_service.DEFAULT_CADENCE,
        phasing=kpi.phasing if isinstance(kpi.phasing, str) else "milestones",
    )


@dataclass(frozen=True)
class Evaluated:
    """What the KPI page shows of one KPI (and segment) that only its evaluations and the definitions
    give: the same for every user until something is evaluated again or a definition changes.

    ``row``: the latest evaluation of ``segment`` (the segment asked for, else the first);
    ``change``: a change target's growth (none for the other kinds).
    """

    head: KpiHead
    metric: MetricSummary
    rows: list[ScorecardRow]
    row: ScorecardRow | None
    segment: str
    past: list[Evaluation]
    drivers: list[Driver]
    dimensions: list[str]
    change: ChangeShown | None


def evaluated(workspace: Workspace, name: str, segment: str = "", as_of: dt.date | None = None) -> Evaluated:
    """The part of the KPI page its evaluations give (as of ``as_of``: computed again from the data up to it)."""
    project = workspace.project()
    store = workspace.store
    kpi = get_kpi(project, name)
    rows = scorecard.kpi_rows(project, store, as_of, kpi=name)
    row = scorecard.segment_row(project, name, rows, segment)
    segment = (row.segment or "") if row else segment
    return Evaluated(
        head=head(kpi),
        metric=explore.metric_summary(project, project.metrics[kpi.metric or ""]),
        rows=rows,
        row=row,
        segment=segment,
        past=kpi_history.past_periods(store, name, segment, as_of),
        drivers=_drivers(workspace, project, kpi),
        dimensions=explore.dimensions_of(project, kpi.metric or ""),
        change=board.change_shown(project, store, row) if row is not None else None,
    )


def page(
    workspace: Workspace,
    name: str,
    segment: str = "",
    as_of: dt.date | None = None,
    *,
    what_changed: bool = False,
    track_record: bool = True,
    known: Evaluated | None = None,
) -> KpiPage:
    """The KPI page: the latest evaluation of ``segment`` (else the first), drivers, past periods, notes.

    What changed (0.3-2 s of queries) is left out (None) unless ``what_changed``: the web page loads
    it after the page (``GET /kpis/NAME/what-changed``); a print view that has no script asks for it.
    The track record (a backtest: up to seconds the first time after each evaluation) is left out
    unless ``track_record``: the API answers it, the web page does not show it. ``known``: the
    :func:`evaluated` part of this KPI, segment and as-of date, when the caller keeps it.
    """
    project = workspace.project()
    store = workspace.store
    kpi = get_kpi(project, name)
    part = known if known is not None else evaluated(workspace, name, segment, as_of)
    segment = part.segment
    return KpiPage(
        kpi=part.head,
        metric=part.metric,
        row=part.row,
        segments=[r.segment for r in part.rows if r.segment],
        segment=segment,
        past=part.past,
        targets=kpi_history.target_history(store, name),
        drivers=part.drivers,
        dimensions=part.dimensions,
        reviews=feedback.reviews(project, store, name, limit=PAGE_REVIEWS),
        comments=feedback.list_comments(store, "kpi", name),
        annotations=feedback.list_annotations(store, "kpi", name),
        assessments=list(review_service.ASSESSMENTS),
        track_record=_track_record(workspace, project, kpi, segment, as_of) if track_record else None,
        alerts=alert_service.alerts_of_kpi(project, store, name),
        what_changed=_what_changed(workspace, project, kpi, part.row, segment) if what_changed else None,
    )


def _what_changed(
    workspace: Workspace, project: Project, kpi: g.Kpi, row: ScorecardRow | None, segment: str
) -> WhatChanged:
    with workspace.engine() as engine:
        return change_service.explain(project, engine, kpi, row, segment=segment)


def _track_record(
    workspace: Workspace, project: Project, kpi: g.Kpi, segment: str, as_of: dt.date | None
) -> TrackRecord | None:
    if kpi.timeframe is None or kpi.timeframe.every is None:
        return None
    with workspace.engine() as engine:
        return backtest.track_record(project, workspace.store, kpi.name, segment, engine=engine, as_of=as_of)


def _drivers(workspace: Workspace, project: Project, kpi: g.Kpi) -> list[Driver]:
    drivers = []
    with workspace.engine() as engine:
        for name in kpi.drivers:
            metric = project.metrics.get(name)
            if metric is None:
                continue
            points = explore.values_over_time(
                project, workspace.store, engine, name, grain=m.Grain.month, mark_in_progress=False
            )
            values = [p.value for p in points.rows if p.value is not None][-DRIVER_MONTHS:]
            drivers.append(Driver(name=name, label=metric.label or name, values=values, format=metric.format))
    return drivers


def breakdown(
    workspace: Workspace, name: str, by: str, segment: str = "", where: str | None = None, as_of: dt.date | None = None
) -> KpiBreakdown:
    """The KPI's metric over the period it is judged in, up to the as-of date, by one dimension.

    The days are those of the KPI's evaluation (the row of the scorecard and of the KPI page):
    from the period's first day to its last, or to the as-of date while it runs, so that the
    rows add up to the KPI's actual (a KPI of 2025 judged in 2026 reads 2025 only). ``where``
    drills down. Never evaluated: the metric over all its data.
    """
    project = workspace.project()
    kpi = get_kpi(project, name)
    metric = kpi.metric or ""
    evaluated = next(
        (r for r in scorecard.kpi_rows(project, workspace.store, as_of, kpi=name) if (r.segment or "") == segment),
        None,
    )
    start = evaluated.period_start if evaluated else None
    end = min(evaluated.period_end, evaluated.as_of) if evaluated else None
    condition = expr.all_of(kpi.segment, _segment_filter(kpi, segment), where)
    rows = []
    if start is None or end is None or start <= end:  # judged before its first day with data: nothing to show
        with workspace.engine() as engine:
            rows = explore.breakdown(project, engine, metric, by, start=start, end=end, where=condition)
    return KpiBreakdown(
        kpi=name,
        metric=metric,
        by=by,
        segment=segment,
        where=where,
        others=[d for d in explore.dimensions_of(project, metric) if d != by],
        start=start,
        end=end,
        rows=rows,
        format=project.metrics[metric].format,
    )


def _segment_filter(kpi: Any, segment: str) -> str | None:
    if not segment or not kpi.segment_by:
        return None
    return f"{kpi.segment_by} = '" + segment.replace("'", "''") + "'"
