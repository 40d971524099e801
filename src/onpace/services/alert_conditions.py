"""The condition of each kind of alert rule, judged on the stored numbers as of one day.

:func:`check_rule` returns one :class:`Check` per series the rule watches: whether its condition
holds (True/False), None when there is no data to judge it, with the value and the condition in
words. Conditions read what the store holds (KPI evaluations, observations, refresh runs); a
KPI judged as of a past date is evaluated by :func:`onpace.services.evaluate.evaluate_all`
from the stored values cut at that date, so a replay judges what was known then.

The math of the robust z-score is :func:`robust_z` (median and MAD, scaled so that it reads like
a z-score for normal data).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onpace import calendar as cal
from onpace.catalog import models as m
from onpace.catalog.alerts import AlertRule, duration_text
from onpace.catalog.lineage import datasets_read
from onpace.catalog.project import Project
from onpace.kpi.instances import KpiInstance, canonical, kpi_instances
from onpace.kpi.types import STATUS_LABELS
from onpace.store import observations as obs
from onpace.store.models import Observation, RefreshRun, Series

#: how bad a KPI status is, for "at risk (or worse)", "off track" and "worse"
STATUS_RANK = {"on_track": 0, "achieved": 0, "at_risk": 1, "off_track": 2, "missed": 2}
#: a status in a sentence ("is at risk"): its label (kpi.types, the one home of the labels) in lower case
STATUS_WORDS = {status: label.lower() for status, label in STATUS_LABELS.items()}
MIN_HISTORY = 7  # days of history a z-score needs besides the value itself
MAD_SCALE = 0.6745  # MAD of a normal distribution = 0.6745 sigma


@dataclass(frozen=True)
class KpiNumbers:
    """What a condition reads of one KPI instance's evaluation (a stored row or a fresh one)."""

    status: str
    actual: float | None
    attainment: float | None
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    probability: float | None
    expected_to_date: float | None
    period_start: dt.date
    as_of: dt.date


@dataclass
class Context:
    """What one evaluation of the rules shares: the project, the judged day, the KPIs' numbers."""

    project: Project
    day: dt.date  # the data date judged
    now: dt.datetime  # the evaluation's clock
    replay: bool  # as of a past date (only data up to ``day`` is known)
    kpis: Mapping[str, KpiNumbers | str] = field(default_factory=dict)  # instance name -> numbers or error


@dataclass
class Check:
    series: str
    outcome: bool | None
    value: float | None = None
    detail: str = ""
    kpi: str | None = None
    owner: str | None = None
    memo: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    facts: dict[str, str] = field(default_factory=dict)


def rule_instances(project: Project, rule: AlertRule) -> list[KpiInstance]:
    """The KPI instances a rule watches (none for a metric, source or project rule)."""
    if rule.kpi is not None:
        return [
            i
            for i in kpi_instances(project)
            if i.kpi.name == rule.kpi and (rule.segment is None or i.segment_value == rule.segment)
        ]
    if rule.objective is not None:
        objectives = objective_tree(project, rule.objective)
        return [i for i in kpi_instances(project) if i.kpi.objective in objectives]
    return []


def objective_tree(project: Project, name: str) -> set[str]:
    """An objective and every objective under it."""
    found = {name}
    grew = True
    while grew:
        more = {o.name for o in project.objectives.values() if o.parent in found} - found
        found |= more
        grew = bool(more)
    return found


def needs_kpi_numbers(rule: AlertRule) -> bool:
    return rule.kind == "status" or (
        rule.metric is None and (rule.kind == "threshold" or (rule.kind == "anomaly" and rule.method == "forecast"))
    )


