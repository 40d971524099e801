"""A KPI's past: every period that is over, judged as of its last day with the data up to it.

A recurring KPI (``timeframe: quarter``) has one past period per quarter its data covers
whole, from the first to the one before the current period (the current one too once it is
over); a KPI with one period (``timeframe: 2025-Q3``) has that period once it is over.
A period the data covers only in part (it starts before the first day with data) is left
out: its actual would be too small. Each is judged by :func:`onpace.kpi.judge.evaluate_period`
as of its own last day, so its status is achieved or missed, from its final actual against
the target in effect then (a change target against its own baseline period).
"""

from __future__ import annotations

import datetime as dt

from onpace import calendar as cal
from onpace.catalog import goals as g
from onpace.catalog.project import Project
from onpace.kpi.evaluate import Evaluation
from onpace.kpi.instances import KpiInstance
from onpace.kpi.judge import JudgedPeriod, evaluate_period, judged_period, period_of
from onpace.kpi.resolve import KpiTarget
from onpace.kpi.series import KpiSeries
from onpace.kpi.types import Status

ENDED = (Status.achieved, Status.missed)


def ended_periods(project: Project, kpi: g.Kpi, series: KpiSeries, today: dt.date) -> list[JudgedPeriod]:
    """The KPI's periods that are over as of ``today`` (the as-of date of its current evaluation) and
    that its data covers whole, oldest first, each judged as of its last day."""
    first, until = series.first_day, series.data_until
    if first is None or until is None:
        return []
    current = judged_period(project, kpi, series, today)
    assert kpi.timeframe is not None
    if kpi.timeframe.period is not None:
        start, end, grain = period_of(project, kpi, current.wall)
        spans = [(start, end)]
    else:
        grain = current.grain
        spans = [(start, cal.period_end(start, grain)) for start in cal.periods(first, until, grain, project.calendar)]
    return [
        JudgedPeriod(start, end, grain, end, end)
        for start, end in spans
        if end <= current.as_of and series.covers(start, end)
    ]


def past_results(
    project: Project, instance: KpiInstance, series: KpiSeries, today: dt.date
) -> list[tuple[Evaluation, KpiTarget]]:
    """Every ended period of the KPI instance (:func:`ended_periods`) judged, oldest first; a period with
    no target (a change target without a baseline) is left out: it was neither achieved nor missed."""
    out = []
    for period in ended_periods(project, instance.kpi, series, today):
        evaluation, target = evaluate_period(project, instance, series, period)
        if evaluation.status in ENDED:
            out.append((evaluation, target))
    return out
