"""Alert rules as every interface shows them: each rule in words, the state of its series, its mutes.

The states and mutes are read in plain SQL (:mod:`onpace.store.reads`): ``onpace alert list``
starts without SQLAlchemy, and without the rules' evaluation (:mod:`onpace.services.alerts`, which
uses these views and re-exports :func:`list_rules` and :func:`get_rule`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from onpace.catalog.alerts import AlertRule, duration_text
from onpace.catalog.project import Project
from onpace.errors import NotFoundError, did_you_mean_suffix
from onpace.services.views.alerts import AlertRuleView, AlertSeriesView, MuteView
from onpace.store import reads
from onpace.store.db import Store

SEVERITY = ["normal", "resolved", "pending", "no_data", "error", "firing"]  # the worst state last


def find_rule(project: Project, name: str) -> AlertRule:
    """The rule ``name`` of the project (NotFoundError, with a "did you mean", when there is none)."""
    rule = project.alerts.get(name)
    if rule is None:
        raise NotFoundError(f"no alert rule '{name}'" + did_you_mean_suffix(name, project.alerts))
    return rule


def list_rules(project: Project, store: Store, *, now: dt.datetime | None = None) -> list[AlertRuleView]:
    """Every rule with the state of its series and its mutes in force."""
    at = now or dt.datetime.now(dt.UTC)
    with store.reader() as r:
        states = reads.alert_states(r)
        mutes = reads.alert_mutes(r, at=at)
    return [_rule_view(project, rule, states, mutes) for rule in project.alerts.values()]


def get_rule(project: Project, store: Store, name: str) -> AlertRuleView:
    """One rule (NotFoundError when there is none of that name)."""
    rule = find_rule(project, name)
    with store.reader() as r:
        states = reads.alert_states(r, name)
        mutes = reads.alert_mutes(r, [name])
    return _rule_view(project, rule, states, mutes)


def _rule_view(project: Project, rule: AlertRule, states: Sequence[Any], mutes: Sequence[Any]) -> AlertRuleView:
    from onpace.services.app_definitions import managed_by_app

    mine = [m for m in mutes if m.rule == rule.name]
    series = [series_view(row, mine) for row in states if row.rule == rule.name]
    worst = max((v.state for v in series), key=SEVERITY.index, default="normal")
    return AlertRuleView(
        name=rule.name,
        label=rule.label,
        kind=rule.kind,
        description=describe(rule),
        scope=rule.scope,
        recipients=list(rule.recipients),
        managed_by_app=managed_by_app(project, "alert", rule.name),
        state=worst,
        series=series,
        mutes=[mute_view(m) for m in mine],
    )


def series_view(row: Any, mutes: Sequence[Any]) -> AlertSeriesView:
    """A series' stored state (a row of ``alert_states``), muted until the latest of ``mutes`` that
    covers it (the rule's mutes in force)."""
    until = max((m.until for m in mutes if m.series in (None, row.series)), default=None)
    return AlertSeriesView(
        rule=row.rule,
        series=row.series,
        kpi=row.kpi,
        state=row.state,
        since=row.since,
        value=row.last_value,
        detail=row.last_detail,
        last_evaluated_at=row.last_evaluated_at,
        last_notified_at=row.last_notified_at,
        muted_until=until,
    )


def mute_view(row: Any) -> MuteView:
    """A stored mute (a row of ``alert_mutes``): until it ends, or ended."""
    return MuteView(
        id=row.id,
        rule=row.rule,
        series=row.series,
        until=row.ended_at if row.ended_at is not None and row.ended_at < row.until else row.until,
        by=row.by,
        why=row.why,
        created_at=row.created_at,
    )


def describe(rule: AlertRule) -> str:
    """The rule in words: its scope and its condition."""
    scope = {
        "kpi": f"KPI {rule.kpi}" + (f" [{rule.segment}]" if rule.segment else ""),
        "objective": f"every KPI of objective {rule.objective}",
        "metric": f"metric {rule.metric}" + (f" where {rule.filter}" if rule.filter else ""),
        "source": f"source {rule.source}",
        "project": "the project",
    }[rule.scope.split(":")[0]]
    bound = "above" if rule.above is not None else "below"
    limit = rule.above if rule.above is not None else rule.below
    if rule.kind == "status":
        when = {"at_risk": "is at risk or off track", "off_track": "is off track", "worse": "gets worse"}
        text = f"{scope}: when the status {when[rule.trigger]}"
    elif rule.kind == "threshold":
        what = rule.kpi_value.replace("_", " ") if rule.metric is None else f"value by {rule.series_grain.value}"
        text = f"{scope}: when its {what} is {bound} {limit:g}"
    elif rule.kind == "change":
        per = rule.series_grain.value if rule.metric is not None else "day"
        text = f"{scope}: when its change vs the previous {per} is {bound} {limit:+.0%}"
    elif rule.kind == "anomaly":
        if rule.anomaly_method == "forecast":
            text = f"{scope}: when the forecast leaves the interval of the evaluation before"
        else:
            text = (
                f"{scope}: when the last value's robust z-score against the {rule.z_window} before it "
                f"is beyond ±{rule.z_threshold:g}"
            )
    elif rule.kind == "stale":
        text = f"{scope}: when no new day of data for more than {duration_text(rule.stale_after)}"
    else:
        text = f"{scope}: when a refresh fails or is partial"
    if rule.pending.evaluations and rule.pending.evaluations > 1:
        text += f", for {rule.pending.evaluations} evaluations"
    elif rule.pending.duration is not None:
        text += f", for {duration_text(rule.pending.duration)}"
    return text
