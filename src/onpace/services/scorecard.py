"""The scorecard: objectives, their KPIs' latest evaluations, and a weighted roll-up status per objective.

Roll-up: each KPI with data scores 1 (on track, achieved), 0.5 (at risk) or 0
(off track, missed), weighted by its ``weight`` (a KPI with per-segment targets
weighs as one KPI: each segment gets its share); an objective's score is the
weighted mean over its own KPIs and those of the objectives under it. A score
of at least 0.8 is on track, at least 0.5 at risk, else off track; an objective
none of whose KPIs has data is no_data. The math is :mod:`onpace.kpi.rollup`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from onpace.calendar import Grain, period_label
from onpace.catalog import goals as g
from onpace.catalog.project import Project
from onpace.kpi import rollup
from onpace.kpi.instances import kpi_instances, timeframe_grain
from onpace.services.views.evaluations import LastPeriod, evaluated_fields
from onpace.services.views.scorecard import ScorecardRow
from onpace.store import reads
from onpace.store.db import Store

if TYPE_CHECKING:
    from onpace.store.models import RefreshRun

FIELDS = tuple(name for name, info in ScorecardRow.model_fields.items() if not info.exclude)
"""The fields of a row as JSON and CSV show them, in order (the fields of :class:`ScorecardRow`)."""


@dataclass
class ObjectiveNode:
    objective: g.Objective
    rows: list[ScorecardRow] = field(default_factory=list)
    children: list[ObjectiveNode] = field(default_factory=list)
    status: str = "no_data"
    score: float | None = None


def segment_key(project: Project, kpi: str, segment: str) -> str:
    """The segment of KPI ``kpi`` a page, a chart, an export or a history asks for: ``segment`` when the
    KPI's definition has it; without one, the whole KPI, else its first segment (as the KPI page shows).

    A segment the definition does not have is a NotFoundError that names the segments it has (or says
    the KPI has none), with a "did you mean": never another segment's numbers, nor an empty list.
    """
    defined = [i.key for i in kpi_instances(project) if i.kpi.name == kpi]
    if not segment:
        return "" if "" in defined or not defined else defined[0]
    if segment not in defined:
        from onpace.errors import NotFoundError, did_you_mean_suffix

        known = [key for key in defined if key]
        raise NotFoundError(
            f"KPI '{kpi}' has no segment '{segment}'"
            + (f" (its segments: {', '.join(known[:20])})" if known else " (it is not broken down by segment)")
            + did_you_mean_suffix(segment, known)
        )
    return segment


def segment_row(project: Project, kpi: str, rows: Sequence[ScorecardRow], segment: str) -> ScorecardRow | None:
    """The row of the KPI's ``segment`` among its ``rows`` (:func:`kpi_rows` of the KPI), or None when
    that segment has none yet; without a segment, the whole KPI's row, else its first segment's.

    A segment the KPI's definition does not have is a NotFoundError that names the segments it has:
    a page or an answer never shows another segment's numbers under the name asked for.
    """
    if segment:
        segment_key(project, kpi, segment)  # a segment it does not have: 404
    row = next((r for r in rows if (r.segment or "") == segment), None)
    if row is None and not segment:
        row = rows[0] if rows else None
    return row


def kpi_rows(
    project: Project, store: Store, as_of: dt.date | None = None, *, kpi: str | None = None
) -> list[ScorecardRow]:
    """The latest evaluation of every KPI instance of the project, one typed row each (FIELDS).

    ``as_of``: the rows as they would have been on that date, computed now from the stored
    values cut there (:func:`onpace.services.evaluate.evaluate_all`), not read from the store;
    a KPI that cannot be evaluated as of then is left out. Each row has the KPI's last period
    that is over (by the row's as-of date) and the streak of periods in a row with its status.
    ``kpi``: only the rows of that KPI.
    """
    past: dict[tuple[str, str], list[Any]] = {}
    if as_of is None:
        with store.reader() as r:
            latest = reads.latest_evaluations(r, kpi)
            for period in reads.read_periods(r, kpi):
                past.setdefault((period.kpi, period.segment), []).append(period)
    else:
        from onpace.services import evaluate  # the engine and KPI stack: only to evaluate as of a past date

        only = None if kpi is None else [kpi]
        results = evaluate.evaluate_all(project, store, as_of=as_of, errors={}, kpis=only, history=True)
        latest = [evaluate.record(r) for r in results]
        # the periods over by then, judged as of then as a refresh then would have: the stored ones are
        # the last refresh's (after `refresh --as-of` an earlier date, the quarters since were missing)
        for result in results:
            grain = timeframe_grain(project, result.instance.kpi)
            past[(result.instance.kpi.name, result.instance.key)] = [
                SimpleNamespace(**evaluate.period_row(e, t, grain, project)) for e, t in reversed(result.past)
            ]
    current = {(i.kpi.name, i.key) for i in kpi_instances(project)}
    segments: dict[str, int] = {}
    for name, _ in current:
        segments[name] = segments.get(name, 0) + 1
    rows = []
    for e in latest:
        definition = project.kpis.get(e.kpi)
        if definition is None or (e.kpi, e.segment) not in current:  # removed from the definitions since
            continue
        rows.append(_row(project, definition, e, past.get((e.kpi, e.segment), []), segments[e.kpi]))
    rows.sort(key=lambda r: (r.objective or "", r.priority, r.kpi, r.segment or ""))
    return rows


def _row(project: Project, kpi: g.Kpi, e: Any, past: list[Any], segments: int) -> ScorecardRow:
    """The row of one evaluation ``e`` (stored, or computed as of a date) of ``kpi``, with its ``past``."""
    grain = timeframe_grain(project, kpi)
    last, streak = last_period([p for p in past if p.period_end <= e.as_of], grain, project)
    return ScorecardRow(
        kpi=kpi.name,
        label=kpi.label or kpi.name,
        metric=kpi.metric,
        segment=e.segment or None,
        objective=kpi.objective,
        owner=kpi.owner,
        priority=kpi.priority,
        weight=kpi.weight,
        period=period_label(e.period_start, grain, project.calendar),
        # the target in words, its band phased to date...: stored with the evaluation (views.evaluations)
        **evaluated_fields(e),
        # a KPI split into segments weighs as much as one KPI in the roll-up, not once per segment
        rollup_weight=kpi.weight / segments,
        last_period=last,
        streak=streak,
    )


def last_period(ended: Sequence[Any], grain: Grain, project: Project) -> tuple[LastPeriod | None, int]:
    """The newest of ``ended`` (stored past periods of one KPI, rows of ``kpi_periods``, newest first) and how many of the newest
    in a row share its status (0 and None when there is none)."""
    if not ended:
        return None, 0
    newest = ended[0]
    streak = 0
    for period in ended:
        if period.status != newest.status:
            break
        streak += 1
    last = LastPeriod(
        period=period_label(newest.period_start, grain, project.calendar),
        period_start=newest.period_start,
        period_end=newest.period_end,
        status=newest.status,
        actual=newest.actual,
        target=newest.target,
        target_low=newest.target_low,
        target_high=newest.target_high,
    )
    return last, streak


def tree(project: Project, rows: Sequence[ScorecardRow]) -> list[ObjectiveNode]:
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

    def roll(node: ObjectiveNode) -> rollup.Tally:
        node.children.sort(key=order)
        kpis = [(row["status"], row["rollup_weight"]) for row in node.rows]
        tally = rollup.tally(kpis, [roll(child) for child in node.children])
        node.score, node.status = tally.score, tally.status
        return tally

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


def newest(store: Store) -> tuple[int, RefreshRun | None]:
    """The newest evaluation's id (what cached scorecards are keyed by) and the last refresh run, in
    one read of the store."""
    from onpace.store import evaluations as ev  # the ORM: the web app's cache key, not the command line's
    from onpace.store import runs

    with store.session(readonly=True) as s:
        newest_id = ev.newest_id(s)
        last = runs.last_run(s)
        if last is not None:
            s.expunge(last)
        return newest_id, last
