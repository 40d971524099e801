"""The metric page: values at a grain over a range, a breakdown, the definition and its SQL, comments."""

from __future__ import annotations

import datetime as dt

import yaml

from onpace.catalog import models as m
from onpace.errors import OnpaceError
from onpace.services import explore, feedback
from onpace.services.views.metrics import BreakdownRow, MetricPage
from onpace.services.workspace import Workspace


def metric_page(
    workspace: Workspace,
    name: str,
    *,
    grain: m.Grain | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    by: str | None = None,
    with_sql: bool = False,
) -> MetricPage:
    """The page of metric ``name``; ``with_sql`` adds the generated SQL (or the reason there is none)."""
    project = workspace.project()
    metric = explore.get_metric(project, name)
    chosen = grain or explore.grain_of(metric)
    rows: list[BreakdownRow] = []
    sql = None
    with workspace.engine() as engine:
        points = explore.values_over_time(project, workspace.store, engine, name, grain=chosen, start=start, end=end)
        if by:
            rows = explore.breakdown(project, engine, name, by, start=start, end=end)
        if with_sql:
            try:
                sql = explore.generated_sql(project, engine, name, grain=chosen, by=by, start=start, end=end).sql
            except OnpaceError as exc:
                sql = f"-- {exc}"
    definition = yaml.safe_dump(
        metric.model_dump(mode="json", exclude_defaults=True, exclude_none=True), sort_keys=False, allow_unicode=True
    )
    return MetricPage(
        summary=explore.metric_summary(project, metric),
        grain=chosen.value,
        grains=[g.value for g in explore.grains_of(metric)],
        start=start,
        end=end,
        by=by,
        points=points,
        breakdown=rows,
        dimensions=explore.dimensions_of(project, name),
        definition=definition,
        sql=sql,
        objectives=sorted(project.objectives),
        comments=feedback.list_comments(workspace.store, "metric", name),
    )
