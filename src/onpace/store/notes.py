"""Comments (feedback) and annotations (external factors on the timeline) on KPIs and metrics."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import Annotation, Comment, SubjectKind


def add_comment(s: Session, kind: SubjectKind, subject: str, author: str, body: str) -> Comment:
    row = Comment(subject_kind=kind, subject=subject, author=author, body=body, created_at=utcnow())
    s.add(row)
    s.flush()
    return row


def list_comments(s: Session, kind: SubjectKind, subject: str, limit: int = 200) -> list[Comment]:
    query = (
        select(Comment)
        .where(Comment.subject_kind == kind, Comment.subject == subject)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    )
    return list(s.scalars(query))


def add_annotation(
    s: Session,
    kind: SubjectKind,
    subject: str,
    author: str,
    on_date: date,
    label: str,
    body: str = "",
    end_date: date | None = None,
) -> Annotation:
    row = Annotation(
        subject_kind=kind,
        subject=subject,
        author=author,
        on_date=on_date,
        end_date=end_date,
        label=label,
        body=body,
        created_at=utcnow(),
    )
    s.add(row)
    s.flush()
    return row


def list_annotations(
    s: Session, kind: SubjectKind, subject: str, start: date | None = None, end: date | None = None
) -> list[Annotation]:
    query = select(Annotation).where(Annotation.subject_kind == kind, Annotation.subject == subject)
    if start is not None:
        query = query.where((Annotation.end_date >= start) | (Annotation.on_date >= start))
    if end is not None:
        query = query.where(Annotation.on_date <= end)
    return list(s.scalars(query.order_by(Annotation.on_date, Annotation.id)))
