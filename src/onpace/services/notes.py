"""Comments and annotations on KPIs and metrics: checked, written with an audit entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onpace import calendar as cal
from onpace.catalog.project import Project
from onpace.errors import NotFoundError, UserError, did_you_mean_suffix
from onpace.store import audit
from onpace.store import notes as store_notes
from onpace.store.db import Store
from onpace.store.models import Annotation, Comment, SubjectKind

MAX_COMMENT = 10_000
MAX_LABEL = 200


def check_subject(project: Project, kind: SubjectKind, name: str) -> None:
    known = project.kpis if kind == "kpi" else project.metrics
    if name not in known:
        what = "KPI" if kind == "kpi" else "metric"
        raise NotFoundError(f"no {what} named '{name}'" + did_you_mean_suffix(name, known))


def add_comment(project: Project, store: Store, kind: SubjectKind, name: str, *, author: str, body: str) -> Comment:
    check_subject(project, kind, name)
    text = body.strip()
    if not text:
        raise UserError("a comment needs some text")
    if len(text) > MAX_COMMENT:
        raise UserError(f"a comment has at most {MAX_COMMENT:,} characters")
    with store.session() as s:
        row = store_notes.add_comment(s, kind, name, author, text)
        audit.audit(s, author, "comment.create", kind, name, {"comment": row.id})
        return row


def add_annotation(
    project: Project,
    store: Store,
    kind: SubjectKind,
    name: str,
    *,
    author: str,
    on_date: dt.date,
    label: str,
    body: str = "",
    end_date: dt.date | None = None,
) -> Annotation:
    check_subject(project, kind, name)
    label = label.strip()
    if not label:
        raise UserError("an annotation needs a label (what happened)")
    if len(label) > MAX_LABEL:
        raise UserError(f"an annotation's label has at most {MAX_LABEL} characters")
    for field, day in (("date", on_date), ("end_date", end_date)):
        problem = None if day is None else cal.out_of_range(day)
        if problem is not None:  # the charts place annotations by their dates: only dates onpace uses
            raise UserError(f"{field}: {problem}")
    if end_date is not None and end_date < on_date:
        raise UserError(f"the annotation ends ({end_date}) before it starts ({on_date})")
    with store.session() as s:
        row = store_notes.add_annotation(s, kind, name, author, on_date, label, body.strip(), end_date)
        audit.audit(s, author, "annotation.create", kind, name, {"annotation": row.id, "date": on_date.isoformat()})
        return row


def list_comments(store: Store, kind: SubjectKind, name: str) -> list[dict[str, Any]]:
    with store.session(readonly=True) as s:
        return [comment_dict(c) for c in store_notes.list_comments(s, kind, name)]


def list_annotations(
    store: Store, kind: SubjectKind, name: str, start: dt.date | None = None, end: dt.date | None = None
) -> list[dict[str, Any]]:
    with store.session(readonly=True) as s:
        return [annotation_dict(a) for a in store_notes.list_annotations(s, kind, name, start, end)]


def comment_dict(c: Comment) -> dict[str, Any]:
    return {"id": c.id, "author": c.author, "body": c.body, "created_at": c.created_at.isoformat()}


def annotation_dict(a: Annotation) -> dict[str, Any]:
    return {
        "id": a.id,
        "date": a.on_date.isoformat(),
        "end_date": a.end_date.isoformat() if a.end_date else None,
        "label": a.label,
        "body": a.body,
        "author": a.author,
        "created_at": a.created_at.isoformat(),
    }
