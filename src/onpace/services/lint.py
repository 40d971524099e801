"""Governance: the KPI-quality rules of the product, checked against the definitions and the stored values.

Each rule returns :class:`Finding` objects; ``onpace lint`` lists them all.
The rules (PRODUCT.md, "The domain, as rules the product enforces"):

- ``too_many_kpis_per_objective`` / ``too_many_kpis``: measuring everything is measuring nothing;
- ``same_priority``: an objective whose KPIs all share one priority treats them as equal;
- ``objective_without_owner``, ``objective_without_kpis``, ``metric_without_owner``;
- ``target_already_met``: the last full period already met the current target (not challenging);
- ``target_beyond_history``: the target needs a value (a pace) no period in the history reached;
- ``stale_data``: a KPI's or metric's last data is older than its cadence allows;
- ``review_overdue``: no review within the KPI's review cadence (reviews are recorded with ``onpace review``);
- ``suggest_demotion``: a KPI met period after period while its objective is not on track;
- ``suggest_driver``: a metric whose changes lead the KPI's (lagged correlation).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from typing import Any

from onpace import calendar as cal
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.display import compact_value, format_value
from onpace.catalog.lineage import dependencies
from onpace.catalog.project import Project
from onpace.errors import UserError
from onpace.kpi.instances import KpiInstance, kpi_instances, timeframe_grain
from onpace.kpi.judge import judged_period
from onpace.kpi.resolve import KpiTarget, kpi_target
from onpace.kpi.status import meets
from onpace.kpi.types import Target
from onpace.services import scorecard
from onpace.services.evaluate import read_kpi_series
from onpace.services.findings import Finding
from onpace.services.reviews import overdue as review_overdue
from onpace.store import observations as obs
from onpace.store import reviews
from onpace.store.db import Store

#: Each rule in words, for the pages that group findings by rule.
RULE_TITLES = {
    "too_many_kpis": "Too many KPIs",
    "too_many_kpis_per_objective": "Too many KPIs for one objective",
    "same_priority": "KPIs of one objective with the same priority",
    "objective_without_owner": "Objectives nobody owns",
    "objective_without_kpis": "Objectives no KPI measures",
    "metric_without_owner": "Metrics nobody owns",
    "target_already_met": "Targets already met the period before",
    "target_beyond_history": "Targets no period has reached",
    "stale_data": "Data older than its cadence allows",
    "review_overdue": "Reviews due",
    "suggest_demotion": "KPIs that may be demoted",
    "suggest_driver": "Metrics that may drive a KPI",
}
#: Days of silence a cadence allows before data counts as stale.
CADENCE_DAYS = {"daily": 2, "weekly": 8, "monthly": 32, "quarterly": 93, "yearly": 366}
HISTORY_PERIODS = 12
MAX_LAG = 3
MIN_POINTS = 12


def lint(project: Project, store: Store | None, today: dt.date | None = None) -> list[Finding]:
    """Every finding of every rule; rules that need stored values are skipped without a store."""
    today = today or dt.date.today()
    findings = _counts(project) + _owners(project)
    if store is not None:
        with store.session(readonly=True) as s:
            findings += _with_values(project, s, store, today)
            reviewed = {kpi for kpi, _ in reviews.last_reviewed(s)}
        findings += _reviews_due(project, review_overdue(project, store, today), reviewed, today)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.rule, f.kind, f.name))


def ended(project: Project, kpi: g.Kpi, today: dt.date) -> tuple[str, dt.date] | None:
    """The name and last day of a KPI's one period when it is over by ``today`` (None: a recurring
    KPI, or one whose period runs)."""
    if kpi.timeframe is None or kpi.timeframe.period is None:
        return None
    start, grain = cal.parse_period(kpi.timeframe.period, project.calendar)
    end = cal.period_end(start, grain)
    return (cal.period_label(start, grain, project.calendar), end) if end < today else None


def _reviews_due(project: Project, due: list[Finding], reviewed: set[str], today: dt.date) -> list[Finding]:
    """The reviews due, but a KPI whose one period is over is not reviewed at a cadence any more: it
    needs one closing review (an info while it has none), and nothing once it has one."""
    out = []
    for finding in due:
        kpi = project.kpis.get(finding.name.split(" ")[0])
        over = ended(project, kpi, today) if kpi is not None else None
        if over is None:
            out.append(finding)
        elif kpi is not None and kpi.name not in reviewed:
            label, end = over
            out.append(
                Finding(
                    finding.rule,
                    "info",
                    finding.kind,
                    finding.name,
                    f"its period {label} ended on {end} and it was never reviewed: record what was learnt",
                    finding.suggestion,
                )
            )
    return out


def _counts(project: Project) -> list[Finding]:
    gov = project.config.governance
    out: list[Finding] = []
    if len(project.kpis) > gov.max_kpis:
        out.append(
            Finding(
                "too_many_kpis",
                "warning",
                "project",
                project.config.name,
                f"{len(project.kpis)} KPIs, more than {gov.max_kpis}: measuring everything is measuring nothing",
                "keep the KPIs that decide the objectives; track the rest as metrics (onpace demote)",
            )
        )
    by_objective: dict[str, list[Any]] = {name: [] for name in project.objectives}
    for kpi in project.kpis.values():
        if kpi.objective in by_objective:
            by_objective[kpi.objective].append(kpi)
    for name, kpis in by_objective.items():
        if len(kpis) > gov.max_kpis_per_objective:
            out.append(
                Finding(
                    "too_many_kpis_per_objective",
                    "warning",
                    "objective",
                    name,
                    f"{len(kpis)} KPIs, more than {gov.max_kpis_per_objective}",
                    "choose the few that show whether the objective is reached; keep the others as driver metrics",
                )
            )
        if len(kpis) >= 2 and len({k.priority for k in kpis}) == 1:
            out.append(
                Finding(
                    "same_priority",
                    "info",
                    "objective",
                    name,
                    f"its {len(kpis)} KPIs all have priority {kpis[0].priority}: they are treated as equal",
                    "give the KPI that matters most priority 1",
                )
            )
        if not kpis:
            out.append(Finding("objective_without_kpis", "warning", "objective", name, "no KPI measures it"))
    return out


def _owners(project: Project) -> list[Finding]:
    out = []
    for objective in project.objectives.values():
        if not objective.owner:
            out.append(Finding("objective_without_owner", "warning", "objective", objective.name, "nobody owns it"))
    for metric in project.metrics.values():
        if not metric.owner:
            out.append(
                Finding(
                    "metric_without_owner",
                    "info",
                    "metric",
                    metric.name,
                    "nobody owns this metric",
                    "set 'owner' (typically the head of its department)",
                )
            )
    return out


def _with_values(project: Project, s: Any, store: Store, today: dt.date) -> list[Finding]:
    out: list[Finding] = []
    rows = scorecard.kpi_rows(project, store)
    roots = scorecard.tree(project, rows)
    objective_status = {node.objective.name: node.status for node in scorecard.walk(roots)}
    monthly = _MonthlySeries(s)
    for instance in kpi_instances(project):
        out += _kpi_rules(project, s, instance, today, objective_status)
        out += _drivers(project, monthly, instance, instance.name)
    out += _stale_metrics(project, s, today)
    return out


def _period_values(project: Project, s: Any, instance: KpiInstance) -> dict[dt.date, float]:
    """The KPI's metric per period of its timeframe's grain (whole periods), from the store."""
    kpi = instance.kpi
    grain = timeframe_grain(project, kpi)
    rows = obs.read_series(s, kpi.metric or "", grain.value, instance.filter)
    return {d: v for d, v in rows if v is not None}


def _kpi_rules(
    project: Project, s: Any, instance: KpiInstance, today: dt.date, objective_status: Mapping[str, str]
) -> list[Finding]:
    kpi = instance.kpi
    out: list[Finding] = []
    name = instance.name
    metric = project.metrics[kpi.metric or ""]
    if isinstance(metric, m.ManualMetric):  # entered by hand: its own grain; a value covers its period
        entered = obs.get_series(s, metric.name, metric.grain.value, instance.filter)
        until = entered.data_until if entered is not None else None
        last_day = cal.period_end(until, metric.grain) if until is not None else None
    else:
        daily = obs.get_series(s, kpi.metric or "", m.Grain.day.value, instance.filter)
        last_day = daily.data_until if daily is not None else None
    cadence = kpi.review_cadence.value if kpi.review_cadence else "monthly"
    if last_day is not None and (today - last_day).days > CADENCE_DAYS[cadence]:
        out.append(
            Finding(
                "stale_data",
                "warning",
                "kpi",
                name,
                f"data until {last_day}, {_days(today - last_day)} ago; it is reviewed {cadence}",
                "check the source's loads, or run 'onpace refresh'",
            )
        )
    values = _period_values(project, s, instance)
    if not values or not instance.targets:
        return out
    judged = _judged(project, s, instance, today)
    if judged is None:
        return out  # a stored value onpace cannot use: the evaluation reports it
    start, grain, resolved = judged
    target, spec = resolved.target, resolved.spec
    if target is None or spec is None:
        return out
    fmt = metric.format
    previous = cal.shift_period(start, -1, grain)
    if previous in values and meets(values[previous], target) and spec.kind != "between":
        out.append(
            Finding(
                "target_already_met",
                "warning",
                "kpi",
                name,
                f"the period before ({previous}) already reached {_target_text(target, fmt)} with "
                f"{compact_value(values[previous], fmt)}",
                "raise the target: a target already met is not a challenge",
            )
        )
    past = [v for d, v in values.items() if d < start]
    if past and target.kind != "between" and target.value is not None:
        best = max(past) if target.kind == "at_least" else min(past)
        beyond = target.value > best if target.kind == "at_least" else target.value < best
        if beyond and not math.isclose(target.value, best):
            out.append(
                Finding(
                    "target_beyond_history",
                    "warning",
                    "kpi",
                    name,
                    f"{_target_text(target, fmt, best)} needs a pace no period in the history showed "
                    f"(best: {_number(best, fmt, target.value)})",
                    "check that the target is realistic, or note what will change",
                )
            )
    out += _demotion(project, instance, values, target, start, grain, objective_status)
    return out


def _judged(
    project: Project, s: Any, instance: KpiInstance, today: dt.date
) -> tuple[dt.date, m.Grain, KpiTarget] | None:
    """The period and target the status judges the instance by: the same functions as the evaluation.

    None when a stored value cannot be used (the evaluation reports it).
    """
    try:
        series = read_kpi_series(s, project, instance)
    except UserError:
        return None
    period = judged_period(project, instance.kpi, series, today)
    return period.start, period.grain, kpi_target(project, instance, series, period.start, period.grain)


def judged_targets(project: Project, store: Store, today: dt.date | None = None) -> dict[tuple[str, str], KpiTarget]:
    """The target lint judges each KPI instance by, keyed by (KPI, segment): the status's own target."""
    today = today or dt.date.today()
    out: dict[tuple[str, str], KpiTarget] = {}
    with store.session(readonly=True) as s:
        for instance in kpi_instances(project):
            judged = _judged(project, s, instance, today)
            if judged is not None:
                out[(instance.kpi.name, instance.key)] = judged[2]
    return out