def check_rule(s: Session, ctx: Context, rule: AlertRule, memos: Mapping[str, dict[str, Any]]) -> list[Check]:
    """One check per series of ``rule`` (``memos``: what each series remembered from the last time)."""
    if rule.kind == "refresh_error":
        return _refresh_error(s, ctx, rule)
    if rule.kind == "stale":
        return _stale(s, ctx, rule)
    if rule.metric is not None:
        metric = ctx.project.metrics[rule.metric]
        series = rule.metric + (f" [{canonical(rule.filter)}]" if rule.filter else "")
        rows = _rows(s, ctx, rule.metric, rule.series_grain, canonical(rule.filter))
        check = _on_rows(rule, rows, series, rule.series_grain)
        check.owner = metric.owner
        return [check]
    checks = []
    for instance in rule_instances(ctx.project, rule):
        if needs_kpi_numbers(rule):
            check = _on_kpi(rule, instance, ctx.kpis.get(instance.name), memos.get(instance.name, {}))
        else:
            rows = _rows(s, ctx, instance.kpi.metric or "", m.Grain.day, instance.filter)
            check = _on_rows(rule, rows, instance.name, m.Grain.day)
        check.kpi, check.owner = instance.kpi.name, instance.kpi.owner
        checks.append(check)
    return checks


# -- KPI evaluations -----------------------------------------------------------------------------


def _on_kpi(rule: AlertRule, instance: KpiInstance, numbers: KpiNumbers | str | None, memo: dict[str, Any]) -> Check:
    name = instance.name
    if isinstance(numbers, str):
        return Check(name, None, error=numbers, detail=f"{name} could not be evaluated: {numbers}")
    if numbers is None:
        return Check(name, None, detail=f"{name} has no evaluation yet")
    if rule.kind == "status":
        return _status(rule, name, numbers, memo)
    if rule.kind == "threshold":
        value = getattr(numbers, rule.kpi_value)
        return _threshold(rule, name, value, f"{rule.kpi_value.replace('_', ' ')} of {name}", numbers.as_of)
    return _forecast_anomaly(name, numbers, memo)


def _status(rule: AlertRule, name: str, numbers: KpiNumbers, memo: dict[str, Any]) -> Check:
    rank = STATUS_RANK.get(numbers.status)
    words = STATUS_WORDS.get(numbers.status, numbers.status.replace("_", " "))
    facts = {"Status": words, "As of": numbers.as_of.isoformat()}
    if rank is None:
        return Check(name, None, detail=f"{name} has no data ({words})", memo=memo, facts=facts)
    trigger = rule.trigger
    if trigger == "worse":
        baseline = memo.get("baseline")
        baseline = rank if baseline is None else int(baseline)
        holds = rank > baseline
        new_memo = {"baseline": baseline if holds else rank}
        # the first status of that rank, in the labels' order: on track, at risk, off track
        was = next((w for s, w in STATUS_WORDS.items() if STATUS_RANK.get(s) == baseline), str(baseline))
        detail = f"{name} is {words}" + (f", worse than {was}" if holds else "")
        return Check(name, holds, float(rank), detail, memo=new_memo, facts=facts)
    holds = rank >= STATUS_RANK[trigger]
    return Check(name, holds, float(rank), f"{name} is {words} (as of {numbers.as_of})", facts=facts)


def _forecast_anomaly(name: str, numbers: KpiNumbers, memo: dict[str, Any]) -> Check:
    """The forecast of the period-end value left the interval the previous evaluation gave it."""
    new_memo = {
        "period_start": numbers.period_start.isoformat(),
        "low": numbers.forecast_low,
        "high": numbers.forecast_high,
    }
    value = numbers.forecast
    if value is None:
        return Check(name, None, detail=f"{name} has no forecast", memo=new_memo)
    low, high = memo.get("low"), memo.get("high")
    if memo.get("period_start") != numbers.period_start.isoformat() or low is None or high is None:
        return Check(name, False, value, f"forecast of {name} {_num(value)} (no earlier interval)", memo=new_memo)
    holds = not low <= value <= high
    where = "outside" if holds else "within"
    detail = f"forecast of {name} {_num(value)} is {where} the earlier interval {_num(low)}–{_num(high)}"
    facts = {"Forecast": _num(value), "Earlier interval": f"{_num(low)}–{_num(high)}"}
    return Check(name, holds, value, detail, memo=new_memo, facts=facts)


# -- series of values ----------------------------------------------------------------------------


