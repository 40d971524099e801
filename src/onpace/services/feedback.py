"""Comments, annotations, reviews and the linter's findings, as the views every interface shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from onpace.services import reviews as review_service
from onpace.services.views.notes import (
    AnnotationView,
    CommentView,
    FindingView,
    ReviewsView,
    ReviewView,
    SubjectKind,
)
from onpace.store.db import Store

if TYPE_CHECKING:
    from onpace.catalog.project import Project


def list_comments(store: Store, kind: SubjectKind, name: str) -> list[CommentView]:
    from onpace.services import notes  # the store's ORM: imported by what reads the notes

    return [CommentView.model_validate(c) for c in notes.list_comments(store, kind, name)]


def list_annotations(
    store: Store, kind: SubjectKind, name: str, start: dt.date | None = None, end: dt.date | None = None
) -> list[AnnotationView]:
    from onpace.services import notes

    return [AnnotationView.model_validate(a) for a in notes.list_annotations(store, kind, name, start, end)]


def comment(row: Any) -> CommentView:
    from onpace.services import notes

    return CommentView.model_validate(notes.comment_dict(row))


def annotation(row: Any) -> AnnotationView:
    from onpace.services import notes

    return AnnotationView.model_validate(notes.annotation_dict(row))


def review(row: Any) -> ReviewView:
    """A stored review (its segment none for the whole KPI)."""
    return ReviewView(
        id=row.id,
        kpi=row.kpi,
        segment=row.segment or None,
        reviewed_at=row.reviewed_at,
        reviewer=row.reviewer,
        assessment=row.assessment,
        commentary=row.commentary,
        actions=list(row.actions),
        period_start=row.period_start,
    )


def reviews(project: Project | None, store: Store, kpi: str | None = None, limit: int = 100) -> list[ReviewView]:
    """The newest ``limit`` reviews (of one KPI), newest first; ``project`` (to tell a name that is no
    KPI) may be None when ``kpi`` is."""
    return [review(r) for r in review_service.history(project, store, kpi, limit)]


def findings(found: Iterable[Any]) -> list[FindingView]:
    return [FindingView.model_validate(f) for f in found]


def reviews_due_and_past(project: Project, store: Store, limit: int = 100) -> ReviewsView:
    """Reviews due (never reviewed, or older than the KPI's review cadence) and past reviews, newest first."""
    due = findings(review_service.overdue(project, store, dt.date.today()))
    return ReviewsView(due=due, past=reviews(project, store, limit=limit))


def lint(project: Project, store: Store) -> list[FindingView]:
    """The KPI linter's findings (``onpace lint``)."""
    from onpace.services.lint import lint as run_lint

    return findings(run_lint(project, store))
