"""KPI reviews: each time a person reviews a KPI, their assessment, commentary and actions are kept."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import Review, ReviewAssessment
from onpace.store.plain import plain_json
from onpace.store.reads import list_reviews as list_reviews


def add_review(
    s: Session,
    kpi: str,
    reviewer: str,
    assessment: ReviewAssessment,
    commentary: str,
    actions: Iterable[str] = (),
    segment: str = "",
    period_start: date | None = None,
    reviewed_at: datetime | None = None,
) -> int:
    """Record a review of ``kpi`` (for ``segment``; '' is the whole KPI); returns its id."""
    row = Review(
        kpi=kpi,
        segment=segment,
        reviewed_at=reviewed_at or utcnow(),
        reviewer=reviewer,
        assessment=assessment,
        commentary=commentary,
        actions=plain_json(list(actions), f"the actions of the review of {kpi!r}"),
        period_start=period_start,
    )
    s.add(row)
    s.flush()
    return row.id


def last_review(s: Session, kpi: str, segment: str = "") -> Review | None:
    """The newest review of one KPI and segment, or None when it was never reviewed."""
    query = (
        select(Review)
        .where(Review.kpi == kpi, Review.segment == segment)
        .order_by(Review.reviewed_at.desc(), Review.id.desc())
        .limit(1)
    )
    return s.scalars(query).first()


def last_reviewed(s: Session, before: datetime | None = None) -> dict[tuple[str, str], datetime]:
    """When each (KPI, segment) that has reviews was last reviewed (before ``before``), in one query."""
    query = select(Review.kpi, Review.segment, func.max(Review.reviewed_at)).group_by(Review.kpi, Review.segment)
    if before is not None:
        query = query.where(Review.reviewed_at < before)
    return {(kpi, segment): at for kpi, segment, at in s.execute(query)}