def _number(value: float | None, fmt: m.Format | None, other: float | None = None) -> str:
    """A number as people read it in the metric's format, short ("9.3M EUR"), or in full when its
    short form reads the same as that of ``other``, the number it is compared with."""
    short = compact_value(value, fmt)
    if other is not None and value != other and short == compact_value(other, fmt):
        return format_value(value, fmt)
    return short


def _target_text(target: Target, fmt: m.Format | None = None, other: float | None = None) -> str:
    """A target in words, in the metric's format ("at least 9.3M EUR"); see :func:`_number`."""
    if target.kind == "between":
        return f"between {_number(target.low, fmt)} and {_number(target.high, fmt)}"
    return f"{target.kind.replace('_', ' ')} {_number(target.value, fmt, other)}"


def _demotion(
    project: Project,
    instance: KpiInstance,
    values: Mapping[dt.date, float],
    target: Target,
    start: dt.date,
    grain: m.Grain,
    objective_status: Mapping[str, str],
) -> list[Finding]:
    needed = project.config.governance.met_periods_for_demotion
    streak = 0
    period = cal.shift_period(start, -1, grain)
    while period in values and meets(values[period], target):
        streak += 1
        period = cal.shift_period(period, -1, grain)
    status = objective_status.get(instance.kpi.objective or "", "no_data")
    if streak >= needed and status in ("at_risk", "off_track"):
        return [
            Finding(
                "suggest_demotion",
                "info",
                "kpi",
                instance.name,
                f"met its target {streak} periods in a row while objective '{_objective(project, instance)}' is "
                f"{status.replace('_', ' ')}: hitting it does not move the objective",
                f"onpace demote {instance.kpi.name} --reason '...'",
            )
        ]
    return []