def _rows(s: Session, ctx: Context, metric: str, grain: m.Grain, segment: str) -> list[tuple[dt.date, float]]:
    """The stored values of a series whose periods ended by the judged day, oldest first."""
    rows = obs.read_series(s, metric, grain.value, segment)
    return [(p, v) for p, v in rows if v is not None and cal.period_end(p, grain) <= ctx.day]


def _on_rows(rule: AlertRule, rows: Sequence[tuple[dt.date, float]], series: str, grain: m.Grain) -> Check:
    if not rows:
        return Check(series, None, detail=f"no value of {series} by {grain.value}")
    last_period, last = rows[-1]
    if rule.kind == "threshold":
        return _threshold(rule, series, last, f"{series} on {last_period}", last_period)
    if rule.kind == "change":
        if len(rows) < 2:
            return Check(series, None, detail=f"{series} has a single value: no previous period")
        previous_period, previous = rows[-2]
        if previous == 0:
            return Check(series, None, detail=f"{series} was 0 on {previous_period}: no % change")
        change = (last - previous) / abs(previous)
        holds = change > rule.above if rule.above is not None else change < (rule.below or 0.0)
        bound = rule.above if rule.above is not None else rule.below
        side = "above" if rule.above is not None else "below"
        detail = (
            f"{series} {_num(last)} on {last_period} vs {_num(previous)} on {previous_period}: "
            f"{change:+.1%} ({side} {bound:+.0%})"
            if holds
            else f"{series} {_num(last)} on {last_period} vs {_num(previous)} on {previous_period}: {change:+.1%}"
        )
        facts = {"Value": _num(last), "Previous": _num(previous), "Change": f"{change:+.1%}"}
        return Check(series, holds, change, detail, facts=facts)
    # anomaly: the robust z-score of the last value against the days before it
    history = [v for _, v in rows[-1 - rule.z_window : -1]]
    if len(history) < MIN_HISTORY:
        return Check(series, None, detail=f"{series} has {len(history)} earlier values; a z-score needs {MIN_HISTORY}")
    z = robust_z(last, history)
    holds = abs(z) > rule.z_threshold
    median = statistics.median(history)
    detail = (
        f"{series} {_num(last)} on {last_period}: robust z-score {_z(z)} against the median {_num(median)} "
        f"of the {len(history)} values before (threshold {rule.z_threshold:g})"
    )
    facts = {"Value": _num(last), "Median": _num(median), "z-score": _z(z)}
    return Check(series, holds, z if math.isfinite(z) else None, detail, facts=facts)


def robust_z(value: float, history: Sequence[float]) -> float:
    """How far ``value`` is from the median of ``history``, in MADs scaled to read like a z-score:
    0.6745 (x - median) / MAD. With a MAD of 0 (more than half the values equal): 0 at the median,
    else +/- infinity."""
    median = statistics.median(history)
    mad = statistics.median(abs(v - median) for v in history)
    if mad == 0:
        return 0.0 if value == median else math.copysign(math.inf, value - median)
    return MAD_SCALE * (value - median) / mad


def _threshold(rule: AlertRule, series: str, value: float | None, what: str, on: dt.date) -> Check:
    if value is None:
        return Check(series, None, detail=f"no {what}")
    if rule.above is not None:
        holds, side, bound = value > rule.above, "above", rule.above
    else:
        holds, side, bound = value < (rule.below or 0.0), "below", rule.below or 0.0
    verb = "is" if holds else "is not"
    facts = {"Value": _num(value), side.capitalize(): _num(bound)}
    return Check(series, holds, value, f"{what} {_num(value)} {verb} {side} {_num(bound)}", facts=facts)


# -- data freshness and refresh runs -------------------------------------------------------------


def source_metrics(project: Project, source: str) -> list[str]:
    """The metrics computed from data of ``source``."""
    found = []
    for name in project.metrics:
        datasets = datasets_read(project, name)
        if datasets and any(project.source_of(project.datasets[d]) == source for d in datasets):
            found.append(name)
    return found


