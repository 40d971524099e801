"""Looking at metrics: the catalog, a metric's values over time, and its breakdown by a dimension.

Values over time come from the store when refresh keeps that series (what
the scorecard saw), else from a live engine query; breakdowns are always live
queries. Both go through the engine, which parses filters with its own
expression language: nothing here writes SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from onpace import calendar as cal
from onpace.catalog import models as m
from onpace.catalog.lineage import grouping_datasets
from onpace.catalog.project import MetricDef, Project
from onpace.engine import Engine, Query, partial_periods
from onpace.engine.joins import JoinGraph
from onpace.errors import NotFoundError, OnpaceError, QueryError, UserError, did_you_mean, did_you_mean_suffix
from onpace.kpi.instances import is_computed
from onpace.services.filters import CatalogFilter
from onpace.services.views.metrics import (
    Breakdown,
    BreakdownRow,
    CatalogPage,
    GeneratedSql,
    MetricDetail,
    MetricSummary,
    SeriesValues,
    ValuePoint,
)
from onpace.store import observations as obs
from onpace.store.db import Store

MAX_BREAKDOWN_ROWS = 500


def get_metric(project: Project, name: str) -> MetricDef:
    metric = project.metrics.get(name)
    if metric is None:
        raise NotFoundError(f"no metric named '{name}'" + did_you_mean_suffix(name, project.metrics))
    return metric


def grain_of(metric: MetricDef) -> m.Grain:
    """The grain a metric is shown at when none is asked: its ``default_grain``, else a manual
    metric's own grain (the one its values are entered by), else month (what refresh stores)."""
    if isinstance(metric, m.ManualMetric):  # a default its entries do not fit in would be refused
        wanted = metric.default_grain
        return wanted if wanted is not None and cal.within(metric.grain, wanted) else metric.grain
    return metric.default_grain or m.Grain.month


def grains_of(metric: MetricDef) -> list[m.Grain]:
    """The grains a metric can be shown at: every grain, but a manual metric's own grain and those
    its periods fit in only (:func:`_manual_values` refuses the others)."""
    if isinstance(metric, m.ManualMetric):
        return [g for g in m.Grain if cal.within(metric.grain, g)]
    return list(m.Grain)


def kpis_of(project: Project, metric: str) -> list[str]:
    return sorted(k.name for k in project.kpis.values() if k.metric == metric)


def metric_summary(project: Project, metric: MetricDef) -> MetricSummary:
    return MetricSummary(
        name=metric.name,
        label=metric.label or metric.name,
        description=metric.description,
        type=metric.type,
        unit=metric.unit,
        format=metric.format,
        direction=metric.direction.value,
        owner=metric.owner,
        department=metric.department,
        cadence=metric.cadence.value if metric.cadence else None,
        default_grain=grain_of(metric).value,
        tags=list(metric.tags),
        kpis=kpis_of(project, metric.name),
        file=metric._file,
    )


def metric_detail(project: Project, name: str) -> MetricDetail:
    """One metric: its summary, its definition as written, and the dimensions it can be broken down by."""
    metric = get_metric(project, name)
    return MetricDetail(
        **dict(metric_summary(project, metric)),
        definition=metric.model_dump(mode="json", exclude_defaults=True, exclude_none=True),
        dimensions=dimensions_of(project, name),
    )


def catalog(project: Project, filters: CatalogFilter | None = None) -> list[MetricSummary]:
    """The metrics that match every filter given, by label; ``q`` searches names, labels, descriptions and tags."""
    chosen = filters or CatalogFilter()
    by_label = sorted(project.metrics.values(), key=lambda x: ((x.label or x.name).casefold(), x.name))
    summaries = (metric_summary(project, metric) for metric in by_label)
    return [row for row in summaries if chosen.matches(row)]


def catalog_page(project: Project, filters: CatalogFilter) -> CatalogPage:
    """The catalog page: the metrics that match, and every value each filter can take."""
    everything = catalog(project)
    return CatalogPage(
        rows=[row for row in everything if filters.matches(row)],
        departments=sorted({r.department for r in everything if r.department}),
        owners=sorted({r.owner for r in everything if r.owner}),
        types=sorted({r.type for r in everything}),
        tags=sorted({t for r in everything for t in r.tags}),
    )


def dimensions_of(project: Project, metric: str) -> list[str]:
    """The categorical dimensions every dataset of the metric reaches (what it can be broken down by)."""
    if not is_computed(project, metric):
        return []
    datasets = grouping_datasets(project, metric)
    graph = JoinGraph(project)
    names = []
    for _, dim in project.dimensions():
        if dim.type != "categorical" or dim.name in names:
            continue
        try:
            for ds in datasets:
                graph.resolve(ds, dim.name)
        except QueryError:
            continue
        names.append(dim.name)
    return sorted(names)


