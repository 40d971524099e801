"""Evaluate every KPI from the values refresh stored: actual, expected to date, forecast, status.

The numbers come from the store (the KPI's metric by day, and at the
timeframe's grain), never from a live query, so ``onpace status`` and the web
app agree with what the last refresh saw. The math is :mod:`onpace.kpi`.

- As of: ``evaluation.as_of`` (today, or the last day with data of the KPI's series,
  that is of its own segment: :func:`as_of_date`).
- Period: the timeframe's period that holds the as-of date (recurring), or the
  one period named (one-off).
- Actual: flow KPIs sum the daily values from the period start to the as-of
  date; level KPIs take the period's value at the timeframe's grain.
- Targets: the schedule entry in effect at the period start; a ``change``
  target is applied to the baseline period's actual (the whole period): the
  period before, the same period a year earlier, or a fixed period
  (``vs: {period: <date>}``) the same for every period (:func:`kpi_target`,
  which lint calls too).
- Seasonal phasing: the daily values of the same period in up to three earlier
  years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.periods import out_of_range, parse_period, period_end, period_label
from onpace.catalog.project import Project
from onpace.engine import calendar as cal
from onpace.errors import OnpaceError, StoreError, UserError
from onpace.kpi.evaluate import Evaluation, KpiInput, Phasing, evaluate
from onpace.kpi.targets import effective_entry, resolve_target
from onpace.kpi.types import Bands, Baseline, Direction, Status, Target, TargetSpec
from onpace.services.needs import (
    KpiInstance,
    accumulation,
    additive,
    direction,
    is_computed,
    kpi_instances,
    timeframe_grain,
)
from onpace.store import evaluations as ev
from onpace.store import observations as obs
from onpace.store.db import Store

HISTORY_DAYS = 730
SEASONAL_YEARS = 3


@dataclass(frozen=True)
class KpiTarget:
    """The target one period of a KPI instance is judged against (:func:`kpi_target`)."""

    spec: TargetSpec | None  # the schedule entry in effect at the period start; None without one
    target: Target | None  # None without an entry, or when a change target has no baseline
    basis: str | None = None  # a change target in words: "+15% vs 2024-Q4"
    unavailable: str | None = None  # why a change target has no number: "no baseline: ..."


@dataclass(frozen=True)
class KpiResult:
    instance: KpiInstance
    evaluation: Evaluation
    target: KpiTarget | None = None


def evaluate_all(
    project: Project, store: Store, today: dt.date | None = None, errors: dict[str, str] | None = None
) -> list[KpiResult]:
    """Evaluate every KPI instance of the project from the store's values.

    A KPI that cannot be evaluated (a definition the math refuses, a stored value it cannot
    use) is left out and its error put in ``errors`` (KPI name -> message) when given, else
    raised; the others are evaluated. With ``errors``, even an unexpected error of one KPI
    (such as a stored date the calendar cannot place) only leaves that KPI out; a store that
    fails still stops them all.
    """
    results = []
    with store.session(readonly=True) as s:
        for instance in kpi_instances(project):
            try:
                data = KpiData(s, project, instance)
                evaluation, target = _evaluate(project, instance, data, today or dt.date.today())
                results.append(KpiResult(instance, evaluation, target))
            except Exception as exc:
                if errors is None or isinstance(exc, (StoreError, SQLAlchemyError)):
                    raise
                name = instance.kpi.name + (f" [{instance.segment_value}]" if instance.segment_value else "")
                errors[f"KPI {name}"] = str(exc) if isinstance(exc, OnpaceError) else f"{type(exc).__name__}: {exc}"
    return results


def evaluate_and_store(
    project: Project,
    store: Store,
    *,
    run_id: int | None = None,
    today: dt.date | None = None,
    errors: dict[str, str] | None = None,
) -> int:
    """Evaluate every KPI and record the evaluations (one transaction); return how many.

    With ``errors``, a KPI that cannot be evaluated is reported there and the others are stored.
    """
    results = evaluate_all(project, store, today, errors)
    with store.session() as s:
        for result in results:
            e = result.evaluation
            ev.add_evaluation(
                s,
                kpi=result.instance.kpi.name,
                segment=result.instance.key,
                run_id=run_id,
                as_of=e.as_of,
                period_start=e.period_start,
                period_end=e.period_end,
                target=e.target,
                target_low=e.target_low,
                target_high=e.target_high,
                actual=e.actual,
                expected_to_date=e.expected_to_date,
                attainment=e.attainment,
                forecast=e.forecast,
                forecast_low=e.forecast_low,
                forecast_high=e.forecast_high,
                probability=e.probability,
                status=e.status.value,
                details=details(e, result.target),
            )
    return len(results)


def details(e: Evaluation, target: KpiTarget | None = None) -> dict[str, Any]:
    return {
        # a change target in words, and why it has no number (shown by the scorecard, the API and the web app)
        "target_basis": target.basis if target is not None else None,
        "target_unavailable": target.unavailable if target is not None else None,
        "target_kind": e.target_kind,
        "expected_low": e.expected_low,
        "expected_high": e.expected_high,
        "share": e.share,
        "elapsed_days": e.elapsed_days,
        "total_days": e.total_days,
        "forecast_method": e.forecast_method,
        "phasing": e.phasing_used,
        "notes": list(e.notes),
    }


class KpiData:
    """The stored values one KPI instance reads: by day, and at the timeframe's grain."""

    def __init__(self, s: Any, project: Project, instance: KpiInstance) -> None:
        kpi = instance.kpi
        metric = project.metrics[kpi.metric or ""]
        self.grain = timeframe_grain(project, kpi)
        if is_computed(project, metric.name):
            self.daily = _as_map(obs.read_series(s, metric.name, m.Grain.day.value, instance.filter))
            self.periodic = _as_map(obs.read_series(s, metric.name, self.grain.value, instance.filter))
            self.manual: m.ManualMetric | None = None
        else:
            assert isinstance(metric, m.ManualMetric)
            self.manual = metric
            values = _as_map(obs.read_series(s, metric.name, metric.grain.value, instance.filter))
            for period in values:
                problem = out_of_range(period)
                if problem is not None:  # written by an older version, which did not check
                    raise UserError(
                        f"metric '{metric.name}' has a value stored for a period onpace cannot use: {problem}"
                    )
            self.daily = _spread(values, metric)
            self.periodic = _roll_up(values, metric, self.grain, project.calendar)
        days = sorted(d for d, v in self.daily.items() if v is not None)
        self.first_day: dt.date | None = days[0] if days else None
        self.last_day: dt.date | None = days[-1] if days else None

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """Whether the data spans the whole of [start, end] (a baseline or a past period for the shape)."""
        return (
            self.first_day is not None
            and self.last_day is not None
            and self.first_day <= start
            and end <= self.last_day
        )


