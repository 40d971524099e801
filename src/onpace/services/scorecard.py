"""The scorecard: objectives, their KPIs' latest evaluations, and a weighted roll-up status per objective.

Roll-up: each KPI with data scores 1 (on track, achieved), 0.5 (at risk) or 0
(off track, missed), weighted by its ``weight`` (a KPI with per-segment targets
weighs as one KPI: each segment gets its share); an objective's score is the
weighted mean over its own KPIs and those of the objectives under it. A score
of at least 0.8 is on track, at least 0.5 at risk, else off track; an objective
none of whose KPIs has data is no_data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from onpace.catalog import goals as g
from onpace.catalog.periods import period_label
from onpace.catalog.project import Project
from onpace.services.needs import kpi_instances, timeframe_grain
from onpace.store import evaluations as ev
from onpace.store import runs
from onpace.store.db import Store
from onpace.store.models import RefreshRun

SCORES = {"on_track": 1.0, "achieved": 1.0, "at_risk": 0.5, "off_track": 0.0, "missed": 0.0}
ON_TRACK_SCORE = 0.8
AT_RISK_SCORE = 0.5

FIELDS = (
    "kpi",
    "label",
    "metric",
    "segment",
    "objective",
    "owner",
    "priority",
    "weight",
    "period",
    "period_start",
    "period_end",
    "as_of",
    "target",
    "target_low",
    "target_high",
    "target_basis",
    "target_unavailable",
    "actual",
    "expected_to_date",
    "expected_low",
    "expected_high",
    "attainment",
    "forecast",
    "forecast_low",
    "forecast_high",
    "probability",
    "status",
    "evaluated_at",
)


@dataclass
class ObjectiveNode:
    objective: g.Objective
    rows: list[dict[str, Any]] = field(default_factory=list)
    children: list[ObjectiveNode] = field(default_factory=list)
    status: str = "no_data"
    score: float | None = None


def kpi_rows(project: Project, store: Store) -> list[dict[str, Any]]:
    """The latest evaluation of every KPI instance of the project, as plain rows (FIELDS)."""
    with store.session(readonly=True) as s:
        latest = ev.latest_evaluations(s)
    current = {(i.kpi.name, i.key) for i in kpi_instances(project)}
    segments: dict[str, int] = {}
    for name, _ in current:
        segments[name] = segments.get(name, 0) + 1
    rows = []
    for e in latest:
        kpi = project.kpis.get(e.kpi)
        if kpi is None or (e.kpi, e.segment) not in current:  # removed from the definitions since
            continue
        rows.append(
            {
                "kpi": kpi.name,
                "label": kpi.label or kpi.name,
                "metric": kpi.metric,
                "segment": e.segment or None,
                "objective": kpi.objective,
                "owner": kpi.owner,
                "priority": kpi.priority,
                "weight": kpi.weight,
                # a KPI split into segments weighs as much as one KPI in the roll-up, not once per segment
                "rollup_weight": kpi.weight / segments[kpi.name],
                "period": period_label(e.period_start, timeframe_grain(project, kpi), project.calendar),
                "period_start": e.period_start,
                "period_end": e.period_end,
                "as_of": e.as_of,
                "target": e.target,
                "target_low": e.target_low,
                "target_high": e.target_high,
                # a change target in words ("+15% vs 2024-Q4") and why it has no number, stored with the evaluation
                "target_basis": (e.details or {}).get("target_basis"),
                "target_unavailable": (e.details or {}).get("target_unavailable"),
                "actual": e.actual,
                "expected_to_date": e.expected_to_date,
                # a `between` target's band phased to date (kpi.targets.phase_target), stored with the evaluation
                "expected_low": (e.details or {}).get("expected_low"),
                "expected_high": (e.details or {}).get("expected_high"),
                "attainment": e.attainment,
                "forecast": e.forecast,
                "forecast_low": e.forecast_low,
                "forecast_high": e.forecast_high,
                "probability": e.probability,
                "status": e.status,
                "evaluated_at": e.evaluated_at,
            }
        )
    rows.sort(key=lambda r: (r["objective"] or "", r["priority"], r["kpi"], r["segment"] or ""))
    return rows


def tree(project: Project, rows: list[dict[str, Any]]) -> list[ObjectiveNode]:
    """Objectives as a tree (roots first, by priority), each with its KPI rows and roll-up status."""
    nodes = {name: ObjectiveNode(obj) for name, obj in project.objectives.items()}
    for row in rows:
        if row["objective"] in nodes:
            nodes[row["objective"]].rows.append(row)
    roots = []
    for name, node in nodes.items():
        parent = node.objective.parent
        if parent in nodes:
            nodes[parent].children.append(node)
        else:
            roots.append(node)
        del name

    def order(node: ObjectiveNode) -> tuple[int, str]:
        return (node.objective.priority or 99, node.objective.name)

    def roll(node: ObjectiveNode) -> tuple[float, float]:
        node.children.sort(key=order)
        total = weight = 0.0
        for row in node.rows:
            score = SCORES.get(row["status"])
            if score is not None:
                total += score * row["rollup_weight"]
                weight += row["rollup_weight"]
        for child in node.children:
            t, w = roll(child)
            total += t
            weight += w
        node.score = total / weight if weight else None
        node.status = rollup_status(node.score)
        return total, weight

    roots.sort(key=order)
    for root in roots:
        roll(root)
    return roots


def walk(nodes: list[ObjectiveNode]) -> list[ObjectiveNode]:
    """Every objective of the tree, parents before their children."""
    found: list[ObjectiveNode] = []
    for node in nodes:
        found.append(node)
        found += walk(node.children)
    return found


def rollup_status(score: float | None) -> str:
    if score is None:
        return "no_data"
    if score >= ON_TRACK_SCORE:
        return "on_track"
    if score >= AT_RISK_SCORE:
        return "at_risk"
    return "off_track"


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key in FIELDS:
        value = row.get(key)
        out[key] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    return out


def recent_periods(project: Project, store: Store, rows: list[dict[str, Any]], count: int = 12) -> None:
    """Add ``spark`` (the last ``count`` periods' values at the timeframe's grain, up to the current one)
    and ``previous`` (the value of the period before the current one) to each row, from the store."""
    from onpace.services.needs import kpi_instances
    from onpace.store import observations as obs

    filters = {(i.kpi.name, i.key): i.filter for i in kpi_instances(project)}
    with store.session(readonly=True) as s:
        for row in rows:
            kpi = project.kpis[row["kpi"]]
            grain = timeframe_grain(project, kpi)
            segment = filters.get((row["kpi"], row["segment"] or ""), "")
            metric = project.metrics[kpi.metric or ""]
            stored_grain = getattr(metric, "grain", None)
            series_grain = grain.value if stored_grain is None else stored_grain.value
            points = [
                (p, v)
                for p, v in obs.read_series(s, kpi.metric or "", series_grain, segment, end=row["period_start"])
                if v is not None
            ]
            if stored_grain is not None and stored_grain != grain:  # manual values: roll up to the timeframe
                points = []
            points = points[-count:]
            row["spark"] = [v for _, v in points]
            before = [v for p, v in points if p < row["period_start"]]
            row["previous"] = before[-1] if before else None


def newest(store: Store) -> tuple[int, RefreshRun | None]:
    """The newest evaluation's id (what cached scorecards are keyed by) and the last refresh run, in
    one read of the store."""
    with store.session(readonly=True) as s:
        newest_id = ev.newest_id(s)
        last = runs.last_run(s)
        if last is not None:
            s.expunge(last)
        return newest_id, last