def values_over_time(
    project: Project,
    store: Store,
    engine: Engine,
    metric: str,
    *,
    grain: m.Grain,
    start: dt.date | None = None,
    end: dt.date | None = None,
    where: str | None = None,
    mark_in_progress: bool = True,
) -> SeriesValues:
    """The metric by period: the stored series when there is one (and no filter), else a live query.

    A range that cuts a period (a start or an end inside it) is a live query: the store holds
    whole periods, and a cut period is valued from its days inside the range (docs/definitions.md,
    "Ranges and partial periods"). ``partial`` lists the periods the range cuts, and a last
    stored period the data stops inside (a month in progress; that asks the source for its last
    day with data, skipped with ``mark_in_progress=False``).
    """
    get_metric(project, metric)
    _check_range(start, end)
    computed = is_computed(project, metric)
    if not where and not (computed and _cuts_a_period(project, grain, start, end)):
        with store.session(readonly=True) as s:
            series = obs.get_series(s, metric, grain.value, "")
            if series is not None and series.data_until is not None:
                rows = obs.read_series(s, metric, grain.value, "", start, end)
                partial: list[dt.date] = []
                if rows and computed and mark_in_progress:
                    partial = _in_progress(engine, metric, grain, rows[-1][0], end)
                points = [ValuePoint(period=p, value=v) for p, v in rows]
                return SeriesValues(
                    metric=metric, grain=grain.value, source="store", rows=points, partial_periods=partial
                )
    if not computed:
        if where:
            raise UserError(f"metric '{metric}' is entered by hand: it has no dimensions to filter by")
        return _manual_values(project, store, metric, grain, start, end)
    end = data_end(engine, metric, end)
    if start is not None and end is not None and start > end:  # the range begins after the data's last day
        return SeriesValues(metric=metric, grain=grain.value, source="engine", rows=[], partial_periods=[])
    table = engine.query(Query(metrics=[metric], grain=grain, start=start, end=end, where=where or None))
    periods = table.column("period").to_pylist()
    values = table.column(metric).to_pylist()
    return SeriesValues(
        metric=metric,
        grain=grain.value,
        source="engine",
        rows=[
            ValuePoint(period=p, value=None if v is None else float(v)) for p, v in zip(periods, values, strict=True)
        ],
        partial_periods=partial_periods(table),
    )


def _manual_values(
    project: Project, store: Store, name: str, grain: m.Grain, start: dt.date | None, end: dt.date | None
) -> SeriesValues:
    """A manual metric at a grain its values are not entered by: rolled up from its own grain as KPIs
    roll it up (its ``over_time``: summed, last or averaged; :func:`onpace.kpi.series.roll_up`). A
    period the range cuts, or whose last periods are not entered yet, is listed as partial.

    Only the entries of the range count (those whose period starts within it, as by the metric's
    own grain): a period the range cuts is valued from them. A grain whose periods its own do not
    fit in (days of a quarterly value, months of weekly ones) is refused: the values would have to
    be made up.
    """
    from onpace.kpi.series import roll_up

    metric = project.metrics[name]
    assert isinstance(metric, m.ManualMetric)
    own = metric.grain
    if not cal.within(own, grain):
        longer = [g.value for g in grains_of(metric) if g != own]
        raise QueryError(
            f"metric '{name}' is entered by {own.value}: ask for it by {own.value}"
            + (f" or a grain its periods fit in ({', '.join(longer)})" if longer else "")
        )
    calendar = project.calendar
    with store.session(readonly=True) as s:  # the entries of the range only, as by its own grain
        stored = obs.read_series(s, name, own.value, "", start, end)
    rolled = roll_up(dict(stored), metric, grain, calendar)
    for period, _ in stored:  # a period whose entries are all empty is shown empty, as by its own grain
        rolled.setdefault(cal.period_start(period, grain, calendar), None)
    periods = sorted(rolled)
    cut = [
        p for p in periods if (start is not None and p < start) or (end is not None and cal.period_end(p, grain) > end)
    ]
    entered = [period for period, value in stored if value is not None]
    if periods and entered and cal.period_end(max(entered), own) < cal.period_end(periods[-1], grain):
        cut = sorted({*cut, periods[-1]})  # in progress: its last periods are not entered yet
    return SeriesValues(
        metric=name,
        grain=grain.value,
        source="store",
        rows=[ValuePoint(period=p, value=rolled[p]) for p in periods],
        partial_periods=cut,
    )