def _as_map(rows: list[tuple[dt.date, float | None]]) -> dict[dt.date, float | None]:
    return dict(rows)


def _spread(values: Mapping[dt.date, float | None], metric: m.ManualMetric) -> dict[dt.date, float | None]:
    """Manual values by day: a period's sum spread evenly over its days; a last or average value on each."""
    if metric.grain == m.Grain.day:
        return dict(values)
    out: dict[dt.date, float | None] = {}
    for start, value in values.items():
        end = cal.period_end(start, metric.grain)
        days = (end - start).days + 1
        for i in range(days):
            out[start + dt.timedelta(days=i)] = (
                None if value is None else (value / days if metric.over_time == "sum" else value)
            )
    return out


def _roll_up(
    values: Mapping[dt.date, float | None], metric: m.ManualMetric, grain: m.Grain, calendar: m.Calendar
) -> dict[dt.date, float | None]:
    """Manual values by the timeframe's period: summed, last, or averaged (their ``over_time``)."""
    buckets: dict[dt.date, list[tuple[dt.date, float]]] = {}
    for day, value in sorted(values.items()):
        if value is not None:
            buckets.setdefault(cal.period_start(day, grain, calendar), []).append((day, value))
    out: dict[dt.date, float | None] = {}
    for start, items in buckets.items():
        numbers = [v for _, v in items]
        if metric.over_time == "sum":
            out[start] = sum(numbers)
        elif metric.over_time == "last":
            out[start] = numbers[-1]
        else:
            out[start] = sum(numbers) / len(numbers)
    return out


