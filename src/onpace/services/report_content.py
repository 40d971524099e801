"""What a report holds, assembled from the services every page uses: nothing is judged here.

A report covers the KPIs of its audience (:func:`onpace.catalog.validate_reports.covered_kpis`)
and shows, as of one date:

- the scorecard rows of those KPIs (:func:`onpace.services.scorecard.kpi_rows`: the verdict,
  numbers and reason the scorecard and the KPI page show);
- for each row (a KPI, or one segment of a ``segment_by`` KPI): its chart's series
  (:func:`onpace.services.kpi_chart.chart`), its last periods (:func:`onpace.services.kpi_history.past_periods`),
  what changed and why (:func:`onpace.services.what_changed.explain`) when it moved since the
  last report, the reviews and comments since then, and when its review is due
  (:func:`onpace.services.review_schedule.schedule`).

The numbers are turned into words once, here, so the PDF, the email, its text part and the chat
summary say the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from onpace.catalog import models as m
from onpace.catalog.display import compact_value
from onpace.catalog.project import Project
from onpace.catalog.reports import Report
from onpace.catalog.validate_reports import covered_kpis
from onpace.kpi import reason
from onpace.kpi.types import STATUS_LABELS, STATUS_ORDER
from onpace.notify.message import COLOURS, GREY
from onpace.services import feedback, kpi_chart, kpi_history, review_schedule, scorecard
from onpace.services import what_changed as change_service
from onpace.services.views.evaluations import Evaluation
from onpace.services.views.kpis import KpiChart
from onpace.services.views.notes import CommentView, ReviewDue, ReviewView
from onpace.services.views.scorecard import ScorecardRow
from onpace.store.db import Store

if TYPE_CHECKING:
    from onpace.engine import Engine

#: Reviews and comments shown per KPI at most (the newest).
MAX_NOTES = 10
UNCHANGED = "Unchanged since the last report: same status and value."


@dataclass(frozen=True)
class Line:
    """One KPI (one segment of a segment_by KPI) in the report, its numbers already in words."""

    row: ScorecardRow
    key: str  # "kpi|segment": the key of report_runs.kpis
    title: str  # the label, with the segment
    objective: str  # the objective's label
    status: str
    status_label: str
    colour: str
    actual: str
    target: str
    target_basis: str | None
    expected: str
    attainment: str
    probability: str
    forecast: str
    url: str  # the KPI page, relative to the app
    chart: KpiChart | None
    past: list[Evaluation]
    past_text: list[tuple[str, str, str, str]]  # period, status label, actual, target
    moved: bool  # its status or value moved since the last report (always, without one)
    what_changed: str | None  # the paragraph (None: the report has what_changed off)
    reviews: list[ReviewView]
    comments: list[CommentView]
    review_due: str | None  # "Review overdue since 2026-11-01", "Review due by ...", None: unknown
    review_overdue: bool
    fmt: m.Format | None


@dataclass(frozen=True)
class Content:
    """A report as of one date: its cover, its scorecard and a line per KPI (and segment)."""

    report: Report
    title: str
    description: str | None
    audience: str
    as_of: dt.date
    generated_at: dt.datetime
    since: dt.datetime | None
    counts: list[tuple[str, str, str, int]]  # status, label, colour, how many
    lines: list[Line]
    due: list[ReviewDue]  # the covered KPIs whose review is overdue
    not_evaluated: list[str]  # covered KPIs with no evaluation (as of the date)


def assemble(
    project: Project,
    store: Store,
    engine: Engine | None,
    report: Report,
    *,
    as_of: dt.date | None = None,
    since: dt.datetime | None = None,
    previous: Mapping[str, Mapping[str, Any]] | None = None,
    now: dt.datetime | None = None,
) -> Content:
    """The content of ``report`` as of ``as_of`` (None: the evaluation the scorecard shows now).

    ``since``: when the last report was made (its reviews and comments are those after it;
    None: those of each KPI's current period). ``previous``: each KPI's status and value in the
    last report (``report_runs.kpis``); a KPI whose status and value are the same gets no "what
    changed" paragraph (None: every KPI gets one). ``engine``: for the paragraphs (None: none).
    """
    now = now or dt.datetime.now(dt.UTC)
    covered = covered_kpis(project, report.audience)
    order = {k.name: i for i, k in enumerate(covered)}
    rows = [r for r in scorecard.kpi_rows(project, store, as_of) if r.kpi in order]
    if report.audience.kpis is not None:  # in the audience's order
        rows.sort(key=lambda r: order[r.kpi])
    day = as_of or max((r.as_of for r in rows), default=now.date())
    due_of = {
        (d.kpi, d.segment or ""): d for d in review_schedule.schedule(project, store, as_of or now.date(), as_of=as_of)
    }
    lines = [_line(project, store, engine, report, r, as_of, since, previous, due_of) for r in rows]
    counts = [
        (status, STATUS_LABELS[status], COLOURS.get(status, GREY), n)
        for status in STATUS_ORDER
        if (n := sum(1 for line in lines if line.status == status))
    ]
    evaluated = {r.kpi for r in rows}
    return Content(
        report=report,
        title=report.title,
        description=report.description,
        audience=report.audience.text,
        as_of=day,
        generated_at=now,
        since=since,
        counts=counts,
        lines=lines,
        due=[d for d in due_of.values() if d.kpi in order and d.overdue],
        not_evaluated=[k.label or k.name for k in covered if k.name not in evaluated],
    )


def key_of(kpi: str, segment: str | None) -> str:
    """The key of a KPI (and segment) in ``report_runs.kpis``: ``kpi|segment`` (``kpi|`` for the whole)."""
    return f"{kpi}|{segment or ''}"


def _line(
    project: Project,
    store: Store,
    engine: Engine | None,
    report: Report,
    row: ScorecardRow,
    as_of: dt.date | None,
    since: dt.datetime | None,
    previous: Mapping[str, Mapping[str, Any]] | None,
    due_of: Mapping[tuple[str, str], ReviewDue],
) -> Line:
    kpi = project.kpis[row.kpi]
    segment = row.segment or ""
    metric = project.metrics.get(kpi.metric or "")
    fmt = metric.format if metric is not None else None
    key = key_of(row.kpi, segment)
    before = previous.get(key) if previous is not None else None
    moved = before is None or before.get("status") != row.status or before.get("actual") != row.actual
    paragraph = None
    if report.what_changed:
        paragraph = UNCHANGED
        if moved and engine is not None:
            previous_status = str(before["status"]) if before and before.get("status") else None
            found = change_service.explain(project, engine, kpi, row, previous_status=previous_status, segment=segment)
            paragraph = found.paragraph
        elif moved:
            paragraph = None
    past = kpi_history.past_periods(store, row.kpi, segment, as_of)[: report.past_periods]
    chart = KpiChart.model_validate(kpi_chart.chart(project, store, row.kpi, segment, as_of))
    after = _aware(since or dt.datetime.combine(row.period_start, dt.time.min, dt.UTC))
    # as of a past day: what was written by the end of that day, not what came later
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, dt.UTC) if as_of else None
    reviews = [
        r
        for r in feedback.reviews(project, store, row.kpi, limit=100)
        if (r.segment or "") in ("", segment) and _within(r.reviewed_at, after, until)
    ][:MAX_NOTES]
    comments = sorted(
        (c for c in feedback.list_comments(store, "kpi", row.kpi) if _within(c.created_at, after, until)),
        key=lambda c: c.created_at,
        reverse=True,
    )[:MAX_NOTES]
    due = due_of.get((row.kpi, segment))
    return Line(
        row=row,
        key=key,
        title=(kpi.label or kpi.name) + (f" — {segment}" if segment else ""),
        objective=_objective(project, row.objective),
        status=row.status,
        status_label=STATUS_LABELS.get(row.status, row.status.replace("_", " ")),
        colour=COLOURS.get(row.status, GREY),
        actual=compact_value(row.actual, fmt),
        target=target_text(row.target, row.target_low, row.target_high, fmt),
        target_basis=row.target_basis or row.target_unavailable,
        expected=target_text(row.expected_to_date, row.expected_low, row.expected_high, fmt),
        attainment=_share(row.attainment),
        probability="–" if row.probability is None else reason.likelihood(row.probability),
        forecast=compact_value(row.forecast, fmt),
        url=f"/kpis/{quote(row.kpi)}" + (f"?segment={quote(segment)}" if segment else ""),
        chart=chart if chart.as_of is not None else None,
        past=past,
        past_text=[
            (
                p.period or p.period_start.isoformat(),
                STATUS_LABELS.get(p.status, p.status),
                compact_value(p.actual, fmt),
                target_text(p.target, p.target_low, p.target_high, fmt),
            )
            for p in past
        ],
        moved=moved,
        what_changed=paragraph,
        reviews=reviews,
        comments=comments,
        review_due=_due_text(due),
        review_overdue=bool(due and due.overdue),
        fmt=fmt,
    )


def target_text(value: float | None, low: float | None, high: float | None, fmt: m.Format | None) -> str:
    """A target (or a band: 140K–150K) in the metric's format; "–" when there is none."""
    if low is not None and high is not None:
        return f"{compact_value(low, fmt)}–{compact_value(high, fmt)}"
    return compact_value(value, fmt)


def _share(value: float | None) -> str:
    """An attainment: never 100% below 1 (:func:`onpace.kpi.reason.percent`)."""
    return "–" if value is None else reason.percent(value)


def _objective(project: Project, name: str | None) -> str:
    objective = project.objectives.get(name or "")
    if objective is None:
        return name or "No objective"
    return objective.label or objective.name


def _due_text(due: ReviewDue | None) -> str | None:
    if due is None:
        return None
    if due.ended and not due.overdue:
        return "Reviewed after its period ended: no review due"
    if due.due is None:
        return "Never reviewed: a review is due now"
    if due.overdue:
        return f"Review overdue since {due.due.isoformat()} ({due.cadence})"
    return f"Next review due by {due.due.isoformat()} ({due.cadence})"


def _within(at: dt.datetime, after: dt.datetime, until: dt.datetime | None) -> bool:
    """``at`` after ``after`` and (with ``until``) before it."""
    moment = _aware(at)
    return moment > after and (until is None or moment < until)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