def _cuts_a_period(project: Project, grain: m.Grain, start: dt.date | None, end: dt.date | None) -> bool:
    """Whether ``start`` or ``end`` falls inside a period of ``grain`` rather than on its edge."""
    calendar = project.calendar
    if start is not None and cal.period_start(start, grain, calendar) != start:
        return True
    return end is not None and cal.period_end(cal.period_start(end, grain, calendar), grain) != end


def data_end(
    engine: Engine, metric: str | Sequence[str], end: dt.date | None, *, start: dt.date | None = None
) -> dt.date | None:
    """``end``, or the last day with data of the metrics when ``end`` is after it: the periods after the
    data have not happened, and a live query would show them as 0 where the store shows none. With
    ``start``: ``end`` as asked when the range starts after that day (a range cannot end before it)."""
    if end is None:
        return None
    lasts = []
    try:
        for name in [metric] if isinstance(metric, str) else metric:
            lasts.append(engine.data_days(name)[1])
    except OnpaceError:  # the source cannot be read now: the query says so itself
        return end
    if not lasts or any(last is None for last in lasts):
        return end  # a metric without data: its periods are 0, as the engine answers
    last = max(d for d in lasts if d is not None)
    return last if last < end and (start is None or start <= last) else end


def _sql_end(
    project: Project, engine: Engine, metric: str, start: dt.date | None, end: dt.date | None
) -> dt.date | None:
    """The end the metric's values are queried with (:func:`data_end`), for the SQL shown beside them."""
    return data_end(engine, metric, end, start=start) if is_computed(project, metric) else end


def _in_progress(engine: Engine, metric: str, grain: m.Grain, last: dt.date, end: dt.date | None) -> list[dt.date]:
    """[the last stored period] when the range ends with it or after it (else the query is live) and
    the data stops inside that period."""
    try:
        _, last_day = engine.data_days(metric)
    except OnpaceError:  # the source cannot be read now: the stored values are still shown
        return []
    if last_day is not None and last <= last_day < cal.period_end(last, grain):
        return [last]
    return []


def breakdown(
    project: Project,
    engine: Engine,
    metric: str,
    dimension: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    where: str | None = None,
) -> list[BreakdownRow]:
    """The metric over [start, end] by each value of ``dimension``, largest first (live query)."""
    get_metric(project, metric)
    _check_range(start, end)
    if not is_computed(project, metric):
        raise UserError(f"metric '{metric}' is entered by hand: it has no dimensions to break it down by")
    allowed = dimensions_of(project, metric)
    if dimension not in allowed:
        suggestion = did_you_mean(dimension, allowed)
        raise QueryError(
            f"metric '{metric}' cannot be broken down by '{dimension}' (it can by: {', '.join(allowed) or 'nothing'})",
            suggestion=suggestion,
        )
    table = engine.query(Query(metrics=[metric], dimensions=[dimension], start=start, end=end, where=where or None))
    keys = table.column(dimension).to_pylist()
    values = table.column(metric).to_pylist()
    pairs = [
        (None if k is None else str(k), None if v is None else float(v)) for k, v in zip(keys, values, strict=True)
    ]
    pairs.sort(key=lambda p: (p[1] is None, -(p[1] or 0.0)))
    return [BreakdownRow(value_of=k, value=v) for k, v in pairs[:MAX_BREAKDOWN_ROWS]]


def _check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and start > end:
        raise UserError(f"start {start} is after end {end}")


def metric_values(
    project: Project,
    store: Store,
    engine: Engine,
    metric: str,
    *,
    grain: m.Grain | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    by: str | None = None,
    where: str | None = None,
) -> SeriesValues | Breakdown:
    """The metric by period at ``grain`` (its default grain, else month), or by the values of ``by``."""
    chosen = get_metric(project, metric)
    if by:
        rows = breakdown(project, engine, metric, by, start=start, end=end, where=where)
        return Breakdown(metric=metric, by=by, start=start, end=end, rows=rows)
    grain = grain or grain_of(chosen)
    return values_over_time(project, store, engine, metric, grain=grain, start=start, end=end, where=where)


def generated_sql(
    project: Project,
    engine: Engine,
    metric: str,
    *,
    grain: m.Grain | None = None,
    by: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> GeneratedSql:
    """The SQL the engine runs for the metric (by ``by``, at ``grain``: its default grain, else month)."""
    chosen = get_metric(project, metric)
    request = Query(
        metrics=[metric],
        dimensions=[by] if by else [],
        grain=grain or grain_of(chosen),
        start=start,
        end=_sql_end(project, engine, metric, start, end),
    )
    return GeneratedSql(sql=engine.sql(request))