def period_of(project: Project, kpi: g.Kpi, as_of: dt.date) -> tuple[dt.date, dt.date, m.Grain]:
    """The KPI's period that holds ``as_of`` (recurring), or its one period."""
    assert kpi.timeframe is not None
    if kpi.timeframe.period is not None:
        start, grain = parse_period(kpi.timeframe.period, project.calendar)
        return start, period_end(start, grain), grain
    assert kpi.timeframe.every is not None
    grain = m.Grain(kpi.timeframe.every)
    start = cal.period_start(as_of, grain, project.calendar)
    return start, cal.period_end(start, grain), grain


def as_of_date(project: Project, last_day: dt.date | None, today: dt.date) -> dt.date:
    """The date a KPI is evaluated at: ``today``, or with ``latest_data`` the last day with data of its series.

    ``last_day`` is :attr:`KpiData.last_day`: the series of the KPI's own segment, which refresh
    stores over the segment's days with data only (a day the time spine fills with 0 because
    another segment has rows is not one), so each segment is judged as of its own last day.
    Without data, ``today``.
    """
    if project.config.evaluation.as_of == "latest_data" and last_day is not None:
        return last_day
    return today


def _sum(daily: Mapping[dt.date, float | None], start: dt.date, end: dt.date) -> float | None:
    values = [v for d, v in daily.items() if start <= d <= end and v is not None]
    return sum(values) if values else None


def _actual(flow: bool, sums: bool, data: KpiData, start: dt.date, end: dt.date, as_of: dt.date) -> float | None:
    """Flows that add up by day sum the days to date; the others (count distinct, levels) take the period's value."""
    if flow and sums:
        return _sum(data.daily, start, min(end, as_of))
    return data.periodic.get(start)


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
    sums: bool, data: KpiData, spec: TargetSpec, start: dt.date, grain: m.Grain, calendar: m.Calendar
) -> tuple[float | None, str | None]:
    """The value of a change target's baseline period, or None and why there is none.

    The value of the whole baseline period: the sum of its days for a metric that adds up
    by day, else the period's own value at the timeframe's grain (count distinct, ratios,
    levels). A baseline period the data covers only in part gives none (its value would
    make the target too low or too high), and so does a fixed one that is not over before
    the period judged starts.
    """
    assert spec.kind == "change" and spec.vs is not None
    b_start = baseline_start(spec.vs, start, grain, calendar)
    b_end = cal.period_end(b_start, grain)
    if isinstance(spec.vs, dt.date):
        label = period_label(b_start, grain, calendar)
        if b_start >= start:
            judged = period_label(start, grain, calendar)
            return None, f"no baseline: the baseline period {label} is not over before the period judged ({judged})"
        whole = f"the whole of {label}"
    else:
        whole = f"the whole {spec.vs.replace('_', ' ')}"
    if not data.covers(b_start, b_end):
        return None, f"no baseline: the data does not cover {whole}"
    value = _sum(data.daily, b_start, b_end) if sums else data.periodic.get(b_start)
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
        return f"{change} vs {period_label(baseline_start(spec.vs, start, grain, calendar), grain, calendar)}"
    return f"{change} vs {spec.vs.replace('_', ' ')}"


def target_spec(target: g.Target) -> TargetSpec:
    if target.at_least is not None:
        return TargetSpec("at_least", value=target.at_least)
    if target.at_most is not None:
        return TargetSpec("at_most", value=target.at_most)
    if target.between is not None:
        return TargetSpec("between", low=target.between[0], high=target.between[1])
    assert target.change is not None and target.vs is not None
    vs = target.vs.period if isinstance(target.vs, g.BaselinePeriod) else target.vs
    return TargetSpec.relative(target.change, vs)


def kpi_target(project: Project, instance: KpiInstance, data: KpiData, start: dt.date, grain: m.Grain) -> KpiTarget:
    """The target of the KPI instance's period starting on ``start``: the one home of that rule.

    The schedule entry in effect at ``start``; for a ``change`` target, its
    :func:`baseline` from ``data`` (None, with the reason, when there is none).
    Evaluate and lint both call it, so a KPI has one target wherever it is judged.
    """
    entries = [(t.effective_from, t) for t in instance.targets]
    chosen = effective_entry(entries, start) if entries else None
    if chosen is None:
        return KpiTarget(None, None)
    spec = target_spec(chosen)
    want: Direction = "higher" if direction(project, instance.kpi) == m.Direction.higher else "lower"
    if spec.kind != "change":
        return KpiTarget(spec, resolve_target(spec, want, None))
    sums = additive(project, instance.kpi.metric or "")
    value, why = baseline(sums, data, spec, start, grain, project.calendar)
    return KpiTarget(spec, resolve_target(spec, want, value), target_basis(spec, start, grain, project.calendar), why)


