"""Checks of objectives and KPIs: what a KPI must have, and the references it makes.

Rule 2 of the product: a KPI is a metric tied to an objective, with a target,
a timeframe, an owner and a review cadence. A definition that lacks them is
reported once, with everything it lacks and the advice to keep it as a metric.
"""

from __future__ import annotations

from collections.abc import Iterable

from onpace.calendar import parse_period, period_end
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.expr import ExpressionError, names, parse_condition
from onpace.catalog.loaded import Project
from onpace.errors import Issue, did_you_mean

REQUIRED = ("metric", "objective", "target", "timeframe", "owner", "review_cadence")


def unknown(
    project: Project,
    obj: m.Model,
    what: str,
    name: str,
    candidates: Iterable[str],
    *path: str | int,
    expected: str,
    where: str = "",
) -> Issue:
    """An issue for a reference to something that does not exist, with the closest name."""
    return project.issue(
        obj, f"unknown {what} '{name}'{where}", *path, expected=expected, suggestion=did_you_mean(name, candidates)
    )


def check_goals(project: Project) -> list[Issue]:
    issues: list[Issue] = []
    for objective in project.objectives.values():
        issues += _check_objective(project, objective)
    issues += _check_objective_cycles(project)
    for kpi in project.kpis.values():
        issues += _check_kpi(project, kpi)
    return issues


def _check_objective(project: Project, objective: g.Objective) -> list[Issue]:
    issues = _check_timeframe(project, objective, objective.timeframe)
    if objective.parent is not None and objective.parent not in project.objectives:
        issues.append(
            unknown(
                project,
                objective,
                "parent objective",
                objective.parent,
                project.objectives,
                "parent",
                expected="the name of an objective",
            )
        )
    return issues


def _check_objective_cycles(project: Project) -> list[Issue]:
    issues = []
    reported: set[frozenset[str]] = set()
    for start in project.objectives:
        chain = [start]
        current = project.objectives[start].parent
        while current is not None and current in project.objectives:
            if current in chain:
                cycle = [*chain[chain.index(current) :], current]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    issues.append(
                        project.issue(
                            project.objectives[current],
                            "cycle between objectives: " + " -> ".join(cycle),
                            "parent",
                            expected="objectives that do not contain themselves",
                        )
                    )
                break
            chain.append(current)
            current = project.objectives[current].parent
    return issues


def _check_timeframe(project: Project, obj: m.Model, timeframe: g.Timeframe | None) -> list[Issue]:
    if timeframe is None or timeframe.period is None:
        return []
    try:
        parse_period(timeframe.period, project.calendar)
    except ValueError as exc:
        message, _, expected = str(exc).partition("; expected ")
        return [project.issue(obj, message, "timeframe", "period", expected=expected)]
    return []


def _check_kpi(project: Project, kpi: g.Kpi) -> list[Issue]:
    missing = [key for key in REQUIRED if _missing(kpi, key)]
    issues: list[Issue] = []
    if missing:
        issues.append(
            project.issue(
                kpi,
                f"KPI '{kpi.name}' has no {_join(missing)}; a KPI needs a metric, an objective, a target, "
                "a timeframe, an owner and a review cadence. Without them it is not a KPI: "
                "it can stay a metric (tracked, without a target) under 'metrics:'",
                "name",
                expected="keys " + ", ".join(REQUIRED),
            )
        )
    metric = project.metrics.get(kpi.metric) if kpi.metric else None
    if kpi.metric is not None and metric is None:
        issues.append(
            unknown(
                project,
                kpi,
                "metric",
                kpi.metric,
                project.metrics,
                "metric",
                expected="the name of a metric defined in the project",
                where=f" in KPI '{kpi.name}'",
            )
        )
    if kpi.objective is not None and kpi.objective not in project.objectives:
        issues.append(
            unknown(
                project,
                kpi,
                "objective",
                kpi.objective,
                project.objectives,
                "objective",
                expected="the name of an objective defined under 'objectives:'",
                where=f" in KPI '{kpi.name}'",
            )
        )
    for i, driver in enumerate(kpi.drivers):
        if driver not in project.metrics:
            issues.append(
                unknown(project, kpi, "driver metric", driver, project.metrics, "drivers", i, expected="a metric name")
            )
    issues += _check_timeframe(project, kpi, kpi.timeframe)
    issues += _check_segment(project, kpi)
    issues += _check_targets(project, kpi, metric)
    issues += _check_phasing(project, kpi)
    return issues


def _missing(kpi: g.Kpi, key: str) -> bool:
    if key == "target":
        return not kpi.all_targets
    return getattr(kpi, key) is None or getattr(kpi, key) == ""