def _objective(project: Project, instance: KpiInstance) -> str:
    found = project.objectives.get(instance.kpi.objective or "")
    return (found.label if found is not None and found.label else instance.kpi.objective) or ""


def _changes(series: Mapping[dt.date, float]) -> dict[dt.date, float]:
    days = sorted(series)
    out = {}
    for before, after in itertools.pairwise(days):
        if series[before]:
            out[after] = series[after] / series[before] - 1
    return out


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < MIN_POINTS:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


class _MonthlySeries:
    """Each metric's monthly values (whole metric), read from the store once per lint."""

    def __init__(self, s: Any) -> None:
        self._s = s
        self._read: dict[str, dict[dt.date, float]] = {}

    def __call__(self, metric: str) -> dict[dt.date, float]:
        if metric not in self._read:
            rows = obs.read_series(self._s, metric, m.Grain.month.value, "")
            self._read[metric] = {d: v for d, v in rows if v is not None}
        return self._read[metric]


def _related(project: Project, metric: str) -> set[str]:
    """The metrics ``metric`` is computed from and those computed from it, at any depth: its own parts
    (a ratio's numerator and denominator, a formula's inputs) and its other forms, never its drivers."""
    uses = {name: set(dependencies(x)) for name, x in project.metrics.items()}
    found: set[str] = set()
    todo = [metric]
    while todo:  # down: what it is made of
        for part in uses.get(todo.pop(), set()):
            if part not in found:
                found.add(part)
                todo.append(part)
    todo = [metric]
    up: set[str] = set()
    while todo:  # up: what is made of it
        name = todo.pop()
        for other, parts in uses.items():
            if name in parts and other not in up:
                up.add(other)
                todo.append(other)
    return (found | up) - {metric}