def phasing_of(
    kpi: g.Kpi, data: KpiData, start: dt.date, end: dt.date, grain: m.Grain, calendar: m.Calendar
) -> Phasing:
    if kpi.phasing == "seasonal":
        past = []
        for years in range(1, SEASONAL_YEARS + 1):
            p_start = cal.period_start(cal.shift_date(start, -years, "year"), grain, calendar)
            p_end = cal.period_end(p_start, grain)
            if not data.covers(p_start, p_end):
                continue  # a period the data covers only in part would distort the shape
            days = [p_start + dt.timedelta(days=i) for i in range((p_end - p_start).days + 1)]
            past.append(tuple(float(data.daily.get(d) or 0.0) for d in days))
        return Phasing("seasonal", past=tuple(past))
    if isinstance(kpi.phasing, g.MilestonePhasing):
        total = (end - start).days + 1
        points: dict[dt.date, float] = {}
        for milestone in kpi.phasing.milestones:
            if milestone.date is not None:
                when = milestone.date
            else:
                assert milestone.elapsed is not None
                # a fraction of the period, never its last day (whose share is 1 by definition)
                offset = min(max(1, round(milestone.elapsed * total)) - 1, total - 2)
                when = start + dt.timedelta(days=max(offset, 0))
            points[when] = max(points.get(when, 0.0), milestone.share)  # two that land on one day: one point
        return Phasing("milestones", milestones=tuple(sorted(points.items())))
    return Phasing("linear")


def _history(daily: Mapping[dt.date, float | None], until: dt.date, flow: bool) -> tuple[float, ...]:
    """Consecutive daily values up to ``until`` (at most two years): flows count a missing day as 0."""
    known = [d for d, v in daily.items() if v is not None and d <= until]
    if not known:
        return ()
    first = max(min(known), until - dt.timedelta(days=HISTORY_DAYS - 1))
    values = []
    for i in range((until - first).days + 1):
        value = daily.get(first + dt.timedelta(days=i))
        if value is None:
            if not flow:
                continue  # a day without a value (no denominator) says nothing about a rate
            value = 0.0
        values.append(float(value))
    return tuple(values)


def _evaluate(project: Project, instance: KpiInstance, data: KpiData, today: dt.date) -> tuple[Evaluation, KpiTarget]:
    kpi = instance.kpi
    flow = accumulation(project, kpi) == "flow"
    sums = additive(project, kpi.metric or "")
    wall = as_of_date(project, data.last_day, today)
    start, end, grain = period_of(project, kpi, wall)
    last = data.last_day
    # judge what the data covers: with data up to yesterday, today's share of the target is not due yet
    as_of = wall if last is None else min(wall, last)
    notes: list[str] = []
    if last is not None and last < wall and last >= start:
        notes.append(f"data ends on {last}: judged as of then")
    bands_def = kpi.status_bands or project.config.evaluation.status_bands
    want: Direction = "higher" if direction(project, kpi) == m.Direction.higher else "lower"
    resolved = kpi_target(project, instance, data, start, grain)
    target = resolved.target
    if resolved.unavailable is not None:
        notes.append(resolved.unavailable)
    history = _history(data.daily, min(as_of, last), flow) if last is not None else ()
    actual = _actual(flow, sums, data, start, end, as_of)
    if flow and not sums and actual is not None and history:
        # count distinct: days overlap (a customer buys on two days); scale the daily counts by the
        # overlap seen so far this period so that the forecast adds up to distinct values
        to_date = _sum(data.daily, start, min(end, as_of))
        if to_date:
            history = tuple(v * actual / to_date for v in history)
    result = evaluate(
        KpiInput(
            accumulation="flow" if flow else "level",
            direction=want,
            period_start=start,
            period_end=end,
            as_of=as_of,
            actual=actual,
            history=history,
            target=target,
            phasing=phasing_of(kpi, data, start, end, grain, project.calendar),
            bands=Bands(on_track=bands_def.on_track, at_risk=bands_def.at_risk),
        )
    )
    return (replace(result, notes=(*result.notes, *notes)) if notes else result), resolved


STATUS_ORDER = [s.value for s in Status]
