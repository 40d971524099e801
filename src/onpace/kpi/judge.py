"""One KPI instance judged from its values: the period, the as-of date, the actual, the history, the verdict.

:func:`evaluate_instance` puts the rules together: the period that holds the
as-of date (:func:`judged_period`), the target of that period
(:func:`onpace.kpi.resolve.kpi_target`), its phasing
(:func:`onpace.kpi.phasing.phasing_of`), the actual to date (:func:`actual`)
and the history for the forecast (:func:`history`), then
:func:`onpace.kpi.evaluate.evaluate`. ``docs/kpi-evaluation.md`` ("Where the
numbers come from") states each rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from onpace import calendar as cal
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.kpi.evaluate import NOT_STARTED, Evaluation, KpiInput, evaluate
from onpace.kpi.forecast import STEP_SAMPLE, step_of
from onpace.kpi.instances import KpiInstance, accumulation, additive, direction
from onpace.kpi.kind import Bounds, Kind, bounds_of, kind_of
from onpace.kpi.phasing import phasing_of
from onpace.kpi.reason import reason
from onpace.kpi.resolve import KpiTarget, kpi_target
from onpace.kpi.series import DayIndex, KpiSeries
from onpace.kpi.types import Bands, Direction

#: The forecast reads at most this many days of history.
HISTORY_DAYS = 730


def period_of(project: Project, kpi: g.Kpi, as_of: dt.date) -> tuple[dt.date, dt.date, m.Grain]:
    """The KPI's period that holds ``as_of`` (recurring), or its one period: (start, end, grain)."""
    assert kpi.timeframe is not None
    if kpi.timeframe.period is not None:
        start, grain = cal.parse_period(kpi.timeframe.period, project.calendar)
        return start, cal.period_end(start, grain), grain
    assert kpi.timeframe.every is not None
    grain = m.Grain(kpi.timeframe.every)
    start = cal.period_start(as_of, grain, project.calendar)
    return start, cal.period_end(start, grain), grain


def as_of_date(project: Project, last_day: dt.date | None, today: dt.date) -> dt.date:
    """The date a KPI is evaluated at: ``today``, or with ``latest_data`` the last day with data of its series.

    ``last_day`` is :attr:`KpiSeries.data_until`: the series of the KPI's own segment, which refresh
    stores over the segment's days with data only (a day the time spine fills with 0 because
    another segment has rows is not one), so each segment is judged as of its own last day.
    Without data, ``today``.
    """
    if project.config.evaluation.as_of == "latest_data" and last_day is not None:
        return last_day
    return today


@dataclass(frozen=True)
class JudgedPeriod:
    """The period a KPI instance is judged in, and the day it is judged as of.

    ``wall`` is :func:`as_of_date` (it picks the period); ``as_of`` the last day the data
    covers within it, when the data ends before ``wall``.
    """

    start: dt.date
    end: dt.date
    grain: m.Grain
    wall: dt.date
    as_of: dt.date


def judged_period(project: Project, kpi: g.Kpi, series: KpiSeries, today: dt.date) -> JudgedPeriod:
    """The period that holds the KPI's as-of date, judged as of the last day its data covers.

    With data up to yesterday, today's share of the target is not due yet: the KPI is judged
    as of yesterday. Without data, as of :func:`as_of_date`.
    """
    last = series.data_until
    wall = as_of_date(project, last, today)
    start, end, grain = period_of(project, kpi, wall)
    return JudgedPeriod(start, end, grain, wall, wall if last is None else min(wall, last))


def actual(flow: bool, sums: bool, series: KpiSeries, start: dt.date, end: dt.date, as_of: dt.date) -> float | None:
    """The period-to-date value: flows that add up by day (``sums``) sum the days from ``start`` to ``as_of``;
    the others (count distinct, levels) take the period's value at the timeframe's grain."""
    if flow and sums:
        return series.sum_days(start, min(end, as_of))
    return series.periodic.get(start)


def daily_history(daily: Mapping[dt.date, float | None], until: dt.date, flow: bool) -> tuple[float, ...]:
    """Consecutive daily values up to ``until`` (at most :data:`HISTORY_DAYS`): flows count a missing day as 0,
    levels skip it (a day without a value, such as no denominator, says nothing about a rate).

    For a plain mapping; a series answers from its own index (:attr:`onpace.kpi.series.KpiSeries.index`).
    """
    return DayIndex.of(daily).history(until, flow, HISTORY_DAYS)


