"""Feedback on KPIs and metrics: comments, annotations, reviews, and the linter's findings."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from onpace.services.views.base import IsoDateTime, View

SubjectKind = Literal["kpi", "metric"]


class CommentView(View):
    id: int
    author: str
    body: str
    created_at: IsoDateTime


class AnnotationView(View):
    """An external factor marked on a KPI's or metric's chart (a campaign, an outage...)."""

    id: int
    date: dt.date
    end_date: dt.date | None
    label: str
    body: str
    author: str
    created_at: IsoDateTime


class ReviewView(View):
    """A review of a KPI: the reviewer's assessment, commentary and actions."""

    id: int
    kpi: str
    segment: str | None
    reviewed_at: IsoDateTime
    reviewer: str
    assessment: str = Field(description="on_track, at_risk, off_track, achieved or missed")
    commentary: str
    actions: list[str]
    period_start: dt.date | None = Field(description="the period of the evaluation reviewed")


class FindingView(View):
    """A finding of the KPI linter (``onpace lint``), or a review that is due."""

    rule: str
    severity: Literal["error", "warning", "info"]
    kind: str = Field(description="kpi, objective, metric or project")
    name: str
    message: str
    suggestion: str | None


SEVERITIES = ("error", "warning", "info")


class FindingGroup(View):
    """The findings of one rule and severity, for a page that folds them by rule."""

    severity: Literal["error", "warning", "info"]
    rule: str
    findings: list[FindingView]


def grouped(findings: list[FindingView]) -> list[FindingGroup]:
    """The findings by severity (errors first), then by rule (the rule with most findings first)."""
    groups: dict[tuple[str, str], list[FindingView]] = {}
    for f in findings:
        groups.setdefault((f.severity, f.rule), []).append(f)
    ordered = sorted(groups.items(), key=lambda kv: (SEVERITIES.index(kv[0][0]), -len(kv[1]), kv[0][1]))
    return [FindingGroup(severity=sev, rule=rule, findings=found) for (sev, rule), found in ordered]


class ReviewDue(View):
    """A KPI (one segment of it) on the reviews page: who reviews it, its status, and when a review is due."""

    kpi: str
    segment: str | None
    label: str = Field(description="the KPI's label")
    owner: str | None
    status: str | None = Field(description="its latest status (none: never evaluated)")
    cadence: str = Field(description="its review cadence")
    last_reviewed: dt.date | None
    due: dt.date | None = Field(description="the day a review is due by (none: never reviewed, due now)")
    overdue: bool
    ended: bool = Field(description="its one period is over: one closing review, then none")


class ReviewsView(View):
    """Reviews due (never reviewed, or older than the KPI's review cadence) and past reviews, newest first."""

    due: list[FindingView]
    past: list[ReviewView]