def _stale(s: Session, ctx: Context, rule: AlertRule) -> list[Check]:
    project = ctx.project
    groups: list[tuple[str, list[tuple[str, str | None]], str | None, str | None]] = []  # series, (metric, seg)
    if rule.metric is not None:
        groups.append((rule.metric, [(rule.metric, canonical(rule.filter) if rule.filter else None)], None, None))
    elif rule.kpi is not None or rule.objective is not None:
        for instance in rule_instances(project, rule):
            groups.append(
                (instance.name, [(instance.kpi.metric or "", instance.filter)], instance.kpi.name, instance.kpi.owner)
            )
    else:
        sources = [rule.source] if rule.source is not None else list(project.sources)
        for source in sources:
            assert source is not None
            groups.append((source, [(name, None) for name in source_metrics(project, source)], None, None))
    checks = []
    for series, metrics, kpi, owner in groups:
        last = _last_day(s, metrics, ctx.day if ctx.replay else None)
        if last is None:
            checks.append(Check(series, None, detail=f"no data of {series} yet", kpi=kpi, owner=owner))
            continue
        # a day's data is complete at its end: age counted from the end of the last day with data
        age = ctx.now - dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, dt.UTC)
        if ctx.replay:
            age = dt.timedelta(days=(ctx.day - last).days)
        holds = age > rule.stale_after
        days = max(age.days, 0)
        detail = f"last data of {series} on {last} ({days} day{'s' if days != 1 else ''} old; allowed {duration_text(rule.stale_after)})"
        facts = {"Last data": last.isoformat(), "Allowed": duration_text(rule.stale_after)}
        checks.append(Check(series, holds, float(days), detail, kpi=kpi, owner=owner, facts=facts))
    return checks


def _last_day(s: Session, metrics: Sequence[tuple[str, str | None]], until: dt.date | None) -> dt.date | None:
    """The last day with a value in the daily series of ``metrics`` (metric, segment or None: any)."""
    best: dt.date | None = None
    for metric, segment in metrics:
        query = (
            select(func.max(Observation.period_start))
            .join(Series, Series.id == Observation.series_id)
            .where(Series.metric == metric, Series.grain == m.Grain.day.value, Observation.value.is_not(None))
        )
        if segment is not None:
            query = query.where(Series.segment == segment)
        if until is not None:
            query = query.where(Observation.period_start <= until)
        day = s.scalar(query)
        if day is not None and (best is None or day > best):
            best = day
    return best


def _refresh_error(s: Session, ctx: Context, rule: AlertRule) -> list[Check]:
    series = rule.source if rule.source is not None else "project"
    query = select(RefreshRun).where(RefreshRun.status != "running")
    if ctx.replay:
        end = dt.datetime.combine(ctx.day + dt.timedelta(days=1), dt.time.min, dt.UTC)
        query = query.where(RefreshRun.started_at < end)
    run = s.scalars(query.order_by(RefreshRun.started_at.desc(), RefreshRun.id.desc()).limit(1)).first()
    if run is None:
        return [Check(series, False, detail="no refresh yet")]
    errors = dict(run.errors or {})
    if rule.source is not None:
        mine = set(source_metrics(ctx.project, rule.source))
        kpi_metrics = {f"KPI {k.name}": k.metric for k in ctx.project.kpis.values()}
        errors = {
            key: why
            for key, why in errors.items()
            if key == "*" or key.split(" (")[0] in mine or kpi_metrics.get(key.split(" [")[0]) in mine
        }
    failed = run.status in ("failed", "partial", "interrupted") and (bool(errors) or rule.source is None)
    when = f"refresh {run.id} ({run.started_at:%Y-%m-%d %H:%M} UTC)"
    if failed:
        listed = "; ".join(f"{k}: {v}" for k, v in list(errors.items())[:3])
        more = f" and {len(errors) - 3} more" if len(errors) > 3 else ""
        detail = f"{when} {run.status}" + (f": {listed}{more}" if listed else "")
    else:
        detail = f"{when} {run.status}"
    facts = {"Run": str(run.id), "Status": run.status, "Errors": str(len(errors))}
    return [Check(series, failed, float(len(errors)), detail, facts=facts)]


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    if value != 0 and abs(value) < 1:
        return f"{value:.4g}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{value:,.0f}"


def _z(z: float) -> str:
    return f"{z:+.2f}" if math.isfinite(z) else ("+∞" if z > 0 else "-∞")
