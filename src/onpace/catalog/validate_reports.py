"""Checks of reports and review reminders, and the one home of which KPIs a report covers.

Each issue names the file, the line, the report and the key (like :mod:`onpace.catalog.validate_alerts`).
"""

from __future__ import annotations

from onpace.catalog import goals
from onpace.catalog.loaded import Project
from onpace.catalog.reports import Audience, Report
from onpace.catalog.validate_alerts import check_recipients
from onpace.catalog.validate_goals import unknown
from onpace.errors import Issue


def covered_kpis(project: Project, audience: Audience) -> list[goals.Kpi]:
    """The KPIs of ``audience``, in the project's order (``kpis``: in the audience's order).

    objective: its KPIs and those of every objective under it; department: KPIs whose metric has that
    department; owner: KPIs that person owns; nothing given: every KPI. Names that do not exist are left out (the checks report them).
    """
    if audience.kpis is not None:
        return [project.kpis[name] for name in audience.kpis if name in project.kpis]
    if audience.objective is not None:
        tree = objective_tree(project, audience.objective)
        return [k for k in project.kpis.values() if k.objective in tree]
    if audience.department is not None:
        wanted = audience.department.casefold()
        return [
            k
            for k in project.kpis.values()
            if (metric := project.metrics.get(k.metric or "")) is not None
            and (metric.department or "").casefold() == wanted
        ]
    if audience.owner is not None:
        wanted = audience.owner.casefold()
        return [k for k in project.kpis.values() if (k.owner or "").casefold() == wanted]
    return list(project.kpis.values())


def objective_tree(project: Project, root: str) -> set[str]:
    """``root`` and every objective under it (a parent cycle, reported elsewhere, ends the walk)."""
    tree = {root}
    grew = True
    while grew:
        grew = False
        for name, objective in project.objectives.items():
            if name not in tree and objective.parent in tree:
                tree.add(name)
                grew = True
    return tree


def check_reports(project: Project) -> list[Issue]:
    issues: list[Issue] = []
    for report in project.reports.values():
        issues += _check_audience(project, report)
        issues += check_recipients(project, report, report.recipients, f"report '{report.name}'")
    reminders = project.config.reminders
    for i, entry in enumerate(reminders.channels):
        name = entry.partition(":")[2]
        if name not in project.config.channels:
            issues.append(
                unknown(
                    project,
                    project.config,
                    "channel",
                    name,
                    project.config.channels,
                    "reminders",
                    "channels",
                    i,
                    expected="a channel under 'channels:' in onpace.yml",
                    where=" in reminders",
                )
            )
    return issues


def _check_audience(project: Project, report: Report) -> list[Issue]:
    audience = report.audience
    where = f" in report '{report.name}'"
    if audience.objective is not None and audience.objective not in project.objectives:
        return [
            unknown(
                project,
                report,
                "objective",
                audience.objective,
                project.objectives,
                "audience",
                "objective",
                expected="the name of an objective",
                where=where,
            )
        ]
    if audience.kpis is not None:
        return [
            unknown(
                project, report, "KPI", name, project.kpis, "audience", "kpis", i, expected="a KPI name", where=where
            )
            for i, name in enumerate(audience.kpis)
            if name not in project.kpis
        ]
    if audience.objective is not None:
        return []  # an objective without KPIs yet is normal: the report lists none until it has some
    if project.kpis and not covered_kpis(project, audience):
        key = "department" if audience.department is not None else "owner"
        known = sorted(
            {
                str(value)
                for value in (
                    [m.department for m in project.metrics.values()]
                    if key == "department"
                    else [k.owner for k in project.kpis.values()]
                )
                if value
            }
        )
        return [
            project.issue(
                report,
                f"report '{report.name}': no KPI has {key} '{getattr(audience, key)}'",
                "audience",
                key,
                expected=f"one of {', '.join(known)}" if known else f"a {key} some KPI has",
            )
        ]
    return []
