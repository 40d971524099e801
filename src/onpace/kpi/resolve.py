"""The target one period of a KPI instance is judged against: the one home of that rule.

:func:`kpi_target` picks the entry of the KPI's target schedule in effect at
the period start and, for a ``change`` target, the value of its baseline
period from the KPI's values. The evaluation (status), lint, the KPI page and
the scorecard all get their target from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from onpace import calendar as cal
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.kpi.instances import KpiInstance, additive, direction
from onpace.kpi.series import KpiSeries, sum_days
from onpace.kpi.targets import effective_entry, resolve_target
from onpace.kpi.types import Baseline, Target, TargetSpec


@dataclass(frozen=True)
class KpiTarget:
    """The target one period of a KPI instance is judged against (:func:`kpi_target`)."""

    spec: TargetSpec | None  # the schedule entry in effect at the period start; None without one
    target: Target | None  # None without an entry, or when a change target has no baseline
    basis: str | None = None  # a change target in words: "+15% vs 2024-Q4"
    unavailable: str | None = None  # why a change target has no number: "no baseline: ..."


def target_spec(target: g.Target) -> TargetSpec:
    """A target of the definitions as the KPI math takes it."""
    if target.at_least is not None:
        return TargetSpec("at_least", value=target.at_least)
    if target.at_most is not None:
        return TargetSpec("at_most", value=target.at_most)
    if target.between is not None:
        return TargetSpec("between", low=target.between[0], high=target.between[1])
    assert target.change is not None and target.vs is not None
    vs = target.vs.period if isinstance(target.vs, g.BaselinePeriod) else target.vs
    return TargetSpec.relative(target.change, vs)


def baseline_start(vs: Baseline | dt.date, start: dt.date, grain: m.Grain, calendar: m.Calendar) -> dt.date:
    """First day of the baseline period of a change target, for the period of ``grain`` starting on ``start``.

    ``previous_period``: the period before; ``same_period_last_year``: the period a year
    earlier; a date (``vs: {period: 2024-10-01}``): the period of ``grain`` that holds it,
    the same whatever the period judged (2024-Q4 for a quarterly KPI).
    """
    if vs == "previous_period":
        return cal.shift_period(start, -1, grain)
    if vs == "same_period_last_year":
        return cal.period_start(cal.shift_date(start, -1, "year"), grain, calendar)
    assert isinstance(vs, dt.date)
    return cal.period_start(vs, grain, calendar)


def baseline(
    sums: bool, series: KpiSeries, spec: TargetSpec, start: dt.date, grain: m.Grain, calendar: m.Calendar
) -> tuple[float | None, str | None]:
    """The value of a change target's baseline period, or None and why there is none.

    The value of the whole baseline period: the sum of its days for a metric that adds up
    by day (``sums``), else the period's own value at the timeframe's grain (count distinct,
    ratios, levels). A baseline period the data covers only in part gives none (its value
    would make the target too low or too high), and so does a fixed one that is not over
    before the period judged starts.
    """
    assert spec.kind == "change" and spec.vs is not None
    b_start = baseline_start(spec.vs, start, grain, calendar)
    b_end = cal.period_end(b_start, grain)
    if isinstance(spec.vs, dt.date):
        label = cal.period_label(b_start, grain, calendar)
        if b_start >= start:
            judged = cal.period_label(start, grain, calendar)
            return None, f"no baseline: the baseline period {label} is not over before the period judged ({judged})"
        whole = f"the whole of {label}"
    else:
        whole = f"the whole {spec.vs.replace('_', ' ')}"
    if not series.covers(b_start, b_end):
        return None, f"no baseline: the data does not cover {whole}"
    value = sum_days(series.daily, b_start, b_end) if sums else series.periodic.get(b_start)
    if value is None:
        return None, f"no baseline: the metric has no value for {whole}"
    return value, None


def target_basis(spec: TargetSpec, start: dt.date, grain: m.Grain, calendar: m.Calendar) -> str | None:
    """A change target in words ("+20% vs same period last year", "+15% vs 2024-Q4"); None for the other kinds."""
    if spec.kind != "change":
        return None
    assert spec.change is not None and spec.vs is not None
    change = f"{spec.change * 100:+.6g}%"
    if isinstance(spec.vs, dt.date):
        return f"{change} vs {cal.period_label(baseline_start(spec.vs, start, grain, calendar), grain, calendar)}"
    return f"{change} vs {spec.vs.replace('_', ' ')}"


def kpi_target(project: Project, instance: KpiInstance, series: KpiSeries, start: dt.date, grain: m.Grain) -> KpiTarget:
    """The target of the KPI instance's period of ``grain`` starting on ``start``.

    The schedule entry in effect at ``start``; for a ``change`` target, its
    :func:`baseline` from ``series`` (None, with the reason, when there is none).
    """
    entries = [(t.effective_from, t) for t in instance.targets]
    chosen = effective_entry(entries, start) if entries else None
    if chosen is None:
        return KpiTarget(None, None)
    spec = target_spec(chosen)
    want = direction(project, instance.kpi)
    if spec.kind != "change":
        return KpiTarget(spec, resolve_target(spec, want, None))
    sums = additive(project, instance.kpi.metric or "")
    value, why = baseline(sums, series, spec, start, grain, project.calendar)
    return KpiTarget(spec, resolve_target(spec, want, value), target_basis(spec, start, grain, project.calendar), why)