def _join(words: list[str]) -> str:
    words = [w.replace("_", " ") for w in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _dimension_names(project: Project) -> list[str]:
    return [dim.name for _, dim in project.dimensions()]


def _check_segment(project: Project, kpi: g.Kpi) -> list[Issue]:
    issues: list[Issue] = []
    dims = _dimension_names(project)
    if kpi.segment is not None:
        try:
            tree = parse_condition(kpi.segment)
        except ExpressionError as exc:
            reason, _, expected = exc.reason.partition("; expected ")
            where = f" at column {exc.column}" if exc.column else ""
            return [
                project.issue(
                    kpi,
                    f"{reason}{where} in {kpi.segment!r}",
                    "segment",
                    expected=expected or "a filter on dimensions, e.g. region = 'EUROPE'",
                    suggestion=exc.suggestion,
                )
            ]
        for ref in names(tree):
            if ref.text not in dims:
                issues.append(
                    project.issue(
                        kpi,
                        f"unknown dimension '{ref.text}' in segment {kpi.segment!r}",
                        "segment",
                        expected="a dimension name",
                        suggestion=did_you_mean(ref.text, dims),
                    )
                )
    if kpi.segment_by is not None and kpi.segment_by not in dims:
        issues.append(
            unknown(project, kpi, "dimension", kpi.segment_by, dims, "segment_by", expected="a dimension name")
        )
    return issues


def _check_targets(project: Project, kpi: g.Kpi, metric: object) -> list[Issue]:
    issues: list[Issue] = []
    field = "target" if kpi.target is not None else "targets"
    targets = kpi.all_targets
    direction = kpi.direction or (metric.direction if isinstance(metric, m.MetricBase) else None)
    for i, target in enumerate(targets):
        where: tuple[str | int, ...] = (field,) if field == "target" else (field, i)
        implied = target.implied_direction
        if implied is not None and direction is not None and implied != direction:
            issues.append(
                project.issue(
                    kpi,
                    f"target '{target.kind}' contradicts direction '{direction.value}' "
                    f"({'higher' if direction == m.Direction.higher else 'lower'} is better)",
                    *where,
                    expected=("at_least" if direction == m.Direction.higher else "at_most")
                    + ", or set 'direction' on the KPI",
                )
            )
        issues += _check_fixed_baseline(project, kpi, target, where)
        if target.segment is not None and kpi.segment_by is None:
            issues.append(
                project.issue(
                    kpi,
                    f"target for segment '{target.segment}' but the KPI has no 'segment_by'",
                    *where,
                    "segment",
                    expected="segment_by: <dimension> on the KPI",
                )
            )
    if kpi.segment_by is not None and any(t.segment is None for t in targets):
        issues.append(
            project.issue(
                kpi,
                f"with segment_by '{kpi.segment_by}', every target needs 'segment' (a value of {kpi.segment_by})",
                field,
            )
        )
    seen: dict[tuple[str | None, object], int] = {}
    for i, target in enumerate(targets):
        key = (target.segment, target.effective_from)
        if key in seen:
            what = f"segment '{target.segment}'" if target.segment else "the KPI"
            when = f"from {target.effective_from}" if target.effective_from else "without 'from'"
            issues.append(
                project.issue(
                    kpi,
                    f"two targets for {what} {when} (targets {seen[key]} and {i}); expected one per date",
                    field,
                    i,
                )
            )
        seen.setdefault(key, i)
    return issues


def _check_fixed_baseline(project: Project, kpi: g.Kpi, target: g.Target, where: tuple[str | int, ...]) -> list[Issue]:
    """A one-period KPI's fixed baseline (``vs: {period: <date>}``) must be a period before the KPI's own."""
    if not isinstance(target.vs, g.BaselinePeriod) or kpi.timeframe is None or kpi.timeframe.period is None:
        return []
    try:
        start, _ = parse_period(kpi.timeframe.period, project.calendar)
    except ValueError:
        return []  # reported by the timeframe's own check
    if target.vs.period < start:
        return []
    return [
        project.issue(
            kpi,
            f"KPI '{kpi.name}': the baseline period of 'vs' (the one holding {target.vs.period}) is not before "
            f"its timeframe {kpi.timeframe.period}",
            *where,
            "vs",
            expected=f"a date before {start}",
        )
    ]


def _check_phasing(project: Project, kpi: g.Kpi) -> list[Issue]:
    if not isinstance(kpi.phasing, g.MilestonePhasing):
        return []
    issues: list[Issue] = []
    one_off = kpi.timeframe is not None and kpi.timeframe.period is not None
    forms = {m.date is None for m in kpi.phasing.milestones}
    if len(forms) > 1:
        return [
            project.issue(
                kpi, "milestones mix 'date' and 'elapsed'", "phasing", "milestones", expected="one form for all"
            )
        ]
    last: tuple[float, float] = (0.0, 0.0)
    for i, milestone in enumerate(kpi.phasing.milestones):
        if milestone.date is not None and not one_off:
            issues.append(
                project.issue(
                    kpi,
                    "a milestone with 'date' needs a one-period timeframe (e.g. period: 2025-Q3)",
                    "phasing",
                    "milestones",
                    i,
                    expected="'elapsed' (a fraction of each period) for a recurring timeframe",
                )
            )
            continue
        position = float(milestone.elapsed) if milestone.elapsed is not None else float(i + 1)
        if milestone.date is not None and kpi.timeframe is not None and kpi.timeframe.period is not None:
            try:
                start, grain = parse_period(kpi.timeframe.period, project.calendar)
            except ValueError:
                continue
            end = period_end(start, grain)
            if not start <= milestone.date <= end:
                issues.append(
                    project.issue(
                        kpi,
                        f"milestone date {milestone.date} is outside the period {start}..{end}",
                        "phasing",
                        "milestones",
                        i,
                    )
                )
            elif milestone.date == end and milestone.share < 1:
                issues.append(
                    project.issue(
                        kpi,
                        f"milestone on the last day of the period ({end}) has share {milestone.share}",
                        "phasing",
                        "milestones",
                        i,
                        expected="share 1 on the last day (the whole target is due then)",
                    )
                )
            position = float((milestone.date - start).days)
        if (position <= last[0] and i > 0) or milestone.share < last[1]:
            issues.append(
                project.issue(
                    kpi,
                    "milestones must move forward in time with a share that does not decrease",
                    "phasing",
                    "milestones",
                    i,
                )
            )
        last = (position, milestone.share)
    return issues