def _lagged(changes: Mapping[dt.date, float], kpi_changes: Mapping[dt.date, float], lag: int) -> float | None:
    """The correlation of a metric's monthly changes with the KPI metric's ``lag`` months later."""
    pairs = [
        (changes[d], kpi_changes[lead])
        for d in changes
        if (lead := cal.shift_period(d, lag, m.Grain.month)) in kpi_changes
    ]
    return _correlation([a for a, _ in pairs], [b for _, b in pairs])


def _drivers(project: Project, monthly: _MonthlySeries, instance: KpiInstance, name: str) -> list[Finding]:
    """Metrics whose month-over-month changes lead the KPI metric's by 1 to 3 months.

    A metric leads when its changes correlate with the KPI metric's changes some months later
    (at least ``driver_min_correlation``, either way) better than with its changes of the same
    month: a metric that moves with the KPI (a part of it, the same number counted elsewhere)
    shows the KPI's own rhythm at every lag and leads nothing. The metric's own parts and the
    metrics made from it are never suggested.
    """
    kpi = instance.kpi
    if instance.segment_value is not None or instance.filter:
        return []
    target_series = monthly(kpi.metric or "")
    if len(target_series) < MIN_POINTS + MAX_LAG:
        return []
    kpi_changes = _changes(target_series)
    kpi_metrics = {k.metric for k in project.kpis.values()}
    related = _related(project, kpi.metric or "")
    kpi_label = _label(project, kpi.metric or "")
    out = []
    for other in project.metrics:
        if other == kpi.metric or other in kpi.drivers or other in related:
            continue
        series = monthly(other)
        if len(series) < MIN_POINTS + MAX_LAG:
            continue
        changes = _changes(series)
        best: tuple[float, int] | None = None
        for lag in range(1, MAX_LAG + 1):
            r = _lagged(changes, kpi_changes, lag)
            if r is not None and (best is None or abs(r) > abs(best[0])):
                best = (r, lag)
        if best is None or abs(best[0]) < project.config.governance.driver_min_correlation:
            continue
        same_month = _lagged(changes, kpi_changes, 0)
        if same_month is not None and abs(same_month) >= abs(best[0]):
            continue  # it moves with the KPI rather than ahead of it
        r, lag = best
        months = "1 month" if lag == 1 else f"{lag} months"
        rise = "rises" if r > 0 else "falls"
        promote = "" if other in kpi_metrics else "; or promote it to a KPI"
        out.append(
            Finding(
                "suggest_driver",
                "info",
                "kpi",
                name,
                f"metric '{other}' leads it by {months}, {'same' if r > 0 else 'opposite'} direction, r={r:+.2f}: "
                f"when {_label(project, other)} rises, {kpi_label} {rise} {months} later",
                f"add '{other}' to its drivers{promote}",
            )
        )
    return out


def _label(project: Project, metric: str) -> str:
    found = project.metrics.get(metric)
    return (found.label if found is not None and found.label else metric).lower()


def _days(delta: dt.timedelta) -> str:
    return "1 day" if delta.days == 1 else f"{delta.days} days"


def _stale_metrics(project: Project, s: Any, today: dt.date) -> list[Finding]:
    out = []
    for name, metric in project.metrics.items():
        if metric.cadence is None:
            continue
        series = [x for x in obs.list_series(s, name) if x.segment == "" and x.data_until is not None]
        # a period's start is not its last day: a monthly series with data until the 1st covers the month
        ends = [min(today, cal.period_end(x.data_until, m.Grain(x.grain))) for x in series if x.data_until]
        last = max(ends, default=None)
        if last is not None and (today - last).days > CADENCE_DAYS[metric.cadence.value]:
            out.append(
                Finding(
                    "stale_data",
                    "warning",
                    "metric",
                    name,
                    f"data until {last}, {_days(today - last)} ago; it is tracked {metric.cadence.value}",
                )
            )
    return out
