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


class ReviewsView(View):
    """Reviews due (never reviewed, or older than the KPI's review cadence) and past reviews, newest first."""

    due: list[FindingView]
    past: list[ReviewView]
