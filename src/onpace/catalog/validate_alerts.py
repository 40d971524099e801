"""Checks of alert rules: what each one watches exists, and its recipients can be reached.

Each issue names the file, the line, the rule and the key (like the checks of
objectives and KPIs in :mod:`onpace.catalog.validate_goals`).
"""

from __future__ import annotations

from onpace.catalog import models as m
from onpace.catalog.alerts import AlertRule
from onpace.catalog.expr import ExpressionError, names, parse_condition
from onpace.catalog.loaded import Project
from onpace.catalog.validate_goals import unknown
from onpace.errors import Issue, did_you_mean


def check_alerts(project: Project) -> list[Issue]:
    issues: list[Issue] = []
    for rule in project.alerts.values():
        issues += _check_scope(project, rule)
        issues += _check_recipients(project, rule)
    return issues


def _check_scope(project: Project, rule: AlertRule) -> list[Issue]:
    issues: list[Issue] = []
    where = f" in alert '{rule.name}'"
    if rule.kpi is not None:
        kpi = project.kpis.get(rule.kpi)
        if kpi is None:
            return [
                unknown(project, rule, "KPI", rule.kpi, project.kpis, "kpi", expected="the name of a KPI", where=where)
            ]
        if rule.segment is not None:
            values = sorted({t.segment for t in kpi.all_targets if t.segment is not None})
            if kpi.segment_by is None:
                issues.append(
                    project.issue(
                        rule,
                        f"alert '{rule.name}' names segment {rule.segment!r} but KPI '{kpi.name}' has no segment_by",
                        "segment",
                        expected="no 'segment' (the KPI is one series)",
                    )
                )
            elif rule.segment not in values:
                issues.append(
                    project.issue(
                        rule,
                        f"unknown segment {rule.segment!r} of KPI '{kpi.name}'{where}",
                        "segment",
                        expected="one of " + ", ".join(values),
                        suggestion=did_you_mean(rule.segment, values),
                    )
                )
    if rule.objective is not None and rule.objective not in project.objectives:
        issues.append(
            unknown(
                project,
                rule,
                "objective",
                rule.objective,
                project.objectives,
                "objective",
                expected="the name of an objective",
                where=where,
            )
        )
    if rule.metric is not None:
        if rule.metric not in project.metrics:
            issues.append(
                unknown(
                    project,
                    rule,
                    "metric",
                    rule.metric,
                    project.metrics,
                    "metric",
                    expected="the name of a metric",
                    where=where,
                )
            )
        issues += _check_filter(project, rule)
    if rule.source is not None and rule.source not in project.sources:
        issues.append(
            unknown(
                project,
                rule,
                "source",
                rule.source,
                project.sources,
                "source",
                expected="the name of a source in onpace.yml",
                where=where,
            )
        )
    return issues


def _check_filter(project: Project, rule: AlertRule) -> list[Issue]:
    if rule.filter is None:
        return []
    try:
        tree = parse_condition(rule.filter)
    except ExpressionError as exc:
        reason, _, expected = exc.reason.partition("; expected ")
        at = f" at column {exc.column}" if exc.column else ""
        return [
            project.issue(
                rule,
                f"{reason}{at} in {rule.filter!r} (alert '{rule.name}')",
                "filter",
                expected=expected or "a filter on dimensions, e.g. region = 'EUROPE'",
                suggestion=exc.suggestion,
            )
        ]
    dims = [dim.name for _, dim in project.dimensions()]
    return [
        project.issue(
            rule,
            f"unknown dimension '{ref.text}' in filter {rule.filter!r} (alert '{rule.name}')",
            "filter",
            expected="a dimension name",
            suggestion=did_you_mean(ref.text, dims),
        )
        for ref in names(tree)
        if ref.text not in dims
    ]


def _check_recipients(project: Project, rule: AlertRule) -> list[Issue]:
    no_owner = None
    if rule.kpi is None and rule.objective is None and rule.metric is None:
        no_owner = f"alert '{rule.name}' sends to 'owner' but watches {rule.scope}, which has no owner"
    return check_recipients(project, rule, rule.recipients, f"alert '{rule.name}'", no_owner=no_owner)


def check_recipients(
    project: Project,
    obj: m.Model,
    recipients: list[str],
    what: str,
    *,
    no_owner: str | None = None,
    key: str = "recipients",
) -> list[Issue]:
    """Issues of ``recipients`` (the forms of RECIPIENT_FORMS) of ``obj`` (``what``: "alert 'x'" in messages).

    ``no_owner``: the message when 'owner' names nobody here (None: it does).
    """
    issues: list[Issue] = []
    channels = project.config.channels
    people = project.config.people
    by_email = False
    for i, recipient in enumerate(recipients):
        kind, _, name = recipient.partition(":")
        if recipient == "owner":
            by_email = True
            if no_owner is not None:
                issues.append(
                    project.issue(
                        obj,
                        no_owner,
                        key,
                        i,
                        expected="a KPI, an objective or a metric scope, or channel:NAME / user:LOGIN",
                    )
                )
        elif kind == "channel" and name not in channels:
            issues.append(
                unknown(
                    project,
                    obj,
                    "channel",
                    name,
                    channels,
                    key,
                    i,
                    expected="a channel under 'channels:' in onpace.yml" + ("" if channels else " (there is none yet)"),
                    where=f" in {what}",
                )
            )
        elif kind == "person":
            by_email = True
            if name not in people:
                issues.append(
                    unknown(
                        project,
                        obj,
                        "person",
                        name,
                        people,
                        key,
                        i,
                        expected="a person under 'people:' in onpace.yml",
                        where=f" in {what}",
                    )
                )
        elif kind == "user":
            by_email = True
    if by_email and not any(_channel_type(c) == "email" for c in channels.values()):
        issues.append(
            project.issue(
                obj,
                f"{what} sends to people (owner, user: or person:) but the project has no email channel",
                key,
                expected="a channel of type email under 'channels:' in onpace.yml, or only channel:NAME recipients",
            )
        )
    return issues


def _channel_type(channel: m.Model) -> str | None:
    return getattr(channel, "type", None)