def history(
    flow: bool, sums: bool, series: KpiSeries, start: dt.date, end: dt.date, as_of: dt.date, to_date: float | None
) -> tuple[float, ...]:
    """The daily history the forecast reads, up to ``as_of`` (and the last day with data).

    For a flow that does not add up by day (count distinct: a customer buys on two days),
    the daily counts are scaled by the overlap seen so far this period, ``to_date`` (the
    :func:`actual`) over the sum of the days to date, so that the forecast adds up to
    distinct values.
    """
    last = series.data_until
    if last is None:
        return ()
    values = series.index.history(min(as_of, last), flow, HISTORY_DAYS)
    if flow and not sums and to_date is not None and values:
        days_sum = series.sum_days(start, min(end, as_of))
        if days_sum:
            values = tuple(v * to_date / days_sum for v in values)
    return values


def evaluate_instance(
    project: Project, instance: KpiInstance, series: KpiSeries, today: dt.date
) -> tuple[Evaluation, KpiTarget]:
    """Evaluate one KPI instance from its values as of ``today``; with the target it was judged against."""
    return evaluate_period(project, instance, series, judged_period(project, instance.kpi, series, today))


@dataclass(frozen=True)
class Rules:
    """What the definitions say for judging any period of one KPI instance (:func:`rules_of`).

    :func:`judge_period` reads the definitions through these alone, and through
    :func:`onpace.kpi.resolve.kpi_target`, which reads the instance's targets, its direction,
    whether its metric adds up by day and the calendar: all of them here. So two equal Rules
    judge equal values alike, which lets :mod:`onpace.kpi.history` keep a past period judged
    once while neither changes.
    """

    instance: KpiInstance
    flow: bool  # accumulation: a flow, else a level
    sums: bool  # a period's value is the sum of its days'
    kind: Kind
    direction: Direction
    bounds: Bounds
    bands: m.StatusBands
    calendar: m.Calendar
    fmt: m.Format | None  # the metric's format, for the reason


def rules_of(project: Project, instance: KpiInstance) -> Rules:
    """The :class:`Rules` of a KPI instance in ``project``."""
    kpi = instance.kpi
    return Rules(
        instance=instance,
        flow=accumulation(project, kpi) == "flow",
        sums=additive(project, kpi.metric or ""),
        kind=kind_of(project, kpi),
        direction=direction(project, kpi),
        bounds=bounds_of(project, kpi),
        bands=kpi.status_bands or project.config.evaluation.status_bands,
        calendar=project.calendar,
        fmt=project.metrics[kpi.metric].format if kpi.metric in project.metrics else None,
    )


def evaluate_period(
    project: Project, instance: KpiInstance, series: KpiSeries, period: JudgedPeriod
) -> tuple[Evaluation, KpiTarget]:
    """Evaluate one KPI instance in ``period`` (as of ``period.as_of``), with the target it was judged
    against; the verdict's reason (:func:`onpace.kpi.reason.reason`) in the metric's format."""
    return judge_period(project, rules_of(project, instance), series, period)


def judge_period(
    project: Project, rules: Rules, series: KpiSeries, period: JudgedPeriod
) -> tuple[Evaluation, KpiTarget]:
    """:func:`evaluate_period` with the instance's :class:`Rules` known (``project`` only gives
    :func:`onpace.kpi.resolve.kpi_target` what they hold): a KPI's past periods share them."""
    flow, sums, kind = rules.flow, rules.sums, rules.kind
    start, end, grain, as_of = period.start, period.end, period.grain, period.as_of
    last = series.data_until
    notes: list[str] = []
    if last is not None and last < period.wall and last >= start:
        notes.append(f"data ends on {last}: judged as of then")
    resolved = kpi_target(project, rules.instance, series, start, grain)
    if resolved.unavailable is not None:
        notes.append(resolved.unavailable)
    value = actual(flow, sums, series, start, end, as_of)
    result = evaluate(
        KpiInput(
            accumulation="flow" if flow else "level",
            direction=rules.direction,
            period_start=start,
            period_end=end,
            as_of=as_of,
            actual=value,
            # a count distinct's own forecast reads the daily counts as they are (onpace.kpi.forecast)
            history=history(flow, sums or kind == "count_distinct", series, start, end, as_of, value),
            target=resolved.target,
            phasing=phasing_of(rules.instance.kpi, series, start, end, grain, rules.calendar),
            bands=Bands(on_track=rules.bands.on_track, at_risk=rules.bands.at_risk),
            kind=kind,
            bounds=rules.bounds,
            step_days=1 if flow else step_of(series.index.last_days(as_of, STEP_SAMPLE)),
        )
    )
    started = period.wall >= start  # a segment whose data stopped before its period: that period runs
    if started and as_of < start:  # it said "the period has not started" of a month under way
        kept = tuple(n for n in result.notes if not n.startswith(NOT_STARTED))
        result = replace(result, notes=(*kept, f"no data in the period yet: the data ends on {as_of}"))
    result = replace(result, notes=(*result.notes, *notes)) if notes else result
    return replace(result, reason=reason(result, rules.fmt, resolved.unavailable, started=started)), resolved
